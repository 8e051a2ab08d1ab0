"""What the worklist's filter form offers: documents by title, sections by number and title, countries,
themes and the people comments can be assigned to. Five small queries, whatever the number of comments."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, select

from consult_app.extensions import db
from consult_app.labels import section_label
from consult_app.models import Document, Section, User, Version
from consult_app.models.theme import Theme
from consult_app.services.assignment import assignable_users


@dataclass
class FilterOptions:
    documents: list[tuple[str, str]]  # (slug, title)
    # (document title, [(section key, "9. Bias and fairness")]) in reading order
    sections: list[tuple[str, list[tuple[str, str]]]]
    countries: list[str]
    themes: list[tuple[str, list[tuple[str, str]]]]  # (document title, [(theme id, name)])
    assignees: list[User]

    @property
    def people(self) -> list[tuple[str, str]]:
        return [(str(user.id), user.display_name) for user in self.assignees]

    @property
    def country_choices(self) -> list[tuple[str, str]]:
        return [(country, country) for country in self.countries]


def filter_options() -> FilterOptions:
    documents = list(db.session.execute(select(Document.id, Document.slug, Document.title).order_by(Document.title)))
    titles = {document_id: title for document_id, _, title in documents}
    return FilterOptions(
        documents=[(slug, title) for _, slug, title in documents],
        sections=_grouped(titles, _sections()),
        countries=list(
            db.session.scalars(select(User.country).where(User.country != "").distinct().order_by(User.country))
        ),
        themes=_grouped(titles, _themes()),
        assignees=assignable_users(),
    )


def _sections() -> list[tuple[int, str, str]]:
    found = (
        select(Version.document_id, Section.key, Section.number, Section.title)
        .join(Version, Section.version_id == Version.id)
        .join(Document, and_(Version.document_id == Document.id, Version.number == Document.current_version_number))
        .order_by(Version.document_id, Section.number)
    )
    return [
        (document_id, key, section_label(number, title))
        for document_id, key, number, title in db.session.execute(found)
    ]


def _themes() -> list[tuple[int, str, str]]:
    parents = {theme_id: name for theme_id, name in db.session.execute(select(Theme.id, Theme.name))}
    found = select(Theme.document_id, Theme.id, Theme.name, Theme.parent_id).order_by(Theme.document_id, Theme.name_key)
    return [
        (document_id, str(theme_id), f"{parents[parent_id]}: {name}" if parent_id in parents else name)
        for document_id, theme_id, name, parent_id in db.session.execute(found)
    ]


def _grouped(titles: dict[int, str], rows: list[tuple[int, str, str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Rows (document id, value, label) as option groups per document, in the documents' order."""
    groups: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for document_id, value, text in rows:
        groups[document_id].append((value, text))
    return [(title, groups[document_id]) for document_id, title in titles.items() if groups.get(document_id)]
