"""Guidance documents, their versions and the sections of each version."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult_app.extensions import db
from consult_app.models.types import UTCDateTime, utcnow

SLUG_MAX = 80
KEY_MAX = 80
TITLE_MAX = 300
SOURCE_PATH_MAX = 1000
ORGANISER_MAX = 200
CONTACT_MAX = 254
CHANGE_NOTE_MAX = 2000
ORIGIN_FILE = "file"
ORIGIN_WEB = "web"


class ConsultationState(enum.StrEnum):
    NOT_SCHEDULED = "not_scheduled"
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


class Document(db.Model):
    """One guidance text, identified by its slug; what readers see is its current version."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    summary: Mapped[str] = mapped_column(Text, default="")
    source_path: Mapped[str] = mapped_column(String(SOURCE_PATH_MAX))
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    current_version_number: Mapped[int] = mapped_column(Integer)
    # "About this consultation", from the front matter (services/consultation_details.py); "" or [] when absent.
    organiser: Mapped[str] = mapped_column(String(ORGANISER_MAX), default="", server_default="")
    contact: Mapped[str] = mapped_column(String(CONTACT_MAX), default="", server_default="")
    why: Mapped[str] = mapped_column(Text, default="", server_default="")
    how_responses_are_used: Mapped[str] = mapped_column(Text, default="", server_default="")
    what_happens_next: Mapped[str] = mapped_column(Text, default="", server_default="")
    # [{"date": "2027-09-30" or "2027-09", "step": "..."}], in date order.
    timeline: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When a moderator published the summary of responses (services/summary.py); NULL: staff-only preview.
    responses_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language the guidance is written in, and for a translation the slug of the document it translates
    # (front matter `language:` and `translation_of:`); `translation_partial`: some sections not yet translated.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    translation_of: Mapped[str | None] = mapped_column(String(SLUG_MAX))
    translation_partial: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    versions: Mapped[list[Version]] = relationship(
        back_populates="document", order_by="Version.number", cascade="all, delete-orphan"
    )

    @property
    def has_details(self) -> bool:
        """Whether the front matter says anything about the consultation beyond its dates."""
        texts = (self.organiser, self.contact, self.why, self.how_responses_are_used, self.what_happens_next)
        return any(texts) or bool(self.timeline)

    def consultation_state(self, now: datetime | None = None) -> ConsultationState:
        """Where the consultation stands at `now`: the window is [opens_at, closes_at)."""
        if self.opens_at is None or self.closes_at is None:
            return ConsultationState.NOT_SCHEDULED
        now = now or utcnow()
        if now < self.opens_at:
            return ConsultationState.UPCOMING
        if now < self.closes_at:
            return ConsultationState.OPEN
        return ConsultationState.CLOSED

    def __repr__(self) -> str:
        return f"<Document {self.slug} v{self.current_version_number}>"


class Version(db.Model):
    """A load of a document whose text differed from the previous load; numbered 1, 2, ..."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    preamble_md: Mapped[str] = mapped_column(Text, default="")
    preamble_html: Mapped[str] = mapped_column(Text, default="")
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How the version came: "file" (`flask guidance load`) or "web" (an admin's upload at /admin/guidance).
    # The command line will not replace a web upload with a file from disk unasked (services/guidance.py).
    origin: Mapped[str] = mapped_column(String(10), default=ORIGIN_FILE, server_default=ORIGIN_FILE)

    document: Mapped[Document] = relationship(back_populates="versions")
    sections: Mapped[list[Section]] = relationship(
        back_populates="version", order_by="Section.number", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Version {self.document_id}#{self.number}>"


class Section(db.Model):
    """A `##` heading of a version's source and everything under it up to the next `##`."""

    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("version_id", "key"), UniqueConstraint("version_id", "number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(KEY_MAX))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    source_md: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    line: Mapped[int] = mapped_column(Integer)
    # "Changes made in response to comments": written with the version that changed the section (a web upload's
    # dry run), Markdown rendered by text.render_comment; NULL when nobody wrote one.
    change_note: Mapped[str | None] = mapped_column(Text)
    change_note_html: Mapped[str | None] = mapped_column(Text)

    version: Mapped[Version] = relationship(back_populates="sections")

    def __repr__(self) -> str:
        return f"<Section {self.key} ({self.number})>"
