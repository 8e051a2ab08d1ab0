"""Comments on sections of a document, and replies to them."""

from __future__ import annotations

import enum
import re
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult_app.extensions import db
from consult_app.models.document import KEY_MAX, Document, Version
from consult_app.models.types import UTCDateTime, utcnow
from consult_app.models.user import User

BODY_MAX = 10_000
QUOTE_MAX = 2_000
REFERENCE_PATTERN = re.compile(r"^C-(\d{6,})$")


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


PUBLIC = (Publication.PUBLIC_NAMED.value, Publication.PUBLIC_ANONYMOUS.value)


def _values(enum_type: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum_type)


class Comment(db.Model):
    """What a reviewer said about a section, attached to the section key so it survives new versions."""

    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_values(CommentKind)})", name="kind"),
        CheckConstraint(f"publication IN ({_values(Publication)})", name="publication"),
        CheckConstraint(f"status IN ({_values(CommentStatus)})", name="status"),
        # The section page: approved comments of one section, oldest first.
        Index("ix_comments_section_status", "document_id", "section_key", "status", "created_at"),
        # The moderation queue: pending comments, oldest first.
        Index("ix_comments_status_created", "status", "created_at", "id"),
        Index("ix_comments_author", "author_id", "created_at"),
        Index("ix_comments_parent", "parent_id"),
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

    document: Mapped[Document] = relationship()
    version: Mapped[Version] = relationship()
    author: Mapped[User | None] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side=[id], back_populates="replies")
    replies: Mapped[list[Comment]] = relationship(back_populates="parent", order_by="Comment.created_at")

    @property
    def reference(self) -> str:
        """The number people quote: C-000042."""
        return f"C-{self.id:06d}"

    @staticmethod
    def id_from_reference(reference: str) -> int | None:
        match = REFERENCE_PATTERN.match(reference.strip())
        return int(match.group(1)) if match else None

    @property
    def is_public(self) -> bool:
        return self.publication in PUBLIC

    def __repr__(self) -> str:
        return f"<Comment {self.reference} {self.status}>"
