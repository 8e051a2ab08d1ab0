from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from consult_app.extensions import db
from consult_app.moderation import bp
from consult_app.moderation.forms import DecisionForm, DispositionForm, QueueFilterForm
from consult_app.permissions import Role, can_moderate, role_required
from consult_app.safety import safe_next
from consult_app.services import comments, moderation


def _filters(form: QueueFilterForm) -> moderation.QueueFilters:
    return moderation.QueueFilters(
        *(getattr(form, name).data or "" for name in ("document", "section", "kind", "respondent_type", "q"))
    )


def _queue_page(error: str | None = None, status: int = 200):
    filters = QueueFilterForm(request.args)
    if not filters.validate():
        return render_template("moderation/queue.html", filters=filters, page=None, error=error), 400
    try:
        after, before = moderation.cursors(request.args.get("after"), request.args.get("before"))
    except moderation.ModerationError as problem:
        return render_template("moderation/queue.html", filters=filters, page=None, error=str(problem)), 400
    chosen = _filters(filters)
    page = moderation.queue(chosen, after, before)
    if chosen == moderation.QueueFilters():
        g.pending_count = page.total  # the unfiltered queue's count is the header's: count once (see below)
    return render_template(
        "moderation/queue.html",
        filters=filters,
        page=page,
        error=error,
        reason_form=DecisionForm(formdata=None),
        count_limit=moderation.COUNT_LIMIT,
    ), status


@bp.get("/")
@role_required(Role.MODERATOR)
def queue():
    return _queue_page()


def _decided(decided: list, words: str):
    """Queue the authors' mail, commit it with the decisions, and go back to where the moderator was."""
    for comment in decided:
        moderation.notify_author(comment)
    db.session.commit()
    references = ", ".join(comment.reference for comment in decided)
    flash(f"{references} {words}.", "success")
    return redirect(safe_next(request.form.get("next"), url_for("moderation.queue")))


@bp.post("/comments/<int:comment_id>/decision")
@role_required(Role.MODERATOR)
def decide(comment_id: int):
    form = DecisionForm()
    if not form.validate_on_submit():
        return _queue_page("The note is too long.", 400)
    try:
        comment = moderation.decide(
            current_user, comment_id, request.form.get("decision", ""), form.reason.data, form.note.data or ""
        )
    except moderation.ModerationError as error:
        db.session.rollback()
        return _queue_page(str(error), error.status)
    return _decided([comment], "approved" if comment.status == "approved" else "rejected")


@bp.post("/bulk")
@role_required(Role.MODERATOR)
def decide_bulk():
    form = DecisionForm()
    raw_ids = request.form.getlist("comment_ids")
    if not form.validate_on_submit() or not all(
        value.isascii() and value.isdigit() and len(value) <= 9 for value in raw_ids
    ):
        return _queue_page("Some of the selected comments are not valid.", 400)
    try:
        decided = moderation.decide_many(
            current_user,
            [int(value) for value in raw_ids],
            request.form.get("decision", ""),
            form.reason.data,
            form.note.data or "",
        )
    except moderation.ModerationError as error:
        db.session.rollback()
        return _queue_page(f"Nothing was changed. {error}", error.status)
    return _decided(decided, "approved" if decided[0].status == "approved" else "rejected")


def _comment_or_404(comment_id: int):
    comment = comments.get_comment(comment_id)
    if comment is None:
        abort(404, description=f"There is no comment C-{comment_id:06d}.")
    return comment


@bp.get("/comments/<int:comment_id>")
@role_required(Role.MODERATOR)
def comment(comment_id: int):
    comment = _comment_or_404(comment_id)
    form = DispositionForm(formdata=None, disposition=comment.disposition or "", response=comment.response)
    return _comment_page(comment, form)


def _comment_page(comment, form, status: int = 200, error: str | None = None):
    return render_template(
        "moderation/comment.html",
        comment=comment,
        form=form,
        events=moderation.history(comment),
        reason_form=DecisionForm(formdata=None),
        error=error,
    ), status


@bp.post("/comments/<int:comment_id>/disposition")
@role_required(Role.MODERATOR)
def disposition(comment_id: int):
    comment, form = _comment_or_404(comment_id), DispositionForm()
    if not form.validate_on_submit():
        return _comment_page(comment, form, 400)
    try:
        changed = moderation.set_disposition(
            current_user, comment, form.disposition.data or "", form.response.data or ""
        )
    except moderation.ModerationError as error:
        db.session.rollback()
        return _comment_page(comment, form, error.status, str(error))
    db.session.commit()
    flash(f"Disposition of {comment.reference} saved." if changed else "Nothing changed.", "success")
    return redirect(url_for("moderation.comment", comment_id=comment.id))


@bp.app_context_processor
def moderation_counts():
    """Moderators see how many comments wait for them, in the header of every page."""
    if not can_moderate(current_user):
        return {}
    count = g.get("pending_count")
    if count is None:
        count = moderation.pending_count()
    return {"pending_count": f"{moderation.COUNT_LIMIT:,}+" if count > moderation.COUNT_LIMIT else count}
