"""Queries behind the reading pages: documents, their versions and sections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, bindparam, func, not_, or_, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from consult_app import page_changes
from consult_app.extensions import db
from consult_app.kept import LeastRecentlyUsed, in_app
from consult_app.models import Comment, CommentStatus, Document, Section, Version
from consult_app.models.comment import PUBLIC
from consult_app.models.types import utcnow
from consult_app.permissions import can_comment, can_moderate
from consult_app.services import comments, counts
from consult_app.services.consultation import local_today


@dataclass
class SectionPage:
    """A section of the current version with its neighbours; the comments `viewer` may see and their count are
    loaded when first asked for (a page whose shared parts come from the cache, or a post, needs no threads)."""

    document: Document
    version: Version
    section: Section
    previous: Section | None
    next: Section | None
    viewer: object = None

    @cached_property
    def threads(self) -> list[comments.Thread]:
        return comments.section_threads(self.document, self.section.key, self.viewer)

    @cached_property
    def count(self) -> counts.SectionCount:
        return counts.section_count(self.document, self.section.key, self.viewer)


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
            return SectionPage(document, version, section, previous, following, viewer)
    return None


KEPT_ANSWERS_KEY = "consult_kept_sees_only_published"
KEPT_ANSWERS = 8192  # per process: (reader, section) pairs asked about under the current personal token


def sees_only_published(document: Document | str, key: str, viewer) -> bool:
    """Whether `viewer` sees exactly the comments of section `key` of `document` (or of the document with that
    slug) that a visitor sees: no own pending, rejected or private comment there and, for a moderator, no
    approved private one (comments.may_see, less published()). The parts of the page every reader shares may
    then come from the cache. One small query, built once, for those who may comment; none for the others."""
    if not can_comment(viewer):
        return True
    slug = document if isinstance(document, str) else document.slug
    moderator = can_moderate(viewer)
    # The answer changes only with a comment, the reader's role or account: all replace the personal token. It
    # is asked again after PAGE_CACHE_RECHECK_SECONDS anyway, for changes made behind the app's back.
    changes, now = page_changes.personal_token(), utcnow()
    kept_key = (viewer.id, moderator, slug, key, changes)
    kept = _kept_answers().get(kept_key) if changes is not None else None
    if kept is not None and now < kept[1]:
        return kept[0]
    parameters = {"slug": slug, "key": key, "viewer": viewer.id}
    # On the session's connection (which loading the account opened), past the ORM: a Core statement needs none.
    answer = db.session.connection().execute(_SEES_MORE[moderator], parameters).first() is None
    if changes is not None:
        _kept_answers().put(kept_key, (answer, page_changes.recheck_at(now)))
    return answer


def _kept_answers() -> LeastRecentlyUsed:
    return in_app(KEPT_ANSWERS_KEY, KEPT_ANSWERS)


def _sees_more_statement(moderator: bool):
    theirs = Comment.author_id == bindparam("viewer")
    if moderator:
        theirs = or_(theirs, Comment.status == CommentStatus.APPROVED.value)
    document_id = select(Document.id).where(Document.slug == bindparam("slug")).scalar_subquery()
    return (
        select(Comment.id)
        .where(
            Comment.document_id == document_id,
            Comment.section_key == bindparam("key"),
            Comment.status != CommentStatus.WITHDRAWN.value,
            not_(comments.published()),
            theirs,
        )
        .limit(1)
    )


_SEES_MORE = {False: _sees_more_statement(moderator=False), True: _sees_more_statement(moderator=True)}


@dataclass
class DocumentPage:
    document: Document
    version: Version
    counts: counts.SectionCounts
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
    return DocumentPage(document, version, counts.section_counts(document, viewer), removed)


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


# --- what a page shown to visitors depends on ---------------------------------------------------------------
#
# A fingerprint is text that changes whenever the page a visitor who is not signed in would see changes; the
# reading views turn it into an ETag and a key for rendered pages (consult_app/http_cache.py). Visitors see
# the document row (title, summary, dates, consultation details, current version) and the version's sections,
# which never change once loaded, the consultation's state and the date (days left, the timeline's next step),
# which change with the clock, and the approved public comments.
# Every change to what is shown with a comment (its approval, its disposition, its author's name or deleted
# account) moves the comment's updated_at; the count catches a comment arriving with an older timestamp.
# The queries are Core statements on a connection of their own, not the request's ORM session: plain columns
# need none of the ORM's result handling, and a page served from the cache then never makes a session at all
# (together a sixth of a cached page's time in the app, measured in-process). A rendered page reads through the
# session afterwards: what it shows is at least as new as its fingerprint, never older.


def document_fingerprint(slug: str) -> str | None:
    """The whole-document page: every published comment counts (per-section counts, removed sections).
    None when there is no such document."""
    row = _one_row(_DOCUMENT_WITH_COMMENTS, {"slug": slug})
    return None if row is None else _with_clock(row, f"{_document_state(row)}|{row.published}|{row.latest}")


def section_fingerprint(slug: str, key: str) -> str | None:
    row = _one_row(_DOCUMENT_WITH_SECTION_COMMENTS, {"slug": slug, "key": key})
    return None if row is None else _with_clock(row, f"{_document_state(row)}|{key}|{row.published}|{row.latest}")


def version_fingerprint(slug: str, number: int) -> str | None:
    """An older version compared with the current one: no comments on that page."""
    row = _one_row(_DOCUMENT, {"slug": slug})
    return None if row is None else _with_clock(row, f"{_document_state(row)}|v{number}")


def _one_row(statement, parameters: dict):
    """The statement's only row, or None; the connection goes back to the pool at once."""
    with db.engine.connect() as connection:
        return connection.execute(statement, parameters).one_or_none()


