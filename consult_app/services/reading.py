"""Queries behind the reading pages: documents, their versions and sections."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from consult_app.extensions import db
from consult_app.models import Document, Section, Version
from consult_app.services import comments


@dataclass
class SectionPage:
    document: Document
    version: Version
    section: Section
    previous: Section | None
    next: Section | None
    threads: list[comments.Thread] = field(default_factory=list)


def list_documents() -> list[Document]:
    return list(db.session.scalars(select(Document).order_by(Document.title)))


def find_document(slug: str) -> Document | None:
    return db.session.scalar(select(Document).where(Document.slug == slug))


def version_with_sections(document: Document, number: int | None = None) -> Version | None:
    """A version (the current one by default) with its sections loaded in one query."""
    number = document.current_version_number if number is None else number
    return db.session.scalar(
        select(Version)
        .where(Version.document_id == document.id, Version.number == number)
        .options(selectinload(Version.sections))
    )


def section_page(document: Document, key: str, viewer) -> SectionPage | None:
    """The current version's section `key` with its neighbours and the comments `viewer` may see,
    or None when there is no such section."""
    version = version_with_sections(document)
    sections = version.sections
    for index, section in enumerate(sections):
        if section.key == key:
            previous = sections[index - 1] if index > 0 else None
            following = sections[index + 1] if index + 1 < len(sections) else None
            threads = comments.section_threads(document, key, viewer)
            return SectionPage(document, version, section, previous, following, threads)
    return None


@dataclass
class DocumentPage:
    document: Document
    version: Version
    counts: dict[str, int]
    removed: list[RemovedSection]


@dataclass
class RemovedSection:
    key: str
    title: str
    removed_in: int
    threads: list[comments.Thread]


def document_page(document: Document, viewer) -> DocumentPage:
    """The current version with comment counts per section, and the comments of sections that are gone."""
    version = version_with_sections(document)
    current_keys = {section.key for section in version.sections}
    removed = [_removed_section(document, key, viewer) for key in comments.removed_section_keys(document, current_keys)]
    return DocumentPage(document, version, comments.public_counts(document), removed)


def _removed_section(document: Document, key: str, viewer) -> RemovedSection:
    """A section that no longer exists: its last title, and the first version without it."""
    last = db.session.execute(
        select(Section.title, Version.number)
        .join(Version, Section.version_id == Version.id)
        .where(Version.document_id == document.id, Section.key == key)
        .order_by(Version.number.desc())
        .limit(1)
    ).one()
    return RemovedSection(key, last.title, last.number + 1, comments.section_threads(document, key, viewer))


def database_answers() -> bool:
    """True when a trivial query succeeds (for /healthz)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
