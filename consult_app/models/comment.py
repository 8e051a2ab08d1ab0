"""Comments on sections of a document, and replies to them."""

from __future__ import annotations

import enum
import re
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult_app.extensions import db
from consult_app.models.document import KEY_MAX, Document, Version
from consult_app.models.types import UTCDateTime, sql_values, utcnow
from consult_app.models.user import User

BODY_MAX = 10_000
QUOTE_MAX = 2_000
REFERENCE_PATTERN = re.compile(r"^C-(\d{6,})$")
MAX_ID = 2**31 - 1  # ids live in 32-bit integer columns


class CommentKind(enum.StrEnum):
    GENERAL = "general"
    SUGGESTION = "suggestion"
    CONCERN = "concern"
    SUPPORT = "support"


class Publication(enum.StrEnum):
    PUBLIC_NAMED = "public_named"
    PUBLIC_ANONYMOUS = "public_anonymous"
    PRIVATE = "private"


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class RejectionReason(enum.StrEnum):
    OFF_TOPIC = "off_topic"
    ABUSIVE = "abusive"
    SPAM = "spam"
    PERSONAL_DATA = "personal_data"
    DUPLICATE = "duplicate"
    OTHER = "other"


class Disposition(enum.StrEnum):
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    NOTED = "noted"
    NOT_ACCEPTED = "not_accepted"
    OUT_OF_SCOPE = "out_of_scope"


PUBLIC = (Publication.PUBLIC_NAMED.value, Publication.PUBLIC_ANONYMOUS.value)
RESPONSE_MAX = 10_000
NOTE_MAX = 1_000
# How anyone whose account is gone is shown: an author, or a moderator in the trail and the response log.
DELETED_ACCOUNT = "Deleted account"
# The actor of an event made by a command (`flask users set-role`), which has no account.
COMMAND_LINE = "command line"


class Comment(db.Model):
    """What a reviewer said about a section, attached to the section key so it survives new versions."""

    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_values(CommentKind)})", name="kind"),
        CheckConstraint(f"publication IN ({sql_values(Publication)})", name="publication"),
        CheckConstraint(f"status IN ({sql_values(CommentStatus)})", name="status"),
        CheckConstraint(f"moderation_reason IN ({sql_values(RejectionReason)})", name="moderation_reason"),
        CheckConstraint(f"disposition IN ({sql_values(Disposition)})", name="disposition"),
        # The section page: approved comments of one section, oldest first.
        Index("ix_comments_section_status", "document_id", "section_key", "status", "created_at"),
        # The moderation queue: pending comments, oldest first.
        Index("ix_comments_status_created", "status", "created_at", "id"),
        Index("ix_comments_author", "author_id", "created_at"),
        Index("ix_comments_parent", "parent_id"),
        # The worklist in age order, unfiltered or filtered by something without an index of its own.
        Index("ix_comments_created", "created_at", "id"),
        # "Assigned to me" and the open counts per person; also what ON DELETE SET NULL looks up.
        Index("ix_comments_assignee", "assignee_id", "disposition"),
        # The mail worker: comments whose author is due a mail about the response.
        Index("ix_comments_response_mail_due", "response_mail_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    section_key: Mapped[str] = mapped_column(String(KEY_MAX))
    # NULL once the author deleted their account: the comment stays, shown as "Deleted account".
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    kind: Mapped[str] = mapped_column(String(20), default=CommentKind.GENERAL.value)
    quote: Mapped[str] = mapped_column(Text, default="")
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    publication: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=CommentStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The moderation decision (approve or reject), set once.
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderation_reason: Mapped[str | None] = mapped_column(String(20))
    moderation_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The drafting team's answer, which can change; every change is a ModerationEvent.
    disposition: Mapped[str | None] = mapped_column(String(30))
    response: Mapped[str] = mapped_column(Text, default="", server_default="")
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The member of the drafting team who answers this comment (services/assignment.py); None: nobody yet.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # When the author is due a mail about the response (services/response_mail.py); NULL when nothing is due.
    response_mail_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The interface language the comment was written in ("en" for comments from before languages existed).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")

    document: Mapped[Document] = relationship()
    version: Mapped[Version] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    moderated_by: Mapped[User | None] = relationship(foreign_keys=[moderated_by_id])
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    parent: Mapped[Comment | None] = relationship(remote_side=[id], back_populates="replies")
    replies: Mapped[list[Comment]] = relationship(back_populates="parent", order_by="Comment.created_at")

    @property
    def reference(self) -> str:
        """The number people quote: C-000042."""
        return self.reference_of(self.id)

    @staticmethod
    def reference_of(comment_id: int) -> str:
        """The reference of the comment with this id, for code that has the id and not the row."""
        return f"C-{comment_id:06d}"

    @staticmethod
    def id_from_reference(reference: str) -> int | None:
        """42 for "C-000042"; None for anything that cannot be a comment's reference."""
        match = REFERENCE_PATTERN.match(reference.strip())
        number = int(match.group(1)) if match else None
        return number if number is not None and 0 < number <= MAX_ID else None

    @property
    def is_public(self) -> bool:
        return self.publication in PUBLIC

    def __repr__(self) -> str:
        return f"<Comment {self.reference} {self.status}>"


class ModerationEvent(db.Model):
    """One change of a comment's status or disposition, or of an account's role. Append-only: the app
    inserts events and never updates or deletes them (a mapper hook refuses it). The one exception is
    erasure: when an account is deleted, its name and email leave the label of every event it made
    (services/moderation.py), so the trail keeps what was done but no longer says by whom."""

    __tablename__ = "moderation_events"
    __table_args__ = (
        # "themes": a comment tagged or untagged (services/themes.py), the theme names in `reason`.
        CheckConstraint("field IN ('status', 'disposition', 'role', 'assignee', 'themes')", name="field"),
        Index("ix_moderation_events_comment", "comment_id", "created_at"),
        Index("ix_moderation_events_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who acted, as shown at the time ("Name <email>", or COMMAND_LINE); DELETED_ACCOUNT once the account is gone.
    actor_label: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(20))
    from_value: Mapped[str | None] = mapped_column(String(30))
    to_value: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    comment: Mapped[Comment | None] = relationship()

    @property
    def actor_shown(self) -> str:
        """Who acted, as pages show it: an account that is gone is DELETED_ACCOUNT, also on events written
        before deleted accounts' labels were scrubbed (which still hold the name)."""
        if self.actor_id is None and self.actor_label != COMMAND_LINE:
            return DELETED_ACCOUNT
        return self.actor_label

    def __repr__(self) -> str:
        return f"<ModerationEvent {self.field} {self.from_value}->{self.to_value}>"


@event.listens_for(ModerationEvent, "before_update")
@event.listens_for(ModerationEvent, "before_delete")
def _events_are_append_only(mapper, connection, target) -> None:
    raise RuntimeError("moderation events are append-only")
