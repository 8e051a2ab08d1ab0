"""The moderators' dashboard: how many comments came in, where, from whom, when, and how far the work has got.

`build_dashboard` answers with plain dataclasses and runs a fixed number of queries (seven at most) whatever
the number of documents or sections: counts are GROUP BY queries over every document at once, and the
figures that need date arithmetic (ISO weeks, the median time to a decision) are computed in Python from
the raw timestamps, because SQLite and PostgreSQL share no date functions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.models import (
    Comment,
    CommentKind,
    CommentStatus,
    Disposition,
    Document,
    RespondentType,
    Section,
    User,
    Version,
)
from consult_app.models.comment import DELETED_ACCOUNT  # noqa: F401 - its English form, imported from here
from consult_app.services.comments import published
from consult_app.services.counts import SectionCounts, staff_counts

if TYPE_CHECKING:
    from consult_app.services.coverage import DocumentCoverage

STATUSES: tuple[str, ...] = tuple(status.value for status in CommentStatus)
KINDS: tuple[str, ...] = tuple(kind.value for kind in CommentKind)
REMOVED_SECTIONS = _l("Sections removed from the document")


class UnknownDocumentError(LookupError):
    """No document has the slug that was asked for."""


@dataclass
class Counts:
    """Comments by status and by kind; every status and kind is present, in the order of their enums."""

    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def add(self, status: str, kind: str, count: int) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + count
        self.by_kind[kind] = self.by_kind.get(kind, 0) + count


@dataclass
class SectionRow:
    """One section of the current version, or (`removed`) every comment whose section key is gone."""

    label: str
    counts: Counts = field(default_factory=Counts)
    key: str | None = None
    removed: bool = False
    number: int | None = None
    title: str = ""


@dataclass(frozen=True)
class Share:
    """`part` out of `whole`; the percentage is None when there is nothing to divide."""

    part: int
    whole: int

    @property
    def percent(self) -> int | None:
        """Rounded half up, except that it never says 0% or 100% when that is not exactly true."""
        if not self.whole:
            return None
        rounded = (200 * self.part + self.whole) // (2 * self.whole)
        if rounded == 100 and self.part < self.whole:
            return 99
        if rounded == 0 and self.part > 0:
            return 1
        return rounded


@dataclass
class DocumentDashboard:
    document: Document
    sections: list[SectionRow]
    total: Counts
    # Comments with a disposition, out of the comments that are not withdrawn.
    disposition: Share
    respondents: list[tuple[str, int]]
    weeks: list[tuple[str, int]]
    # Over the comments a moderator approved or rejected (`decided` of them); None when there are none.
    median_decision: timedelta | None
    decided: int
    # Per section key, the one comment count of the reading pages, as moderators see it (services/counts.py).
    comment_counts: SectionCounts = field(default_factory=SectionCounts)
    # Dispositions per section and the oldest comment awaiting moderation (services/coverage.DocumentCoverage).
    coverage: DocumentCoverage | None = None

    @property
    def section_bars(self) -> list[tuple[str, int]]:
        return [(row.label, row.counts.total) for row in self.sections]


@dataclass
class Dashboard:
    documents: list[DocumentDashboard]
    # Per document id and section key: the reading pages' comment count, as moderators see it (services/counts.py).
    comment_counts: dict[int, SectionCounts] = field(default_factory=dict)
    statuses: tuple[str, ...] = STATUSES
    kinds: tuple[str, ...] = KINDS


def build_dashboard(document_slug: str | None = None, *, zone: tzinfo | None = None) -> Dashboard:
    """Figures for every document (ordered by title), or only for `document_slug`.

    Counts include replies and comments of every status. Weeks are ISO weeks in `zone` (by default the
    zone the app shows times in, CONSULT_TIMEZONE), from the first week with a comment to the last.
    Raise UnknownDocumentError when `document_slug` matches no document.
    """
    statement = select(Document).order_by(Document.title, Document.id)
    if document_slug is not None:
        statement = statement.where(Document.slug == document_slug)
    documents = list(db.session.scalars(statement))
    if document_slug is not None and not documents:
        raise UnknownDocumentError(document_slug)
    if not documents:
        return Dashboard([])
    zone = zone or ZoneInfo(current_app.config["CONSULT_TIMEZONE"])
    ids = [document.id for document in documents]
    sections = _current_sections(ids)
    counts = _status_kind_counts(ids)
    respondents = _respondent_counts(ids)
    times = _timestamps(ids)
    comment_counts = staff_counts(ids)
    dashboards = [
        _document_dashboard(
            document, sections[document.id], counts[document.id], respondents[document.id], times[document.id], zone
        )
        for document in documents
    ]
    _add_coverage(dashboards, sections)
    return Dashboard(dashboards, comment_counts=comment_counts)


def _add_coverage(dashboards: list[DocumentDashboard], sections: dict[int, list[tuple[str, int, str]]]) -> None:
    """Dispositions per section and the oldest comment waiting (services/coverage.py, which uses Share)."""
    from consult_app.services.coverage import coverage

    current_keys = {document_id: {key for key, *_ in rows} for document_id, rows in sections.items()}
    found = coverage([figures.document.id for figures in dashboards], current_keys)
    for figures in dashboards:
        figures.coverage = found[figures.document.id]


@dataclass
class PublishedFigures:
    """The dashboard's counts over the comments everyone may read (services/comments.published), for the public
    statistics: every section, kind, respondent type and disposition is present, zeros included."""

    sections: list[SectionRow]
    total: Counts
    # Every respondent type's code, then None for the comments whose author deleted the account.
    respondents: dict[str | None, int]
    # Every disposition, then None for the comments not answered yet.
    dispositions: dict[str | None, int]


def published_figures(document: Document) -> PublishedFigures:
    """Four queries, whatever the number of comments."""
    ids, only_published = [document.id], published()
    sections, total = _section_rows(
        _current_sections(ids)[document.id], _status_kind_counts(ids, only_published)[document.id]
    )
    respondents = _respondent_counts(ids, only_published)[document.id]
    dispositions = _disposition_counts(ids, only_published)[document.id]
    return PublishedFigures(
        sections=sections,
        total=total,
        respondents={
            **{kind.value: respondents.get(kind.value, 0) for kind in RespondentType},
            None: respondents.get(None, 0),
        },
        dispositions={
            **{kind.value: dispositions.get(kind.value, 0) for kind in Disposition},
            None: dispositions.get(None, 0),
        },
    )


# --- queries, each over every document asked for; `where` narrows the comments counted --------------------


def _current_sections(ids: list[int]) -> dict[int, list[tuple[str, int, str]]]:
    """(key, number, title) of each document's current version, in reading order."""
    statement = (
        select(Version.document_id, Section.key, Section.number, Section.title)
        .join(Version, Section.version_id == Version.id)
        .join(Document, Version.document_id == Document.id)
        .where(Version.document_id.in_(ids), Version.number == Document.current_version_number)
        .order_by(Version.document_id, Section.number)
    )
    found: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
    for document_id, key, number, title in db.session.execute(statement):
        found[document_id].append((key, number, title))
    return found


