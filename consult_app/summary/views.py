"""The summary of responses: the page, its Word document, and the moderators' publish / withdraw button."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf

from consult_app.extensions import db
from consult_app.permissions import Role, can_publish_responses, may_read_summary, role_required
from consult_app.services import reading, summary
from consult_app.services.summary_docx import MIMETYPE, summary_docx
from consult_app.summary import bp
from consult_app.templating import local_time

bp.add_app_template_global(can_publish_responses, "can_publish_responses")


class PublicationForm(FlaskForm):
    """The button's form: `publish` is "1" to publish, "0" to withdraw (an empty post changes nothing)."""

    publish = HiddenField(validators=[AnyOf(["0", "1"], message=_l("Choose to publish or to withdraw the summary."))])


def _readable_or_404(slug: str):
    """The document, when `current_user` may read its summary; 404 otherwise, so that an unpublished summary
    does not even show that it exists."""
    document = reading.find_document(slug)
    if document is None or not may_read_summary(current_user, document):
        abort(404, description=gettext("There is no published summary of responses for this document."))
    return document


def published_words(document) -> str:
    if document.responses_published_at is None:
        return gettext("Preview: not published yet.")
    return gettext("Published %(date)s.", date=local_time(document.responses_published_at, "date"))


@bp.get("/guidance/<slug>/responses/")
def responses(slug: str):
    document = _readable_or_404(slug)
    return render_template(
        "summary/responses.html",
        summary=summary.build_summary(document),
        published_words=published_words(document),
        form=PublicationForm(formdata=None) if can_publish_responses(current_user) else None,
    )


@bp.get("/guidance/<slug>/responses.docx")
def responses_docx(slug: str):
    document = _readable_or_404(slug)
    data = summary_docx(summary.build_summary(document), published_words(document))
    filename = f"{document.slug}-summary-of-responses.docx"
    return Response(data, mimetype=MIMETYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/guidance/<slug>/responses/publication")
@role_required(Role.MODERATOR)
def publication(slug: str):
    document = reading.find_document(slug)
    if document is None:
        abort(404, description=gettext("There is no guidance document “%(slug)s”.", slug=slug))
    form = PublicationForm()
    if not form.validate_on_submit():
        abort(400, description=gettext("Choose to publish or to withdraw the summary, with the button on its page."))
    publish = form.publish.data == "1"
    try:
        changed = summary.set_published(current_user, document, publish)
    except summary.SummaryError as error:
        db.session.rollback()
        abort(error.status, description=str(error))
    db.session.commit()
    if not changed:
        already = gettext("Nothing changed: the summary already was published.")
        flash(already if publish else gettext("Nothing changed: the summary already was unpublished."), "success")
    else:
        done = gettext("The summary of responses is published.")
        flash(done if publish else gettext("The summary is withdrawn: staff only."), "success")
    return redirect(url_for("summary.responses", slug=document.slug))
