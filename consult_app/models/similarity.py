"""Near-duplicate comments: each comment's fingerprint, its MinHash LSH band hashes, and the groups they form.

Kept beside the comments rather than in them, so that a rebuild of the groups rewrites these three tables
only. services/similarity.py explains the method and the rules for joining and merging groups.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult_app.extensions import db
from consult_app.models.document import Document
from consult_app.models.types import UTCDateTime, utcnow


class SimilarGroup(db.Model):
    """Comments of one document whose texts are nearly the same; a campaign when it has five or more."""

    __tablename__ = "similar_groups"
    __table_args__ = (Index("ix_similar_groups_document", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[Document] = relationship()

    def __repr__(self) -> str:
        return f"<SimilarGroup {self.id} of document {self.document_id}>"


class CommentSignature(db.Model):
    """That a comment was compared with the others of its document, and the group it belongs to, if any.

    A comment without a row has not been compared yet (written before this feature, or while the comparison
    failed): `flask comments similar` finds and compares it."""

    __tablename__ = "comment_signatures"
    __table_args__ = (
        Index("ix_comment_signatures_group", "group_id", "comment_id"),
        Index("ix_comment_signatures_document", "document_id", "comment_id"),
    )

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("similar_groups.id", ondelete="SET NULL"))
    # How many distinct word shingles the normalised text has: 0 for texts too short to compare.
    shingles: Mapped[int] = mapped_column(default=0)
    compared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<CommentSignature C-{self.comment_id:06d} group {self.group_id}>"


class CommentBand(db.Model):
    """One LSH band of a comment's MinHash: comments sharing any (band, hash) of a document are candidates."""

    __tablename__ = "comment_bands"
    __table_args__ = (Index("ix_comment_bands_lookup", "document_id", "band", "hash", "comment_id"),)

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comment_signatures.comment_id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    hash: Mapped[int] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return f"<CommentBand C-{self.comment_id:06d} {self.band}:{self.hash}>"