class Fingerprint(str):
    """A fingerprint, which also says when the clock alone will next change the page (`changes_at`, UTC): the
    date moving on, or the consultation opening or closing. The page cache keeps a page matched to Redis's
    change token (consult_app/page_changes.py) no longer than that."""

    changes_at: datetime


def _with_clock(row, text: str) -> Fingerprint:
    found = Fingerprint(text)
    now = utcnow()
    zone = ZoneInfo(current_app.config["CONSULT_TIMEZONE"])
    midnight = datetime.combine(local_today(now) + timedelta(days=1), time(), zone).astimezone(UTC)
    found.changes_at = min(moment for moment in (midnight, row.opens_at, row.closes_at) if moment and moment > now)
    return found


def _document_state(row) -> str:
    # consultation_state() reads only opens_at and closes_at, which the row has: no need to load a Document.
    state = Document.consultation_state(row).value
    # The pages count the days left and mark the timeline's next step: both move on with the date.
    today = local_today().isoformat()
    return f"{row.id}|{row.current_version_number}|{row.updated_at.isoformat()}|{state}|{today}"


_DOCUMENT_COLUMNS = (
    Document.id,
    Document.current_version_number,
    Document.updated_at,
    Document.opens_at,
    Document.closes_at,
)


def _document_statement(published_on_section: bool = False):
    """One small query, built once: the document row by slug, with how many approved public comments it has
    (on section `key` when `published_on_section`) and when the latest of them last changed."""
    published = and_(
        Comment.document_id == Document.id,
        Comment.status == CommentStatus.APPROVED.value,
        Comment.publication.in_(PUBLIC),
    )
    if published_on_section:
        published = and_(published, Comment.section_key == bindparam("key"))
    return (
        select(
            *_DOCUMENT_COLUMNS, func.count(Comment.id).label("published"), func.max(Comment.updated_at).label("latest")
        )
        .outerjoin(Comment, published)
        .where(Document.slug == bindparam("slug"))
        .group_by(*_DOCUMENT_COLUMNS)
    )


_DOCUMENT = select(*_DOCUMENT_COLUMNS).where(Document.slug == bindparam("slug"))
_DOCUMENT_WITH_COMMENTS = _document_statement()
_DOCUMENT_WITH_SECTION_COMMENTS = _document_statement(published_on_section=True)


def database_answers() -> bool:
    """True when a trivial query succeeds (for /healthz)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
