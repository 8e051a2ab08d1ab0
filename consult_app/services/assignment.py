"""Who in the drafting team answers which comment: assigning one comment or many, and each person's open work.

An assignment is a compare-and-set on the comment's assignee, like a moderation decision: a bulk request
names the assignee each selected comment had when the page was shown (`expected`), and a comment assigned
by someone else meanwhile is reported and left alone. Every change is a ModerationEvent ("assignee").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext
from sqlalchemy import func, select, update

from consult_app.extensions import db
from consult_app.models import Comment, ModerationEvent, User
from consult_app.models.comment import MAX_ID
from consult_app.permissions import Role, can_moderate
from consult_app.services.moderation import record_event

UNASSIGNED = "none"  # how "nobody" is written in events and forms
BULK_MAX = 500  # comments per request


class AssignmentError(ValueError):
    """An assignment that cannot be made at all (nothing was changed); `status` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class BulkResult:
    """What became of each comment of a request: `changed`, `unchanged` (already so) and `refused`, the
    last with the reason per comment reference."""

    changed: list[Comment] = field(default_factory=list)
    unchanged: list[Comment] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def assignable_users() -> list[User]:
    """The accounts that can be given comments to answer: active moderators and admins, by name."""
    statement = select(User).where(User.active.is_(True), User.role.in_([Role.MODERATOR.value, Role.ADMIN.value]))
    return list(db.session.scalars(statement.order_by(User.display_name, User.id)))


def open_counts() -> dict[int, int]:
    """Per assignee's id, how many of their comments have no disposition yet (withdrawn ones excluded)."""
    statement = (
        select(Comment.assignee_id, func.count())
        .where(Comment.assignee_id.is_not(None), Comment.disposition.is_(None), Comment.status != "withdrawn")
        .group_by(Comment.assignee_id)
    )
    return {assignee_id: count for assignee_id, count in db.session.execute(statement)}


def assign(
    comment_ids: list[int],
    assignee_id: int | None,
    actor: User,
    expected: dict[int, int | None] | None = None,
) -> BulkResult:
    """Give the comments to `assignee_id` (None: to nobody). Raise AssignmentError when the request as a whole
    is wrong (not a moderator, no comment, an assignee who cannot be assigned); otherwise report per comment.

    `expected` maps a comment id to the assignee the person saw; a comment whose assignee differs now was
    changed meanwhile and is refused, so one person's bulk action never silently undoes another's."""
    if not can_moderate(actor):
        raise AssignmentError(gettext("Only moderators assign comments."), 403)
    ids = list(dict.fromkeys(comment_ids))
    if not ids:
        raise AssignmentError(gettext("Select at least one comment."))
    if len(ids) > BULK_MAX or not all(0 < comment_id <= MAX_ID for comment_id in ids):
        raise AssignmentError(gettext("Select between 1 and %(max)d comments.", max=BULK_MAX))
    assignee = _assignee(assignee_id)
    found = {c.id: c for c in db.session.scalars(select(Comment).where(Comment.id.in_(ids)))}
    result = BulkResult()
    for comment_id in ids:
        comment = found.get(comment_id)
        if comment is None:
            result.refused[Comment.reference_of(comment_id)] = gettext("there is no such comment")
            continue
        seen = (expected or {}).get(comment_id, comment.assignee_id)
        _assign_one(comment, assignee, actor, seen, result)
    db.session.flush()
    return result


def _assignee(assignee_id: int | None) -> User | None:
    if assignee_id is None:
        return None
    assignee = db.session.get(User, assignee_id) if 0 < assignee_id <= MAX_ID else None
    if assignee is None or not assignee.active or not can_moderate(assignee):
        raise AssignmentError(gettext("Comments can be assigned only to an active moderator or administrator."))
    return assignee


def _assign_one(comment: Comment, assignee: User | None, actor: User, seen: int | None, result: BulkResult) -> None:
    new_id = assignee.id if assignee else None
    if comment.assignee_id != seen:
        result.refused[comment.reference] = gettext("someone assigned it meanwhile; look at it again")
        return
    if comment.assignee_id == new_id:
        result.unchanged.append(comment)
        return
    changed = db.session.execute(
        update(Comment)
        .where(Comment.id == comment.id, _is(Comment.assignee_id, seen))
        .values(assignee_id=new_id)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # changed between our read and our write
        result.refused[comment.reference] = gettext("someone assigned it meanwhile; look at it again")
        return
    db.session.refresh(comment)
    # Ids only, no names: the trail must not keep the name of a staff account that is later deleted.
    record_event(actor, "assignee", _value(seen), _value(new_id), comment=comment)
    result.changed.append(comment)


def _is(column, value: int | None):
    return column.is_(None) if value is None else column == value


def _value(assignee_id: int | None) -> str:
    return str(assignee_id) if assignee_id is not None else UNASSIGNED


def describe(event: ModerationEvent) -> str:
    """An "assignee" event in words, with the accounts' names as they are now ("Deleted account" when gone),
    in the reader's language."""
    names = {str(user.id): user.display_name for user in _accounts(event.from_value, event.to_value)}

    def name(value: str | None) -> str:
        return names.get(value or "") or gettext("Deleted account")

    if event.to_value == UNASSIGNED:
        return gettext("Assignment to %(name)s taken off", name=name(event.from_value))
    if event.from_value in (None, UNASSIGNED):
        return gettext("Assigned to %(name)s", name=name(event.to_value))
    return gettext(
        "Assigned to %(name)s instead of %(before)s", name=name(event.to_value), before=name(event.from_value)
    )


def _accounts(*values: str | None) -> list[User]:
    ids = [int(value) for value in values if value and value.isdigit()]
    return list(db.session.scalars(select(User).where(User.id.in_(ids)))) if ids else []