def _status_kind_counts(ids: list[int], where=None) -> dict[int, list[tuple[str, str, str, int, int]]]:
    """(section key, status, kind, comments, comments with a disposition) per document."""
    statement = (
        select(
            Comment.document_id,
            Comment.section_key,
            Comment.status,
            Comment.kind,
            func.count(),
            # COUNT(column) skips NULLs on every database: the comments that have a disposition.
            func.count(Comment.disposition),
        )
        .where(Comment.document_id.in_(ids), *_narrowed(where))
        .group_by(Comment.document_id, Comment.section_key, Comment.status, Comment.kind)
    )
    found: dict[int, list[tuple[str, str, str, int, int]]] = defaultdict(list)
    for document_id, *row in db.session.execute(statement):
        found[document_id].append(tuple(row))
    return found


def _respondent_counts(ids: list[int], where=None) -> dict[int, dict[str | None, int]]:
    """Comments per author's respondent type; None stands for comments whose author deleted the account."""
    statement = (
        select(Comment.document_id, User.respondent_type, func.count())
        .outerjoin(User, Comment.author_id == User.id)
        .where(Comment.document_id.in_(ids), *_narrowed(where))
        .group_by(Comment.document_id, User.respondent_type)
    )
    found: dict[int, dict[str | None, int]] = defaultdict(dict)
    for document_id, respondent_type, count in db.session.execute(statement):
        found[document_id][respondent_type] = count
    return found


def _disposition_counts(ids: list[int], where=None) -> dict[int, dict[str | None, int]]:
    """Comments per disposition; None stands for comments without one."""
    statement = (
        select(Comment.document_id, Comment.disposition, func.count())
        .where(Comment.document_id.in_(ids), *_narrowed(where))
        .group_by(Comment.document_id, Comment.disposition)
    )
    found: dict[int, dict[str | None, int]] = defaultdict(dict)
    for document_id, disposition, count in db.session.execute(statement):
        found[document_id][disposition] = count
    return found


