"""The worklist of every comment (`/moderation/comments/`), and assigning comments to the drafting team."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from consult_app.extensions import db
from consult_app.moderation import bp
from consult_app.permissions import Role, role_required
from consult_app.safety import safe_next
from consult_app.services import assignment, worklist
from consult_app.services.moderation import COUNT_LIMIT
from consult_app.services.worklist_options import filter_options

# For the assignee form of the decision screen (templates/moderation/_assignee.html).
bp.add_app_template_global(assignment.assignable_users, "assignable_users")


def _page(chosen: worklist.WorklistFilter, page: worklist.WorklistPage | None, error: str | None, status: int):
    return render_template(
        "moderation/worklist.html",
        chosen=chosen,
        page=page,
        error=error,
        options=filter_options(),
        sorts=worklist.SORT_LABELS,
        count_limit=COUNT_LIMIT,
        open_counts=assignment.open_counts() if page is not None else {},
    ), status


@bp.get("/comments/")
@role_required(Role.MODERATOR)
def worklist_page():
    try:
        chosen = worklist.WorklistFilter.from_args(request.args)
        page = worklist.worklist_page(chosen, current_user, request.args.get("after"), request.args.get("before"))
    except worklist.FilterError as error:
        return _page(worklist.WorklistFilter.as_typed(request.args), None, str(error), 400)
    return _page(chosen, page, None, 200)


def _selection(values: list[str]) -> tuple[list[int], dict[int, int | None]] | None:
    """The checkboxes' values, `<comment id>:<assignee id or none>` (the assignee shown on the page); None
    when one is malformed."""
    ids, seen = [], {}
    for value in values:
        comment, _, assignee = value.partition(":")
        comment_id = worklist.parse_id(comment)
        assignee_id = None if assignee == assignment.UNASSIGNED else worklist.parse_id(assignee)
        if comment_id is None or (assignee != assignment.UNASSIGNED and assignee_id is None):
            return None
        ids.append(comment_id)
        seen[comment_id] = assignee_id
    return ids, seen


@bp.post("/comments/assign")
@role_required(Role.MODERATOR)
def assign_comments():
    back = safe_next(request.form.get("next"), url_for("moderation.worklist_page"))
    selection = _selection(request.form.getlist("comment_ids"))
    target = request.form.get("assignee", "")
    assignee_id = None if target == assignment.UNASSIGNED else worklist.parse_id(target)
    if selection is None or (target != assignment.UNASSIGNED and assignee_id is None):
        message = (
            gettext("Choose the comments and the person to assign them to.")
            if selection
            else gettext("The selection is not valid.")
        )
        return _refused(message, 400)
    return _assign(selection, assignee_id, back)


def _assign(selection, assignee_id: int | None, back: str):
    """Assign the selected comments (ids and the states they were seen in), commit, report, go back."""
    try:
        result = assignment.assign(selection[0], assignee_id, current_user, expected=selection[1])
    except assignment.AssignmentError as error:
        db.session.rollback()
        return _refused(str(error), error.status)
    db.session.commit()
    _report(result, assignee_id)
    return redirect(back)


def _refused(message: str, status: int):
    chosen = worklist.WorklistFilter.as_typed({})
    return _page(chosen, None, gettext("Nothing was assigned. %(problem)s", problem=message), status)


def _report(result: assignment.BulkResult, assignee_id: int | None) -> None:
    """One message per outcome, naming every comment."""
    if result.changed:
        references = ", ".join(c.reference for c in result.changed)
        assignee = result.changed[0].assignee
        if assignee_id is None or assignee is None:
            flash(gettext("Assigned to nobody: %(refs)s.", refs=references), "success")
        elif assignee_id == current_user.id:
            flash(gettext("Assigned to you: %(refs)s.", refs=references), "success")
        else:
            flash(gettext("Assigned to %(name)s: %(refs)s.", name=assignee.display_name, refs=references), "success")
    if result.unchanged:
        references = ", ".join(c.reference for c in result.unchanged)
        flash(gettext("Already so, nothing to change: %(refs)s.", refs=references), "success")
    for reference, reason in result.refused.items():
        flash(gettext("%(ref)s was not assigned: %(reason)s.", ref=reference, reason=reason), "error")


@bp.post("/comments/<int:comment_id>/assignee")
@role_required(Role.MODERATOR)
def assign_comment(comment_id: int):
    """The assignee form of the decision screen (templates/moderation/_assignee.html)."""
    back = safe_next(request.form.get("next"), url_for("moderation.comment", comment_id=comment_id))
    target, seen = request.form.get("assignee", ""), request.form.get("seen", "")
    selection = _selection([f"{comment_id}:{seen}"])
    assignee_id = None if target == assignment.UNASSIGNED else worklist.parse_id(target)
    if selection is None or (target != assignment.UNASSIGNED and assignee_id is None):
        return _refused(gettext("Choose the person to assign the comment to."), 400)
    return _assign(selection, assignee_id, back)
