"""The summary of responses: the published account of a consultation, for the web page and the Word document.

What it holds, and what it never holds:

- Figures count every approved comment (replies included), public and private alike: a private comment is part
  of what people said. Pending, rejected and withdrawn comments are not responses to report.
- "Who responded" counts people (distinct authors) and their comments by respondent type and by country:
  counts only, never a name, so nobody who chose anonymity or privacy is named there.
- Each section lists its approved *public* comments with the drafting team's disposition and response ("you
  said / we did"). A private comment's text is never quoted; an anonymous comment's author is shown as
  "Anonymous reviewer" with their respondent type, as on the section page.
- The main themes of each section (services/theme_counts.py) over the same approved comments, and the
  "changes made in response to comments" notes written with new versions of the section.

Until a moderator publishes it (`documents.responses_published_at`), the page is a preview for staff only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consult_app import links
from consult_app.extensions import db
from consult_app.labels import label, section_label
from consult_app.models import Comment, CommentStatus, Document, Section, User, Version
from consult_app.models.comment import Publication
from consult_app.models.types import utcnow
from consult_app.permissions import can_publish_responses
from consult_app.services.theme_counts import theme_figures

ANONYMOUS = _l("Anonymous reviewer")
NOT_GIVEN = _l("Not given")
MAIN_THEMES = 5


class SummaryError(ValueError):
    """A publication request that cannot be carried out; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Tally:
    """One line of "who responded": a label, how many people, how many comments."""

    label: str
    people: int | None  # None for comments of deleted accounts: how many people wrote them is not known
    comments: int


@dataclass(frozen=True)
class Quoted:
    """An approved public comment as the summary quotes it."""

    reference: str
    author: str
    kind: str
    body: str  # the author's text as written (Markdown source): the DOCX holds it literally
    body_html: str  # sanitised by text.py when the comment was written
    quote: str
    parent_reference: str
    disposition: str  # a label, or "" when the team has not answered yet
    response: str
    link: str  # the comment on its section page, absolute (CONSULT_BASE_URL): also used in the DOCX


@dataclass(frozen=True)
class ChangeNote:
    version: int
    text: str
    html: str


@dataclass
class SectionSummary:
    key: str
    number: int | None
    title: str
    comments: int = 0
    private: int = 0
    themes: list[tuple[str, int]] = field(default_factory=list)
    quoted: list[Quoted] = field(default_factory=list)
    notes: list[ChangeNote] = field(default_factory=list)

    @property
    def label(self) -> str:
        return section_label(self.number, self.title)


@dataclass
class Summary:
    document: Document
    version: Version
    published_at: datetime | None
    comments: int
    people: int
    by_type: list[Tally]
    by_country: list[Tally]
    sections: list[SectionSummary]

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


def set_published(actor: User, document: Document, publish: bool) -> bool:
    """Publish or withdraw the summary; returns False when it already was in that state. Only flushes."""
    if not can_publish_responses(actor):
        raise SummaryError(gettext("Only moderators publish the summary of responses."), 403)
    if (document.responses_published_at is not None) == publish:
        return False
    document.responses_published_at = utcnow() if publish else None
    db.session.flush()
    return True


def build_summary(document: Document) -> Summary:
    """Everything the page and the DOCX show, from a handful of queries (see the module docstring)."""
    version = db.session.scalar(
        select(Version)
        .where(Version.document_id == document.id, Version.number == document.current_version_number)
        .options(selectinload(Version.sections))
    )
    approved = list(
        db.session.scalars(
            select(Comment)
            .where(Comment.document_id == document.id, Comment.status == CommentStatus.APPROVED.value)
            .options(selectinload(Comment.author), selectinload(Comment.parent))
            .order_by(Comment.created_at, Comment.id)
        )
    )
    sections = _sections(document, version, approved)
    by_type, by_country, people = _respondents(approved)
    return Summary(
        document, version, document.responses_published_at, len(approved), people, by_type, by_country, sections
    )