def _narrowed(where) -> tuple:
    return () if where is None else (where,)


def _timestamps(ids: list[int]) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """(created_at, moderated_at) of every comment, per document."""
    statement = select(Comment.document_id, Comment.created_at, Comment.moderated_at).where(
        Comment.document_id.in_(ids)
    )
    found: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for document_id, created_at, moderated_at in db.session.execute(statement):
        found[document_id].append((created_at, moderated_at))
    return found


# --- putting one document together ------------------------------------------------------------------------


def _document_dashboard(
    document: Document,
    sections: list[tuple[str, int, str]],
    counts: list[tuple[str, str, str, int, int]],
    respondents: dict[str | None, int],
    times: list[tuple[datetime, datetime | None]],
    zone: tzinfo,
) -> DocumentDashboard:
    section_rows, total = _section_rows(sections, counts)
    responded, answerable = 0, 0
    for _, status, _, count, with_disposition in counts:
        if status != CommentStatus.WITHDRAWN.value:
            responded, answerable = responded + with_disposition, answerable + count
    waits = [decided - created for created, decided in times if decided is not None]
    return DocumentDashboard(
        document=document,
        sections=section_rows,
        total=total,
        disposition=Share(responded, answerable),
        respondents=_respondent_bars(respondents),
        weeks=weekly_counts([created_at for created_at, _ in times], zone),
        median_decision=median_duration(waits),
        decided=len(waits),
    )


def _section_rows(
    sections: list[tuple[str, int, str]], counts: list[tuple[str, str, str, int, int]]
) -> tuple[list[SectionRow], Counts]:
    """A row per section of the current version, then one for every comment whose section is gone (when there
    are any), and the totals."""
    rows = {
        key: SectionRow(f"{number}. {title}", key=key, number=number, title=title) for key, number, title in sections
    }
    removed = SectionRow(REMOVED_SECTIONS, removed=True, title=REMOVED_SECTIONS)
    total = Counts()
    for key, status, kind, count, _ in counts:
        rows.get(key, removed).counts.add(status, kind, count)
        total.add(status, kind, count)
    return list(rows.values()) + ([removed] if removed.counts.total else []), total


def _respondent_bars(counts: dict[str | None, int]) -> list[tuple[str, int]]:
    """Every respondent type, zeros included, then the deleted accounts."""
    bars = [(kind.label, counts.get(kind.value, 0)) for kind in RespondentType]
    # DELETED_ACCOUNT in the reader's language (written out, so that the catalogue extracts it).
    return [*bars, (gettext("Deleted account"), counts.get(None, 0))]


def week_label(day: date) -> str:
    """The ISO week of `day`: '2026-W48' (the ISO year, which differs from the calendar year near 1 January)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_counts(moments: list[datetime], zone: tzinfo) -> list[tuple[str, int]]:
    """Comments per ISO week in `zone`, every week from the first to the last one with a comment."""
    if not moments:
        return []
    mondays: dict[date, int] = defaultdict(int)
    for moment in moments:
        day = moment.astimezone(zone).date()
        mondays[day - timedelta(days=day.weekday())] += 1
    monday, last = min(mondays), max(mondays)
    weeks = []
    while monday <= last:
        weeks.append((week_label(monday), mondays.get(monday, 0)))
        monday += timedelta(weeks=1)
    return weeks


def median_duration(durations: list[timedelta]) -> timedelta | None:
    """The median, the mean of the two middle values when there is an even number; None for no values."""
    if not durations:
        return None
    ordered, middle = sorted(durations), len(durations) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def describe_duration(duration: timedelta | None) -> str:
    """'2 days 4 hours', '1 hour 5 minutes', '35 minutes': the largest unit and the next, rounded down."""
    if duration is None:
        return ""
    minutes = int(duration.total_seconds() // 60)
    if minutes < 1:
        return gettext("less than a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        (days, lambda n: ngettext("%(num)d day", "%(num)d days", n)),
        (hours, lambda n: ngettext("%(num)d hour", "%(num)d hours", n)),
        (minutes, lambda n: ngettext("%(num)d minute", "%(num)d minutes", n)),
    ]
    # The largest unit and the one just below it: "2 days 5 minutes" would suggest a precision not meant.
    first = next(index for index, (amount, _) in enumerate(parts) if amount)
    return " ".join(words(amount) for amount, words in parts[first : first + 2] if amount)
