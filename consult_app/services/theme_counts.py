"""How many comments carry each theme, per document and per section: for the dashboard and the summary.

A fixed number of queries (five) for any number of documents: counts are GROUP BY queries over every asked
document at once. A top-level theme is counted twice over: the comments tagged with it, and the comments
tagged with it or any of its sub-themes (each comment once), because coding often goes to the finer level.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.labels import section_label
from consult_app.models import Comment, CommentStatus, Document, Section, Theme, Version, comment_themes

# Every status, as the dashboard's other counts: each figure there leads to the worklist, which lists them all.
COUNTED = tuple(status.value for status in CommentStatus)


@dataclass
class ThemeRow:
    theme: Theme
    comments: int = 0  # tagged with this theme
    with_sub_themes: int | None = None  # top-level themes with sub-themes: tagged with it or one of them
    by_section: dict[str, int] = field(default_factory=dict)  # section key -> comments tagged with this theme

    @property
    def is_sub_theme(self) -> bool:
        return self.theme.parent_id is not None


@dataclass(frozen=True)
class SectionColumn:
    key: str
    number: int
    title: str

    @property
    def label(self) -> str:
        return section_label(self.number, self.title)


@dataclass
class ThemeFigures:
    """One document's themes in frame order with their counts, and the current version's sections."""

    rows: list[ThemeRow]
    sections: list[SectionColumn]
    tagged: int  # comments with at least one theme

    def main(self, key: str, limit: int = 5) -> list[tuple[Theme, int]]:
        """The themes most comments of section `key` carry, most first (then in frame order)."""
        ranked = sorted(
            ((index, row) for index, row in enumerate(self.rows) if row.by_section.get(key)),
            key=lambda pair: (-pair[1].by_section[key], pair[0]),
        )
        return [(row.theme, row.by_section[key]) for _, row in ranked[:limit]]


def theme_figures(documents: Sequence[Document], statuses: Collection[str] = COUNTED) -> dict[int, ThemeFigures]:
    """ThemeFigures for each document, counting comments in `statuses` (by default every status)."""
    ids = [document.id for document in documents]
    if not ids:
        return {}
    themes = _themes(ids)
    pairs = _pair_counts(ids, statuses)
    rolled = _rolled_up_counts(ids, statuses)
    tagged = _tagged_counts(ids, statuses)
    sections = _sections(ids)
    figures = {}
    for document in documents:
        rows = []
        for theme in themes[document.id]:
            by_section = pairs.get(theme.id, {})
            has_children = any(other.parent_id == theme.id for other in themes[document.id])
            rows.append(
                ThemeRow(
                    theme,
                    comments=sum(by_section.values()),
                    with_sub_themes=rolled.get(theme.id, 0) if has_children else None,
                    by_section=by_section,
                )
            )
        figures[document.id] = ThemeFigures(rows, sections[document.id], tagged.get(document.id, 0))
    return figures


def _themes(ids: list[int]) -> dict[int, list[Theme]]:
    """Each document's themes in frame order: a top-level theme, then its sub-themes, by name."""
    themes = list(db.session.scalars(select(Theme).where(Theme.document_id.in_(ids)).order_by(Theme.name_key)))
    children: dict[int, list[Theme]] = defaultdict(list)
    for theme in themes:
        if theme.parent_id is not None:
            children[theme.parent_id].append(theme)
    ordered: dict[int, list[Theme]] = defaultdict(list)
    for theme in themes:
        if theme.parent_id is None:
            ordered[theme.document_id] += [theme, *children[theme.id]]
    return ordered


def _counted(ids: list[int], statuses: Collection[str]):
    return (Comment.document_id.in_(ids), Comment.status.in_(list(statuses)))


def _pair_counts(ids: list[int], statuses: Collection[str]) -> dict[int, dict[str, int]]:
    statement = (
        select(comment_themes.c.theme_id, Comment.section_key, func.count())
        .join(Comment, Comment.id == comment_themes.c.comment_id)
        .where(*_counted(ids, statuses))
        .group_by(comment_themes.c.theme_id, Comment.section_key)
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for theme_id, key, count in db.session.execute(statement):
        counts[theme_id][key] = count
    return counts


def _rolled_up_counts(ids: list[int], statuses: Collection[str]) -> dict[int, int]:
    """Top-level theme id -> comments tagged with it or one of its sub-themes, each comment once."""
    top = func.coalesce(Theme.parent_id, Theme.id)
    statement = (
        select(top, func.count(func.distinct(comment_themes.c.comment_id)))
        .join(Theme, Theme.id == comment_themes.c.theme_id)
        .join(Comment, Comment.id == comment_themes.c.comment_id)
        .where(*_counted(ids, statuses))
        .group_by(top)
    )
    return {key: count for key, count in db.session.execute(statement)}


def _tagged_counts(ids: list[int], statuses: Collection[str]) -> dict[int, int]:
    statement = (
        select(Comment.document_id, func.count(func.distinct(Comment.id)))
        .join(comment_themes, Comment.id == comment_themes.c.comment_id)
        .where(*_counted(ids, statuses))
        .group_by(Comment.document_id)
    )
    return {key: count for key, count in db.session.execute(statement)}


def _sections(ids: list[int]) -> dict[int, list[SectionColumn]]:
    statement = (
        select(Version.document_id, Section.key, Section.number, Section.title)
        .join(Version, Section.version_id == Version.id)
        .join(Document, Document.id == Version.document_id)
        .where(Version.document_id.in_(ids), Version.number == Document.current_version_number)
        .order_by(Section.number)
    )
    sections: dict[int, list[SectionColumn]] = defaultdict(list)
    for document_id, key, number, title in db.session.execute(statement):
        sections[document_id].append(SectionColumn(key, number, title))
    return sections
