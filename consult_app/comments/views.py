from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from consult_app.comments import bp, panels
from consult_app.comments.forms import CommentForm
from consult_app.extensions import db, limiter
from consult_app.labels import KIND_HINTS, PUBLICATION_HINTS
from consult_app.models import Comment
from consult_app.permissions import Role, is_signed_in, open_to_replies, role_required
from consult_app.reading.views import section_page_or_404
from consult_app.services import comments, receipts

POST_LIMIT = "10 per minute; 200 per day"


def _poster() -> str:
    """Rate-limit comments per account (several reviewers may share one office address)."""
    return f"user:{current_user.id}" if is_signed_in(current_user) else f"ip:{request.remote_addr}"


def _draft(form: CommentForm) -> comments.Draft:
    parent = int(form.parent_id.data) if form.parent_id.data else None
    return comments.Draft(form.body.data or "", form.kind.data, form.quote.data or "", form.publication.data, parent)


def _refuse_or_mark(error: comments.CommentError, form: CommentForm) -> None:
    """A field error goes next to the field; anything else (window closed, not allowed) is an HTTP error."""
    db.session.rollback()
    if error.field is None or error.field == "parent_id":
        abort(error.status, description=str(error))
    getattr(form, error.field).errors.append(str(error))


@bp.post("/guidance/<slug>/<key>/")
@limiter.limit(POST_LIMIT, key_func=_poster)
def post(slug: str, key: str):
    page = section_page_or_404(slug, key)
    if not is_signed_in(current_user):
        abort(403, description=gettext("You need to be logged in, with an active account, to comment."))
    form = CommentForm()
    parent = panels.reply_parent(page)
    if not form.validate_on_submit():
        return panels.comment_form_again(page, form, parent, status=400)
    draft = _draft(form)
    try:
        if "preview" in request.form:
            html = comments.preview(current_user, page.document, page.section, draft)
            return panels.comment_form_again(page, form, parent, preview_html=html)
        comment = comments.create_comment(current_user, page.document, page.section, draft)
        receipts.send_receipt(comment)  # "we have your comment C-000123": queued with the comment, in one commit
        db.session.commit()
    except comments.CommentError as error:
        _refuse_or_mark(error, form)
        return panels.comment_form_again(page, form, parent, status=400)
    panel_id = panels.reply_panel_id(parent) if parent else panels.SECTION_PANEL
    message = gettext("Thank you. Your comment %(ref)s is awaiting moderation.", ref=comment.reference)
    return panels.done(comment, message, panel_id, _comment_url(comment))


def _own_comment_or_404(comment_id: int) -> Comment:
    comment = comments.get_comment(comment_id)
    if comment is None or not comments.may_see(current_user, comment):
        abort(404, description=gettext("There is no such comment."))
    return comment


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@role_required(Role.REVIEWER)
@limiter.limit(POST_LIMIT, key_func=_poster, methods=["POST"])
def edit(comment_id: int):
    comment = _own_comment_or_404(comment_id)
    try:
        comments.check_editable(current_user, comment)
    except comments.CommentError as error:
        abort(error.status, description=str(error))
    if request.method == "GET":
        return _edit_page(comment, CommentForm(formdata=None, obj=comment, body=comment.body_md))
    form = CommentForm()
    if not form.validate_on_submit():
        return _edit_page(comment, form, status=400)
    try:
        if "preview" in request.form:
            html = comments.preview(current_user, comment.document, comments.section_of(comment), _draft(form))
            return _edit_page(comment, form, preview_html=html)
        comments.edit_comment(current_user, comment, _draft(form))
        db.session.commit()
    except comments.CommentError as error:
        _refuse_or_mark(error, form)
        return _edit_page(comment, form, status=400)
    message = gettext("Your comment %(ref)s has been changed.", ref=comment.reference)
    return panels.done(comment, message, panels.SECTION_PANEL, _comment_url(comment))


_edit_page = panels.edit_form


@bp.post("/comments/<int:comment_id>/withdraw")
@role_required(Role.REVIEWER)
def withdraw(comment_id: int):
    comment = _own_comment_or_404(comment_id)
    try:
        comments.withdraw_comment(current_user, comment)
    except comments.CommentError as error:
        abort(error.status, description=str(error))
    db.session.commit()
    flash(gettext("Your comment %(ref)s has been withdrawn.", ref=comment.reference), "success")
    return redirect(url_for("reading.section", slug=comment.document.slug, key=comment.section_key))


@bp.get("/comments/<int:comment_id>/reply")
def reply(comment_id: int):
    parent = _own_comment_or_404(comment_id)
    if parent.parent_id is not None or parent.status != "approved" or not parent.is_public:
        abort(404, description=gettext("You can only reply to a published comment."))
    if not open_to_replies(parent):  # the rule the comment template asks before offering Reply
        abort(403, description=gettext("The consultation is not open: replies can no longer be sent."))
    if not is_signed_in(current_user):
        return redirect(url_for("auth.login", next=request.path))
    return panels.reply_form(parent, CommentForm(formdata=None, parent_id=str(parent.id)))


def _comment_url(comment: Comment) -> str:
    return url_for("reading.section", slug=comment.document.slug, key=comment.section_key, _anchor=comment.reference)


@bp.app_context_processor
def comment_form_texts():
    return {
        "publication_hints": {key.value: text for key, text in PUBLICATION_HINTS.items()},
        "kind_hints": {key.value: text for key, text in KIND_HINTS.items()},
    }
