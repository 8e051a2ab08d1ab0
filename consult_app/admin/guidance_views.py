"""/admin/guidance: upload a guidance file, check what it changes per section (nothing written), then apply it.

A blueprint nested in the admin one, so that its error handler for a body that is too large (413) answers
with the upload page, and only here. The checked text travels signed in the apply form
(services/guidance_upload.py), so any app process may serve the apply.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import HiddenField
from wtforms.validators import DataRequired

from consult_app.extensions import db
from consult_app.models.document import CHANGE_NOTE_MAX
from consult_app.permissions import Role, role_required
from consult_app.services import guidance_upload, reading
from consult_app.services.change_mail import reviewers_to_tell
from consult_app.services.guidance_errors import GuidanceError
from consult_app.services.guidance_upload import UPLOAD_MAX, ApplyError, NoteError, UploadError

bp = Blueprint("guidance", __name__)
NOTE_PREFIX = "note-"
FORM_ROOM = 64 * 1024  # the rest of an upload's form: its CSRF token and the multipart boundaries
TOO_LARGE = _l(
    "The file is larger than %(size)d MB. Guidance files are plain text and much smaller.",
    size=UPLOAD_MAX // (1024 * 1024),
)


class UploadForm(FlaskForm):
    file = FileField(
        _l("Guidance file (Markdown)"),
        validators=[FileRequired(_l("Choose the guidance file to upload."))],
        description=_l(
            "The document’s Markdown source with its front matter, as the files in guidance/ are written: UTF-8 text "
            "ending in .md, at most %(size)d MB. Nothing is saved until you have checked the changes.",
            size=UPLOAD_MAX // (1024 * 1024),
        ),
        render_kw={"accept": ".md,.markdown,text/markdown,text/plain"},
    )


class ApplyForm(FlaskForm):
    upload = HiddenField(validators=[DataRequired()])


def _upload_page(form: UploadForm, status: int = 200):
    return render_template("admin/guidance.html", form=form, documents=reading.list_documents()), status


@bp.url_value_preprocessor
def _limit_request_size(endpoint: str | None, values: dict | None) -> None:
    """An upload far over UPLOAD_MAX is refused unread (413), before anything reads the body: Flask runs URL value
    preprocessors before every before_request function, CSRF's (which reads the form) included. The apply form
    is URL-encoded, so its token, which carries the checked text, is not held to Flask's limit for a multipart
    field (MAX_FORM_MEMORY_SIZE), only to MAX_CONTENT_LENGTH."""
    if endpoint == "admin.guidance.check":
        request.max_content_length = UPLOAD_MAX + FORM_ROOM


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    form = UploadForm(formdata=None)
    form.file.errors = [str(TOO_LARGE)]
    return _upload_page(form, 413)


@bp.get("")
@role_required(Role.ADMIN)
def upload():
    return _upload_page(UploadForm(formdata=None))


@bp.post("")
@role_required(Role.ADMIN)
def check():
    """The dry run: parse the file and compare it with the current version; write nothing."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _upload_page(form, 400)
    try:
        preview = guidance_upload.check_upload(form.file.data.read(), form.file.data.filename)
    except (UploadError, GuidanceError) as error:
        form.file.errors.append(str(error))
        return _upload_page(form, 400)
    return _preview_page(preview)


def _preview_page(preview: guidance_upload.Preview, notes: dict | None = None, errors: dict | None = None):
    token = guidance_upload.make_token(preview.upload, current_user.id)
    keys = [c.key for c in preview.with_status("changed", "removed")]
    return render_template(
        "admin/guidance_preview.html",
        preview=preview,
        apply_form=ApplyForm(formdata=None, upload=token),
        notes=notes or {},
        note_errors=errors or {},
        note_max=CHANGE_NOTE_MAX,
        note_prefix=NOTE_PREFIX,
        reviewers=reviewers_to_tell(preview.document, keys) if preview.document and keys else 0,
    ), 400 if errors else 200


@bp.post("/apply")
@role_required(Role.ADMIN)
def apply():
    form = ApplyForm()
    if not form.validate_on_submit():
        return _refused(gettext("There is no checked file to apply. Upload the file and check it first."), 400)
    notes = {
        name.removeprefix(NOTE_PREFIX): value for name, value in request.form.items() if name.startswith(NOTE_PREFIX)
    }
    try:
        upload = guidance_upload.read_token(form.upload.data or "", current_user.id)
        report = guidance_upload.apply_upload(upload, notes)
    except NoteError as error:
        db.session.rollback()
        return _preview_page(error.preview, notes, error.errors)
    except ApplyError as error:
        db.session.rollback()
        return _refused(str(error), error.status)
    except IntegrityError:  # another admin's version got the same number a moment earlier
        db.session.rollback()
        return _refused(
            gettext("Another version was loaded at the same moment. Upload the file again to check it."), 409
        )
    db.session.commit()
    flash(_done_message(report), "success")
    return redirect(url_for("reading.document", slug=report.slug))


def _refused(message: str, status: int):
    form = UploadForm(formdata=None)
    form.file.errors = [message]
    return _upload_page(form, status)


def _done_message(report) -> str:
    if report.action == "created":
        return ngettext(
            "Version 1 of “%(slug)s” is published, with %(num)d section.",
            "Version 1 of “%(slug)s” is published, with %(num)d sections.",
            report.sections,
            slug=report.slug,
        )
    if report.action == "new_version":
        return ngettext(
            "Version %(version)d of “%(slug)s” is published; %(num)d reviewer told of the sections they commented on.",
            "Version %(version)d of “%(slug)s” is published; %(num)d reviewers told of the sections they commented on.",
            report.mailed,
            version=report.version,
            slug=report.slug,
        )
    if report.action == "metadata_updated":
        return gettext(
            "“%(slug)s” keeps version %(version)d; its summary, dates or details were updated.",
            slug=report.slug,
            version=report.version,
        )
    return gettext("“%(slug)s” is unchanged (version %(version)d).", slug=report.slug, version=report.version)
