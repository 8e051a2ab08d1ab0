"""The moderators' work: the queue, approve and reject, the drafting team's dispositions, the audit trail.

Decisions are a compare-and-set on the comment's status (`... WHERE status = 'pending'`), so when two
moderators decide the same comment at once exactly one wins and the other is told; nothing is overwritten.
Every change is also written as an append-only ModerationEvent.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from consult_app.extensions import db
from consult_app.models import (
    Comment,
    CommentStatus,
    Disposition,
    Document,
    ModerationEvent,
    RejectionReason,
    User,
)
from consult_app.models.comment import NOTE_MAX, RESPONSE_MAX
from consult_app.models.types import LIKE_ESCAPE, contains_pattern, utcnow
from consult_app.permissions import can_moderate
from consult_app.services import mail

QUEUE_PER_PAGE = 20
REASON_LABELS = {
    RejectionReason.OFF_TOPIC: "Off-topic",
    RejectionReason.ABUSIVE: "Abusive",
    RejectionReason.SPAM: "Spam",
    RejectionReason.PERSONAL_DATA: "Contains personal data",
    RejectionReason.DUPLICATE: "Duplicate",
    RejectionReason.OTHER: "Other",
}
DISPOSITION_LABELS = {
    Disposition.ACCEPTED: "Accepted",
    Disposition.PARTIALLY_ACCEPTED: "Partially accepted",
    Disposition.NOTED: "Noted",
    Disposition.NOT_ACCEPTED: "Not accepted",
    Disposition.OUT_OF_SCOPE: "Out of scope",
}


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


NEW_STATUS = {Decision.APPROVE: CommentStatus.APPROVED.value, Decision.REJECT: CommentStatus.REJECTED.value}


class ModerationError(ValueError):
    """A moderation request that cannot be carried out; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class QueueFilters:
    document: str = ""
    section: str = ""
    kind: str = ""
    respondent_type: str = ""
    q: str = ""


def actor_label(user: User | None) -> str:
    return f"{user.display_name} <{user.email}>" if user is not None else "command line"


def record_event(
    actor: User | None,
    field: str,
    before: str | None,
    after: str,
    reason: str = "",
    *,
    comment: Comment | None = None,
    subject: User | None = None,
) -> ModerationEvent:
    """Append one event to the audit trail."""
    event = ModerationEvent(
        comment_id=comment.id if comment else None,
        subject_user_id=subject.id if subject else None,
        actor_id=actor.id if actor else None,
        actor_label=actor_label(actor),
        field=field,
        from_value=before,
        to_value=after,
        reason=reason,
    )
    db.session.add(event)
    return event


# --- the queue ----------------------------------------------------------------------------------------------


def queue(filters: QueueFilters, page: int = 1):
    """Pending comments, oldest first, narrowed by `filters`, one page at a time."""
    statement = (
        select(Comment)
        .where(Comment.status == CommentStatus.PENDING.value)
        .options(selectinload(Comment.author), selectinload(Comment.document), selectinload(Comment.parent))
        .order_by(Comment.created_at, Comment.id)
    )
    if filters.document:
        statement = statement.join(Document, Comment.document_id == Document.id).where(
            Document.slug == filters.document
        )
    if filters.section:
        statement = statement.where(Comment.section_key == filters.section)
    if filters.kind:
        statement = statement.where(Comment.kind == filters.kind)
    if filters.respondent_type:
        statement = statement.join(User, Comment.author_id == User.id).where(
            User.respondent_type == filters.respondent_type
        )
    if filters.q:
        pattern = contains_pattern(filters.q)
        statement = statement.where(
            or_(
                func.lower(Comment.body_md).like(pattern, escape=LIKE_ESCAPE),
                func.lower(Comment.quote).like(pattern, escape=LIKE_ESCAPE),
            )
        )
    return db.paginate(statement, page=page, per_page=QUEUE_PER_PAGE, error_out=False)


def pending_count() -> int:
    return db.session.scalar(select(func.count()).where(Comment.status == CommentStatus.PENDING.value))


# --- decisions ----------------------------------------------------------------------------------------------


def decide(moderator: User, comment_id: int, decision: str, reason: str | None = None, note: str = "") -> Comment:
    """Approve or reject one pending comment; raise ModerationError (404, 403, 409 or 400) otherwise."""
    decision, reason, note = _checked_decision(decision, reason, note)
    comment = _decidable(moderator, db.session.get(Comment, comment_id), comment_id)
    _apply(moderator, comment, decision, reason, note)
    return comment


def decide_many(
    moderator: User, comment_ids: list[int], decision: str, reason: str | None = None, note: str = ""
) -> list[Comment]:
    """Decide several comments at once, all or nothing: the first comment that cannot be decided stops
    the whole request, and the error names it. The caller rolls back on ModerationError."""
    decision, reason, note = _checked_decision(decision, reason, note)
    ids = list(dict.fromkeys(comment_ids))
    if not ids:
        raise ModerationError("Select at least one comment.")
    found = {c.id: c for c in db.session.scalars(select(Comment).where(Comment.id.in_(ids)))}
    comments = [_decidable(moderator, found.get(comment_id), comment_id) for comment_id in ids]
    for comment in comments:
        _apply(moderator, comment, decision, reason, note)
    return comments


