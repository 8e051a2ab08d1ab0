"""Queries behind the reading pages: documents, their versions and sections."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from consult_app.extensions import db
from consult_app.models import Document, Section, Version


@dataclass
class SectionPage:
    document: Document
    version: Version
    section: Section
    previous: Section | None
    next: Section | None


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


def section_page(document: Document, key: str) -> SectionPage | None:
    """The current version's section `key` with its neighbours, or None when there is no such section."""
    version = version_with_sections(document)
    sections = version.sections
    for index, section in enumerate(sections):
        if section.key == key:
            previous = sections[index - 1] if index > 0 else None
            following = sections[index + 1] if index + 1 < len(sections) else None
            return SectionPage(document, version, section, previous, following)
    return None


def database_answers() -> bool:
    """True when a trivial query succeeds (for /healthz)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
