"""What the moderation queue's cards and the decision screen show besides the comment itself.

The queue (services/moderation.py) finds the comments; this module names their sections for people
("9. Bias and fairness", not the key) and reads the section text a comment was written on.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, select

from consult_app.extensions import db
from consult_app.labels import section_label
from consult_app.models import Comment, Document, Section, Version


def section_labels(comments: Iterable[Comment]) -> dict[int, str]:
    """comment id -> "N. Section title" of the section as it was in the version the comment was written on
    (the key, for a section that version no longer has). One query for a whole page of comments."""
    comments = list(comments)
    if not comments:
        return {}
    versions = {comment.version_id for comment in comments}
    keys = {comment.section_key for comment in comments}
    rows = db.session.execute(
        select(Section.version_id, Section.key, Section.number, Section.title).where(
            Section.version_id.in_(versions), Section.key.in_(keys)
        )
    )
    named = {(version_id, key): section_label(number, title) for version_id, key, number, title in rows}
    return {
        comment.id: named.get((comment.version_id, comment.section_key), comment.section_key) for comment in comments
    }


def section_of(comment: Comment) -> Section | None:
    """The section as the author read it: the comment's own version of it."""
    return db.session.scalar(
        select(Section).where(Section.version_id == comment.version_id, Section.key == comment.section_key)
    )


def places() -> tuple[list[tuple[str, str]], list[tuple[str, list[tuple[str, str]]]]]:
    """The queue filter's documents (slug, title) and, per document title, its current sections (key, "N. Title"),
    in one query: the queue page counts its queries (services/worklist_options.py offers the worklist more)."""
    rows = db.session.execute(
        select(Document.slug, Document.title, Section.key, Section.number, Section.title)
        .join(Version, and_(Version.document_id == Document.id, Version.number == Document.current_version_number))
        .join(Section, Section.version_id == Version.id)
        .order_by(Document.title, Section.number)
    )
    documents: dict[str, str] = {}
    sections: dict[str, list[tuple[str, str]]] = {}
    for slug, title, key, number, section_title in rows:
        documents[slug] = title
        sections.setdefault(title, []).append((key, section_label(number, section_title)))
    return list(documents.items()), list(sections.items())