def _checked_decision(decision: str, reason: str | None, note: str) -> tuple[Decision, str | None, str]:
    if decision not in set(Decision):
        raise ModerationError("Choose approve or reject.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ModerationError(f"The note is longer than {NOTE_MAX:,} characters.")
    if decision == Decision.APPROVE:
        return Decision.APPROVE, None, note
    if not reason:
        raise ModerationError("Choose a reason for rejecting.")
    if reason not in set(RejectionReason):
        raise ModerationError("Choose one of the listed reasons for rejecting.")
    return Decision.REJECT, reason, note


def _decidable(moderator: User, comment: Comment | None, comment_id: int) -> Comment:
    if not can_moderate(moderator):
        raise ModerationError("Only moderators decide on comments.", 403)
    if comment is None:
        raise ModerationError(f"There is no comment C-{comment_id:06d}.", 404)
    if comment.author_id == moderator.id:
        raise ModerationError(f"{comment.reference} is your own comment: another moderator must decide it.", 403)
    if comment.status != CommentStatus.PENDING.value:
        raise ModerationError(f"{comment.reference} was already decided ({comment.status}).", 409)
    return comment


def _apply(moderator: User, comment: Comment, decision: Decision, reason: str | None, note: str) -> None:
    now, status = utcnow(), NEW_STATUS[decision]
    result = db.session.execute(
        update(Comment)
        .where(Comment.id == comment.id, Comment.status == CommentStatus.PENDING.value)
        .values(
            status=status,
            moderated_by_id=moderator.id,
            moderated_at=now,
            moderation_reason=reason,
            moderation_note=note,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        # Someone else decided it between our read and our write.
        raise ModerationError(f"{comment.reference} was just decided by another moderator; nothing was changed.", 409)
    db.session.refresh(comment)
    why = REASON_LABELS[RejectionReason(reason)] if reason else ""
    record_event(
        moderator, "status", CommentStatus.PENDING.value, status, ": ".join(filter(None, [why, note])), comment=comment
    )


# --- dispositions -------------------------------------------------------------------------------------------


def set_disposition(moderator: User, comment: Comment, disposition: str, response: str) -> bool:
    """Record the drafting team's answer; returns False when nothing changed. Every change is an event."""
    if not can_moderate(moderator):
        raise ModerationError("Only moderators record dispositions.", 403)
    if disposition not in set(Disposition):
        raise ModerationError("Choose one of the listed dispositions.")
    response = (response or "").strip()
    if len(response) > RESPONSE_MAX:
        raise ModerationError(f"The response is longer than {RESPONSE_MAX:,} characters.")
    if comment.status == CommentStatus.WITHDRAWN.value:
        raise ModerationError(f"{comment.reference} was withdrawn by its author.", 409)
    if (comment.disposition, comment.response) == (disposition, response):
        return False
    record_event(moderator, "disposition", comment.disposition, disposition, response, comment=comment)
    comment.disposition, comment.response = disposition, response
    comment.responded_by_id, comment.responded_at = moderator.id, utcnow()
    db.session.flush()
    return True


def history(comment: Comment) -> list[ModerationEvent]:
    statement = select(ModerationEvent).where(ModerationEvent.comment_id == comment.id)
    return list(db.session.scalars(statement.order_by(ModerationEvent.created_at, ModerationEvent.id)))


# --- telling the author -------------------------------------------------------------------------------------


def notify_author(comment: Comment) -> bool:
    """Mail the author about the decision. Returns False when there is nobody to tell; raises
    mail.MailDeliveryError when delivery fails (the decision stands either way)."""
    author = comment.author
    if author is None or not author.active:
        return False
    link = url_for(
        "reading.section",
        slug=comment.document.slug,
        key=comment.section_key,
        _anchor=comment.reference,
        _external=True,
    )
    if comment.status == CommentStatus.APPROVED.value:
        subject = f"Your comment {comment.reference} has been published"
        text = "has been approved by a moderator" + (" and is now published" if comment.is_public else "")
        body = f"Hello {author.display_name},\n\nYour comment {comment.reference} {text}:\n\n{link}\n"
    else:
        subject = f"Your comment {comment.reference} was not published"
        reason = REASON_LABELS[RejectionReason(comment.moderation_reason)]
        note = f"\nThe moderator added: {comment.moderation_note}\n" if comment.moderation_note else ""
        body = (
            f"Hello {author.display_name},\n\nA moderator did not approve your comment {comment.reference}.\n\n"
            f"Reason: {reason}\n{note}\nThe drafting team still reads every comment.\n"
        )
    mail.send_mail(author.email, subject, body + "\nThank you for taking part in the consultation.\n")
    return True
