"""One comment's decision screen: decision, disposition and response in one form, the section text beside it,
previous/next through the worklist filter in the address, and the history in words."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from consult_app.extensions import db
from consult_app.models import Comment
from consult_app.moderation import bp
from consult_app.moderation.forms import DispositionForm, ReviewForm
from consult_app.permissions import Role, role_required
from consult_app.services import comments, moderation, review, themes, triage, worklist
from consult_app.text import mark_passage


def _comment_or_404(comment_id: int) -> Comment:
    comment = comments.get_comment(comment_id)
    if comment is None:
        abort(404, description=gettext("There is no comment %(ref)s.", ref=Comment.reference_of(comment_id)))
    return comment


def _worklist_neighbours(comment: Comment) -> dict:
    """Previous and next comment in the worklist filter of the address, and the filter's arguments, which the
    links keep. A filter that cannot be read is named on the page, not fatal: the screen still works."""
    try:
        chosen = worklist.WorklistFilter.from_args(request.args)
    except worklist.FilterError as error:
        return {"previous_id": None, "next_id": None, "filter_args": {}, "filter_error": str(error)}
    previous_id, next_id = worklist.neighbours(chosen, comment.id, current_user)
    return {"previous_id": previous_id, "next_id": next_id, "filter_args": chosen.to_args(), "filter_error": None}


def _screen(comment: Comment, form, status: int = 200, error: str | None = None):
    section = triage.section_of(comment)
    section_html = mark_passage(section.html, comment.quote) if section is not None and comment.quote else None
    return render_template(
        "moderation/comment.html",
        comment=comment,
        form=form,
        section=section,
        section_html=section_html or (section.html if section is not None else ""),
        quote_marked=bool(section_html and "<mark" in section_html),
        offer=review.offer(current_user, comment),
        history=[
            (event, review.describe(event), review.who(event), review.note(event))
            for event in moderation.history(comment)
        ],
        error=error,
        **_theme_choices(comment),
        **_worklist_neighbours(comment),
    ), status


def _theme_choices(comment: Comment) -> dict:
    """The themes fieldset: the document's frame, and the boxes to check (as posted, when the form comes back)."""
    if "themes_shown" in request.form:
        chosen = {value for value in request.form.getlist("theme_ids")}
    else:
        chosen = {str(theme.id) for theme in themes.themes_of([comment.id]).get(comment.id, [])}
    return {"theme_choices": themes.themes_for(comment.document), "chosen_theme_ids": chosen}


def _blank_form(comment: Comment) -> ReviewForm:
    return ReviewForm(formdata=None, disposition=comment.disposition or "", response=comment.response)


@bp.get("/comments/<int:comment_id>")
@role_required(Role.MODERATOR)
def comment(comment_id: int):
    comment = _comment_or_404(comment_id)
    return _screen(comment, _blank_form(comment))


@bp.post("/comments/<int:comment_id>")
@role_required(Role.MODERATOR)
def review_comment(comment_id: int):
    comment, form = _comment_or_404(comment_id), ReviewForm()
    if not form.validate_on_submit():
        return _screen(comment, form, 400)
    chosen = review.Review(
        decision=form.decision.data or "",
        reason=form.reason.data or "",
        note=form.note.data or "",
        disposition=form.disposition.data or "",
        response=form.response.data or "",
        theme_ids=tuple(request.form.getlist("theme_ids")) if "themes_shown" in request.form else None,
    )
    try:
        result = review.save(current_user, comment, chosen)
    except moderation.ModerationError as problem:
        db.session.rollback()  # nothing half done; the page comes back with what was typed
        return _screen(_comment_or_404(comment_id), form, problem.status, str(problem))
    if result.decided:
        moderation.notify_author(comment)
    db.session.commit()
    flash(result.words(comment), "success")
    return redirect(url_for("moderation.comment", comment_id=comment.id, **request.args))


@bp.post("/comments/<int:comment_id>/disposition")
@role_required(Role.MODERATOR)
def disposition(comment_id: int):
    """The disposition alone (tests and scripts post here; the screen posts its one form above)."""
    comment, form = _comment_or_404(comment_id), DispositionForm()
    if not form.validate_on_submit():
        return _screen(comment, ReviewForm(), 400)
    try:
        changed = moderation.set_disposition(
            current_user, comment, form.disposition.data or "", form.response.data or ""
        )
    except moderation.ModerationError as error:
        db.session.rollback()
        return _screen(_comment_or_404(comment_id), ReviewForm(), error.status, str(error))
    db.session.commit()
    saved = gettext("Disposition of %(ref)s saved.", ref=comment.reference) if changed else gettext("Nothing changed.")
    flash(saved, "success")
    return redirect(url_for("moderation.comment", comment_id=comment.id))
