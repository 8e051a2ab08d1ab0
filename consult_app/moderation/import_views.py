"""Importing the response log: upload a CSV, check the dry run (nothing written), then apply it.

Any app process may serve the apply step, so the dry run keeps nothing on the server: the plan travels in
the apply form as a token signed with SECRET_KEY that expires after an hour (services/tokens.py).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired

from consult_app.extensions import db
from consult_app.moderation import bp
from consult_app.permissions import Role, role_required
from consult_app.services import importer, tokens

SHOWN = 1000  # rows per table on the dry-run page; `flask import dispositions` lists them all
# The plan comes back in a form under MAX_CONTENT_LENGTH; leave room for the other fields.
TOKEN_ROOM = 64 * 1024


class ImportForm(FlaskForm):
    file = FileField(
        _l("Response log (CSV file)"),
        validators=[FileRequired(_l("Choose the CSV file to import."))],
        description=_l(
            "The response log exported from this site, with the disposition and response columns "
            "filled in, saved as CSV (UTF-8). Nothing is saved until you have checked the changes."
        ),
        render_kw={"accept": ".csv,.txt,text/csv"},
    )


class ApplyForm(FlaskForm):
    plan = HiddenField(validators=[DataRequired()])


def read_plan_or_400(token: str, user_id: int) -> importer.Plan:
    try:
        return tokens.read_plan_token(token, user_id)
    except tokens.TokenError as error:
        abort(400, description=str(error))


def _upload_page(form: ImportForm, error: str | None = None, status: int = 200):
    return render_template("moderation/import.html", form=form, error=error), status


@bp.get("/import")
@role_required(Role.MODERATOR)
def import_form():
    return _upload_page(ImportForm(formdata=None))


@bp.post("/import")
@role_required(Role.MODERATOR)
def import_check():
    """The dry run: parse and plan, show what would change, write nothing."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _upload_page(form, status=400)
    upload = form.file.data
    try:
        parsed = importer.parse(upload.read())
    except importer.ImportFileError as error:
        form.file.errors.append(str(error))
        return _upload_page(form, status=400)
    plan = importer.plan(parsed, current_user)
    token = tokens.plan_token(plan, current_user.id) if plan.changes and not plan.errors else None
    too_large = token is not None and len(token) > current_app.config["MAX_CONTENT_LENGTH"] - TOKEN_ROOM
    return render_template(
        "moderation/import_plan.html",
        plan=plan,
        filename=upload.filename,
        apply_form=ApplyForm(formdata=None, plan=None if too_large else token),
        too_large=too_large,
        shown=SHOWN,
    ), 400 if plan.errors else 200


@bp.post("/import/apply")
@role_required(Role.MODERATOR)
def import_apply():
    form = ApplyForm()
    if not form.validate_on_submit():
        abort(400, description=gettext("There is no import to apply. Upload the file and check it first."))
    plan = read_plan_or_400(form.plan.data or "", current_user.id)
    try:
        applied = importer.apply(current_user, plan, set(request.form.getlist("override")))
    except importer.ApplyError as error:
        db.session.rollback()
        return _upload_page(ImportForm(formdata=None), str(error), error.status)
    db.session.commit()
    flash(gettext("%(changes)s.", changes=applied.words()), "success")
    left = len(plan.conflicts) - len(set(request.form.getlist("override")))
    if left:
        flash(
            ngettext(
                "%(num)d conflicting row left as in the app.", "%(num)d conflicting rows left as in the app.", left
            ),
            "success",
        )
    return redirect(url_for("moderation.import_form"))
