"""What the public read API shows: documents, their versions, the published comments and their figures.

Only what a visitor may read on the pages, as plain data (dicts, lists, datetimes) that the API's schemas turn
into JSON (consult_app/api/). Which comments are public is decided by services/comments.py (`published`, the
rule the section pages follow), the figures are the dashboard's counts (services/dashboard.py), the comparison of
versions is services/guidance.py's: this module only selects and shapes. Links are absolute, on CONSULT_BASE_URL
(links.py), so that the snapshot the CLI writes names the same addresses as the API.

Raises ResourceNotFoundError when a slug or version names nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from consult_app.extensions import db
from consult_app.links import external_url
from consult_app.models import Comment, Document, Publication, Section, Version
from consult_app.models.comment import MAX_ID
from consult_app.services import comments, dashboard, reading
from consult_app.services.counts import section_counts
from consult_app.services.guidance import compare_versions
from consult_app.text import html_to_text

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# Keys of the statistics that are not codes of a respondent type or a disposition.
DELETED_ACCOUNT = "deleted_account"
NOT_ANSWERED = "none"


class ResourceNotFoundError(LookupError):
    """No document, version or section answers to what was asked; the message says which."""


@dataclass(frozen=True)
class CommentQuery:
    """Which published comments of a document to list: the filters, then `limit` of them in the order of their
    references, after the comment whose reference is `cursor` (from the first without one). A cursor is the last
    reference of the page before; any reference will do, even one of a comment that is not published."""

    section: str | None = None
    kind: str | None = None
    since: datetime | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT

    @property
    def after(self) -> int:
        """The number of the comment the page starts after: C-000042 is 42."""
        return int(self.cursor.removeprefix("C-")) if self.cursor else 0


# --- documents and versions ---------------------------------------------------------------------------------


def list_documents() -> list[dict]:
    return [_document_summary(document) for document in reading.list_documents()]


def document_detail(slug: str) -> dict:
    """The document, its current version's sections (with how many published comments each has) and its
    versions."""
    document = _document(slug)
    version = reading.version_with_sections(document)
    published = section_counts(document, None)  # None: as anyone reads it, signed in or not
    sections = [
        {**_section(document, section), "comments": published[section.key].published} for section in version.sections
    ]
    return {
        **_document_summary(document),
        "preamble": _text(version.preamble_html),
        "sections": sections,
        "versions": [_version_reference(document, each) for each in document.versions],
    }


def version_detail(slug: str, number: int) -> dict:
    """A version with its sections and, per section, what changed from it to the current version."""
    document = _document(slug)
    version = reading.version_with_sections(document, number)
    if version is None:
        raise ResourceNotFoundError(f"The document '{slug}' has no version {number}.")
    current = reading.version_with_sections(document)
    changes = compare_versions(version, current) if version.number != current.number else []
    return {
        "document": document.slug,
        **_version_reference(document, version),
        "current": version.number == current.number,
        "preamble": _text(version.preamble_html),
        "sections": [_section(document, section, version) for section in version.sections],
        "changes": [_change(change) for change in changes],
    }


def _document(slug: str) -> Document:
    document = reading.find_document(slug)
    if document is None:
        raise ResourceNotFoundError(f"There is no document '{slug}'.")
    return document


def _document_summary(document: Document) -> dict:
    slug = document.slug
    return {
        "slug": slug,
        "title": document.title,
        "summary": document.summary,
        "language": document.language,
        "translation_of": document.translation_of,
        "partial_translation": document.translation_partial,
        "consultation": {
            "opens_at": document.opens_at,
            "closes_at": document.closes_at,
            "state": document.consultation_state().value,
        },
        "current_version": document.current_version_number,
        "links": {
            "self": external_url("api.document", slug=slug),
            "html": external_url("reading.document", slug=slug),
            "comments": external_url("api.comments", slug=slug),
            "statistics": external_url("api.statistics", slug=slug),
        },
    }


def _version_reference(document: Document, version: Version) -> dict:
    return {
        "number": version.number,
        "title": version.title,
        "loaded_at": version.loaded_at,
        "links": {
            "self": external_url("api.version", slug=document.slug, number=version.number),
            "html": external_url("reading.version", slug=document.slug, number=version.number),
        },
    }


def _section(document: Document, section: Section, version: Version | None = None) -> dict:
    """A section; its page is the current one's, or its place in an older version's page."""
    if version is None or version.number == document.current_version_number:
        html = external_url("reading.section", slug=document.slug, key=section.key)
    else:
        html = external_url("reading.version", slug=document.slug, number=version.number, _anchor=section.key)
    return {
        "number": section.number,
        "key": section.key,
        "title": section.title,
        **_text(section.html),
        "links": {"html": html},
    }


def _change(change) -> dict:
    return {
        "key": change.key,
        "title": change.title,
        "status": change.status,
        "lines": [
            {"kind": row.kind, "segments": [{"op": op, "text": text} for op, text in row.segments]}
            for row in change.rows
        ],
    }


def _text(html: str) -> dict:
    return {"html": html, "text": html_to_text(html)}


# --- published comments -------------------------------------------------------------------------------------


def comment_page(slug: str, query: CommentQuery) -> dict:
    """Up to `query.limit` published comments, and the query for the next page (None on the last one)."""
    document = _document(slug)
    found = _published_comments(document, query)
    more = len(found) > query.limit
    found = found[: query.limit]
    next_query = replace(query, cursor=found[-1].reference) if more else None
    current_keys = _current_keys(document)
    return {
        "document": document.slug,
        "comments": [_comment(document, comment, current_keys) for comment in found],
        "next_query": next_query,
    }


def all_comments(slug: str) -> Iterator[dict]:
    """Every published comment of the document, page after page (for the snapshot)."""
    query: CommentQuery | None = CommentQuery(limit=MAX_LIMIT)
    while query is not None:
        page = comment_page(slug, query)
        yield from page["comments"]
        query = page["next_query"]


def _published_comments(document: Document, query: CommentQuery) -> list[Comment]:
    """One more than asked for, to know whether there is a next page."""
    if query.after >= MAX_ID:  # a position past every comment there can be
        return []
    published_at = func.coalesce(Comment.moderated_at, Comment.created_at)
    statement = (
        select(Comment)
        .where(Comment.document_id == document.id, comments.published(), Comment.id > query.after)
        .options(selectinload(Comment.author), selectinload(Comment.version), selectinload(Comment.parent))
        .order_by(Comment.id)
        .limit(query.limit + 1)
    )
    if query.section is not None:
        statement = statement.where(Comment.section_key == query.section)
    if query.kind is not None:
        statement = statement.where(Comment.kind == query.kind)
    if query.since is not None:
        statement = statement.where(published_at >= query.since)
    return list(db.session.scalars(statement))


def _current_keys(document: Document) -> set[str]:
    version = reading.version_with_sections(document)
    return {section.key for section in version.sections}


def _comment(document: Document, comment: Comment, current_keys: set[str]) -> dict:
    # A comment on a section that is gone is shown on the document's page, with the sections removed.
    if comment.section_key in current_keys:
        html = external_url("reading.section", slug=document.slug, key=comment.section_key, _anchor=comment.reference)
    else:
        html = external_url("reading.document", slug=document.slug, _anchor=comment.reference)
    answered = comment.disposition is not None
    return {
        "reference": comment.reference,
        "section": comment.section_key,
        "version": comment.version.number,
        "parent": comment.parent.reference if comment.parent is not None else None,
        "kind": comment.kind,
        "quote": comment.quote or None,
        **_text(comment.body_html),
        "language": comment.language,
        "author": _author(comment),
        "published_at": comment.moderated_at or comment.created_at,
        "disposition": comment.disposition,
        "response": (comment.response or None) if answered else None,
        "responded_at": comment.responded_at if answered else None,
        "links": {"html": html},
    }


def _author(comment: Comment) -> dict:
    """As the pages show the author: named (name and organisation), anonymous (respondent type only), or an
    account that was deleted (nothing)."""
    author = comment.author
    shown = {"type": "deleted", "name": None, "organisation": None, "respondent_type": None}
    if author is None:
        return shown
    if comment.publication == Publication.PUBLIC_ANONYMOUS.value:
        return {**shown, "type": "anonymous", "respondent_type": author.respondent_type}
    return {**shown, "type": "named", "name": author.display_name, "organisation": author.organisation or None}


# --- statistics ---------------------------------------------------------------------------------------------


def statistics(slug: str) -> dict:
    """The dashboard's counts over the published comments: the numbers the pages show."""
    document = _document(slug)
    figures = dashboard.published_figures(document)
    return {
        "document": document.slug,
        "published_comments": figures.total.total,
        "sections": [
            {"key": row.key, "number": row.number, "title": row.title, "comments": row.counts.total}
            for row in figures.sections
        ],
        "kinds": figures.total.by_kind,
        "respondent_types": _named_none(figures.respondents, DELETED_ACCOUNT),
        "dispositions": _named_none(figures.dispositions, NOT_ANSWERED),
        "links": {
            "document": external_url("api.document", slug=document.slug),
            "html": external_url("reading.document", slug=document.slug),
        },
    }


def _named_none(counts: dict[str | None, int], name: str) -> dict[str, int]:
    return {name if key is None else key: count for key, count in counts.items()}
