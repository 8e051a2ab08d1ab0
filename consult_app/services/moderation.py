"""The moderators' work: the queue, approve and reject, the drafting team's dispositions, the audit trail.

Decisions are a compare-and-set on the comment's status (`... WHERE status = 'pending'`), so when two
moderators decide the same comment at once exactly one wins and the other is told; nothing is overwritten.
Every change is also written as an append-only ModerationEvent.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import format_decimal, gettext
from sqlalchemy import Select, func, or_, select, tuple_, update
from sqlalchemy.orm import selectinload

from consult_app import links
from consult_app.extensions import db
from consult_app.i18n import mail_language
from consult_app.labels import label, stored_label
from consult_app.models import (
    Comment,
    CommentStatus,
    Disposition,
    Document,
    ModerationEvent,
    RejectionReason,
    User,
)
from consult_app.models.comment import COMMAND_LINE, DELETED_ACCOUNT, MAX_ID, NOTE_MAX, RESPONSE_MAX
from consult_app.models.types import LIKE_ESCAPE, contains_pattern, utcnow
from consult_app.permissions import can_decide, can_moderate, can_respond
from consult_app.services import mail, response_mail
from consult_app.signals import account_deleting

QUEUE_PER_PAGE = 20
# Counting 200,000 pending comments costs more than showing a page of them; past this many, "more than".
COUNT_LIMIT = 10_000


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


NEW_STATUS = {Decision.APPROVE: CommentStatus.APPROVED.value, Decision.REJECT: CommentStatus.REJECTED.value}


class ModerationError(ValueError):
    """A moderation request that cannot be carried out; `status` is the HTTP status to answer with. The message
    is in the language of the request (gettext). `field` names the form field it is about ("reason", "note"),
    so that the queue's script can open the reject panel there without reading the words."""

    def __init__(self, message: str, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


@dataclass
class QueueFilters:
    document: str = ""
    section: str = ""
    kind: str = ""
    respondent_type: str = ""
    q: str = ""


def actor_label(user: User | None) -> str:
    return f"{user.display_name} <{user.email}>" if user is not None else COMMAND_LINE


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


@dataclass(frozen=True)
class Cursor:
    """A place in the queue, between comments: the (created_at, id) of the comment next to it.

    Pages are found from a cursor with the (status, created_at, id) index instead of an OFFSET, so the
    thousandth page costs what the first does, and a comment decided meanwhile does not shift later pages.
    Written in addresses as `<microseconds since 1970>-<id>`."""

    created_at: datetime
    id: int

    PATTERN = re.compile(r"^(\d{1,18})-(\d{1,10})$", re.ASCII)
    EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

    @classmethod
    def of(cls, comment: Comment) -> Cursor:
        return cls(comment.created_at, comment.id)

    @classmethod
    def parse(cls, text: str, name: str) -> Cursor:
        """Read a cursor from the address; raise ModerationError (400) naming the parameter otherwise."""
        match = cls.PATTERN.match(text)
        try:
            if match is None or not 0 < int(match.group(2)) <= MAX_ID:
                raise ValueError(text)
            return cls(cls.EPOCH + timedelta(microseconds=int(match.group(1))), int(match.group(2)))
        except (ValueError, OverflowError):
            raise ModerationError(
                gettext(
                    "The page address is not valid (its “%(part)s” part). Go back to the first page of the queue.",
                    part=name,
                )
            ) from None

    def __str__(self) -> str:
        return f"{(self.created_at - self.EPOCH) // timedelta(microseconds=1)}-{self.id}"


def cursors(after: str | None, before: str | None) -> tuple[Cursor | None, Cursor | None]:
    """The `after` and `before` values of a queue address; raise ModerationError (400) for bad ones."""
    if after is not None and before is not None:
        raise ModerationError(
            gettext("A page address has “after” or “before”, not both. Go back to the first page of the queue.")
        )
    return (
        Cursor.parse(after, "after") if after is not None else None,
        Cursor.parse(before, "before") if before is not None else None,
    )


@dataclass
class QueuePage:
    items: list[Comment]
    total: int  # at most COUNT_LIMIT + 1: "more than COUNT_LIMIT"
    previous: Cursor | None  # where the previous page ends (`before=`), None on the first page
    next: Cursor | None  # where the next page starts (`after=`), None on the last page

    @property
    def total_is_capped(self) -> bool:
        return self.total > COUNT_LIMIT


def queue(filters: QueueFilters, after: Cursor | None = None, before: Cursor | None = None) -> QueuePage:
    """Pending comments, oldest first, narrowed by `filters`: the page after `after`, or the page before
    `before`, or the first page."""
    matching = _queue_statement(filters)
    position = tuple_(Comment.created_at, Comment.id)
    if before is not None:
        rows = _page(matching.where(position < tuple_(before.created_at, before.id)), newest_first=True)
        if len(rows) <= QUEUE_PER_PAGE:  # back at the start: the first page, full, rather than a short one
            return queue(filters)
        items = rows[:QUEUE_PER_PAGE][::-1]
        has_previous, has_next = True, _exists(matching.where(position >= tuple_(before.created_at, before.id)))
    elif after is not None:
        rows = _page(matching.where(position > tuple_(after.created_at, after.id)))
        items, has_next = rows[:QUEUE_PER_PAGE], len(rows) > QUEUE_PER_PAGE
        has_previous = _exists(matching.where(position <= tuple_(after.created_at, after.id)))
    else:
        rows = _page(matching)
        items, has_previous, has_next = rows[:QUEUE_PER_PAGE], False, len(rows) > QUEUE_PER_PAGE
    return QueuePage(
        items=items,
        total=capped_count(matching),
        # A page emptied by decisions made meanwhile still leads back to where it was.
        previous=(Cursor.of(items[0]) if items else after) if has_previous else None,
        next=Cursor.of(items[-1]) if has_next else None,
    )


def _queue_statement(filters: QueueFilters) -> Select:
    statement = select(Comment).where(Comment.status == CommentStatus.PENDING.value)
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
    return statement


def _page(statement: Select, newest_first: bool = False) -> list[Comment]:
    """One page and one comment more (which says whether there is another page that way)."""
    order = (Comment.created_at.desc(), Comment.id.desc()) if newest_first else (Comment.created_at, Comment.id)
    statement = statement.options(
        selectinload(Comment.author), selectinload(Comment.document), selectinload(Comment.parent)
    )
    return list(db.session.scalars(statement.order_by(*order).limit(QUEUE_PER_PAGE + 1)))


def _exists(statement: Select) -> bool:
    # The first row in the (status, created_at, id) index's order, not EXISTS (whose ORDER BY PostgreSQL drops):
    # unordered, PostgreSQL may choose a sequential scan and, starting where another scan of the table left off
    # (synchronized scans), read most of a large table before it meets a row (26 ms rather than 0.3 at 200,000
    # pending comments; see bench/moderation_queue.py).
    first = statement.with_only_columns(Comment.id).order_by(Comment.created_at, Comment.id).limit(1)
    return db.session.scalar(first) is not None


def capped_count(statement: Select) -> int:
    """How many rows `statement` selects, counting no further than COUNT_LIMIT + 1."""
    limited = statement.with_only_columns(Comment.id).limit(COUNT_LIMIT + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(limited))


def pending_count() -> int:
    """For the header of every moderator page; more than COUNT_LIMIT shows as such (see QueuePage.total)."""
    return capped_count(select(Comment).where(Comment.status == CommentStatus.PENDING.value))


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
        raise ModerationError(gettext("Select at least one comment."))
    found = {c.id: c for c in db.session.scalars(select(Comment).where(Comment.id.in_(ids)))}
    comments = [_decidable(moderator, found.get(comment_id), comment_id) for comment_id in ids]
    for comment in comments:
        _apply(moderator, comment, decision, reason, note)
    return comments


def check_decision(decision: str, reason: str | None, note: str) -> None:
    """Raise ModerationError (400) for a decision, reason or note that decide() would refuse: for requests
    about many comments (services/group_actions.py) that must check before changing any."""
    _checked_decision(decision, reason, note)


def _checked_decision(decision: str, reason: str | None, note: str) -> tuple[Decision, str | None, str]:
    if decision not in set(Decision):
        raise ModerationError(gettext("Choose approve or reject."))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ModerationError(
            gettext("The note is longer than %(max)s characters.", max=format_decimal(NOTE_MAX)), field="note"
        )
    if decision == Decision.APPROVE:
        return Decision.APPROVE, None, note
    if not reason:
        raise ModerationError(gettext("Choose a reason for rejecting."), field="reason")
    if reason not in set(RejectionReason):
        raise ModerationError(gettext("Choose one of the listed reasons for rejecting."), field="reason")
    return Decision.REJECT, reason, note


def _decidable(moderator: User, comment: Comment | None, comment_id: int) -> Comment:
    if not can_moderate(moderator):
        raise ModerationError(gettext("Only moderators decide on comments."), 403)
    if comment is None:
        raise ModerationError(gettext("There is no comment %(ref)s.", ref=Comment.reference_of(comment_id)), 404)
    if not can_decide(moderator, comment):
        raise ModerationError(
            gettext("%(ref)s is your own comment: another moderator must decide it.", ref=comment.reference), 403
        )
    if comment.status != CommentStatus.PENDING.value:
        raise ModerationError(
            gettext(
                "%(ref)s was already decided (%(status)s).",
                ref=comment.reference,
                status=label("status", comment.status).lower(),
            ),
            409,
        )
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
        raise ModerationError(
            gettext("%(ref)s was just decided by another moderator; nothing was changed.", ref=comment.reference), 409
        )
    db.session.refresh(comment)
    why = stored_label("reason", RejectionReason(reason)) if reason else ""
    record_event(
        moderator, "status", CommentStatus.PENDING.value, status, ": ".join(filter(None, [why, note])), comment=comment
    )


# --- dispositions -------------------------------------------------------------------------------------------


def set_disposition(moderator: User, comment: Comment, disposition: str, response: str) -> bool:
    """Record the drafting team's answer; returns False when nothing changed. Every change is an event.
    Raises ModerationError: 403 for someone who is not a moderator or who wrote the comment, 400 for a bad
    disposition or response, 409 for a withdrawn comment."""
    if not can_moderate(moderator):
        raise ModerationError(gettext("Only moderators record dispositions."), 403)
    if not can_respond(moderator, comment):
        raise ModerationError(
            gettext(
                "%(ref)s is your own comment: another moderator must record its disposition.", ref=comment.reference
            ),
            403,
        )
    if disposition not in set(Disposition):
        raise ModerationError(gettext("Choose one of the listed dispositions."))
    response = (response or "").strip()
    if len(response) > RESPONSE_MAX:
        raise ModerationError(
            gettext("The response is longer than %(max)s characters.", max=format_decimal(RESPONSE_MAX))
        )
    if comment.status == CommentStatus.WITHDRAWN.value:
        raise ModerationError(gettext("%(ref)s was withdrawn by its author.", ref=comment.reference), 409)
    if (comment.disposition, comment.response) == (disposition, response):
        return False
    record_event(moderator, "disposition", comment.disposition, disposition, response, comment=comment)
    first_answer = comment.disposition is None
    comment.disposition, comment.response = disposition, response
    comment.responded_by_id, comment.responded_at = moderator.id, utcnow()
    response_mail.mark_due(comment, first_answer)  # every path (screen, import, group response) tells the author
    db.session.flush()
    return True


def history(comment: Comment) -> list[ModerationEvent]:
    statement = select(ModerationEvent).where(ModerationEvent.comment_id == comment.id)
    return list(db.session.scalars(statement.order_by(ModerationEvent.created_at, ModerationEvent.id)))


@account_deleting.connect
def _on_account_deleting(user) -> None:
    """The trail keeps what a deleted staff member did, not who they were: their name and email leave every
    event they made, in the deleting transaction. A bulk UPDATE, which the events' append-only hook (an ORM
    flush hook) does not see: this erasure is the one change the trail allows."""
    db.session.execute(
        update(ModerationEvent)
        .where(ModerationEvent.actor_id == user.id)
        .values(actor_label=DELETED_ACCOUNT)
        .execution_options(synchronize_session="fetch")
    )


# --- telling the author -------------------------------------------------------------------------------------


def notify_author(comment: Comment) -> bool:
    """Queue a mail telling the author about the decision, in the decision's transaction (so a decision
    rolled back mails nothing). Returns False when there is nobody to tell or their hourly limit is reached."""
    author = comment.author
    if author is None or not author.active:
        return False
    # In the author's language, whatever the moderator's.
    context = {"language": mail_language(author), "author": author, "comment": comment}
    # The form offers its "note to the author" with both buttons, so an approval carries it too.
    if comment.status == CommentStatus.APPROVED.value:
        link = links.external_url(
            "reading.section", slug=comment.document.slug, key=comment.section_key, _anchor=comment.reference
        )
        return mail.send_template(author.email, "mail/comment_approved.txt", link=link, **context)
    # The template names the reason itself, in the author's language.
    return mail.send_template(author.email, "mail/comment_rejected.txt", **context)
