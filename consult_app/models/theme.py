"""Themes: a document's code frame (two levels at most), and the comments tagged with each theme."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult_app.extensions import db
from consult_app.models.document import Document
from consult_app.models.types import UTCDateTime, utcnow

THEME_NAME_MAX = 80
THEME_DESCRIPTION_MAX = 1_000

# Which comment carries which theme. Rows go with either side: deleting a theme untags its comments.
comment_themes = Table(
    "comment_themes",
    db.metadata,
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", Integer, ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
    # The worklist's theme filter and the counts per theme start from the theme.
    Index("ix_comment_themes_theme_id", "theme_id"),
)


class Theme(db.Model):
    """A label of one document's code frame; a sub-theme has a parent, which has none (two levels at most).

    Names are unique per document whatever their case: `name_key` is the case-folded name, computed by the
    service, because SQLite's lower() folds ASCII only and the two databases must agree on what is a duplicate.
    """

    __tablename__ = "themes"
    __table_args__ = (UniqueConstraint("document_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(THEME_NAME_MAX))
    name_key: Mapped[str] = mapped_column(String(THEME_NAME_MAX * 4))  # casefold() can lengthen ("ß" -> "ss")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[Document] = relationship()
    parent: Mapped[Theme | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Theme]] = relationship(back_populates="parent", order_by="Theme.name_key")

    def __repr__(self) -> str:
        return f"<Theme {self.name!r} of document {self.document_id}>"