def _sections(document: Document, version: Version, approved: list[Comment]) -> list[SectionSummary]:
    """The current version's sections in order, then (if any comment is on one) the sections it no longer has."""
    sections = {section.key: SectionSummary(section.key, section.number, section.title) for section in version.sections}
    for comment in approved:
        if comment.section_key not in sections:
            sections[comment.section_key] = SectionSummary(comment.section_key, None, _removed_title(comment))
        summary = sections[comment.section_key]
        summary.comments += 1
        if comment.is_public:
            summary.quoted.append(_quoted(document, comment))
        else:
            summary.private += 1
    figures = theme_figures([document], (CommentStatus.APPROVED.value,))[document.id]
    for summary in sections.values():
        summary.themes = [(theme.name, count) for theme, count in figures.main(summary.key, MAIN_THEMES)]
    for note in _change_notes(document):
        if note[0] in sections:
            sections[note[0]].notes.append(note[1])
    return list(sections.values())


def _removed_title(comment: Comment) -> str:
    section = db.session.scalar(
        select(Section).where(Section.version_id == comment.version_id, Section.key == comment.section_key)
    )
    title = section.title if section is not None else comment.section_key
    return gettext("%(title)s (removed from the current version)", title=title)


def _quoted(document: Document, comment: Comment) -> Quoted:
    return Quoted(
        reference=comment.reference,
        author=_author(comment),
        kind=label("kind", comment.kind),
        body=comment.body_md,
        body_html=comment.body_html,
        quote=comment.quote,
        parent_reference=comment.parent.reference if comment.parent is not None else "",
        disposition=label("disposition", comment.disposition),
        response=comment.response,
        link=links.external_url(
            "reading.section", slug=document.slug, key=comment.section_key, _anchor=comment.reference
        ),
    )


def _author(comment: Comment) -> str:
    """As the section page names the author: never a name for an anonymous comment."""
    author = comment.author
    if author is None:
        return _deleted_account()
    if comment.publication == Publication.PUBLIC_ANONYMOUS.value:
        return f"{ANONYMOUS}, {author.respondent_label}"
    return f"{author.display_name}, {author.organisation}" if author.organisation else author.display_name


def _respondents(approved: list[Comment]) -> tuple[list[Tally], list[Tally], int]:
    """Counts by respondent type and by country: people (distinct authors) and comments. No names."""
    people_by_type: dict[str, set[int]] = {}
    people_by_country: dict[str, set[int]] = {}
    comments_by_type: Counter[str] = Counter()
    comments_by_country: Counter[str] = Counter()
    orphans = 0
    for comment in approved:
        author = comment.author
        if author is None:
            orphans += 1
            continue
        kind, country = str(author.respondent_label), author.country.strip() or str(NOT_GIVEN)
        people_by_type.setdefault(kind, set()).add(author.id)
        people_by_country.setdefault(country, set()).add(author.id)
        comments_by_type[kind] += 1
        comments_by_country[country] += 1
    by_type = _tallies(people_by_type, comments_by_type, orphans)
    by_country = _tallies(people_by_country, comments_by_country, orphans)
    return by_type, by_country, len({person for people in people_by_type.values() for person in people})


def _tallies(people: dict[str, set[int]], comments: Counter[str], orphans: int) -> list[Tally]:
    rows = sorted(
        (Tally(name, len(people[name]), comments[name]) for name in people), key=lambda t: (-t.people, t.label)
    )
    return rows + ([Tally(_deleted_account(), None, orphans)] if orphans else [])


def _deleted_account() -> str:
    """models.comment.DELETED_ACCOUNT in the reader's language (the summary is read by the public)."""
    return gettext("Deleted account")


def _change_notes(document: Document) -> list[tuple[str, ChangeNote]]:
    """(section key, note) for every version's section that carries a "changes made" note, oldest first.
    The note's columns come with the guidance upload (models/document.py); without them, there are no notes."""
    note, note_html = getattr(Section, "change_note", None), getattr(Section, "change_note_html", None)
    if note is None or note_html is None:
        return []
    statement = (
        select(Section.key, Version.number, note, note_html)
        .join(Version, Section.version_id == Version.id)
        .where(Version.document_id == document.id, note.is_not(None), note != "")
        .order_by(Version.number, Section.number)
    )
    return [(key, ChangeNote(number, text, html or "")) for key, number, text, html in db.session.execute(statement)]
