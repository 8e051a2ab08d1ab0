"""A live site of its own for the hostile-input tests: every vector in every place a person can put text.

For each vector (the XSS corpora of tests/data/corpora plus our own cases) the seed makes, through the same services the
forms use:

- an account whose name, organisation and country are the vector (cut to the fields' lengths);
- a published comment by that account whose body and quoted passage are the vector, with the drafting
  team's response being the vector too (a third of them private, a third anonymous);
- a published reply whose body is the vector, under that comment when it is public, otherwise under the
  section's latest public one (a private comment is not published and takes no replies);
- a pending comment with the vector as body and quote (the moderation queue);
- a comment by the logged-in reviewer, rejected with the vector as the moderator's note and answered with
  the vector as response (the history page, the reviewer's account page).

The guidance document itself carries every vector twice: as literal text in a code block (so that a comment
can quote it exactly) and as Markdown of the guidance (the guidance sanitiser's turn). Version 2 adds a
line to each section, so the old-version view shows version 1 beside it. The staff accounts' names are
vectors too, so that they are in the header of every page those accounts see.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from consult_app.extensions import db
from consult_app.models import Document, Section, User
from consult_app.models.comment import CommentKind, Disposition, Publication, RejectionReason
from consult_app.models.types import utcnow
from consult_app.models.user import COUNTRY_MAX, NAME_MAX, ORGANISATION_MAX, RespondentType
from consult_app.permissions import Role
from consult_app.services import accounts, comments, moderation
from consult_app.services.accounts import USERS_PER_PAGE
from consult_app.services.guidance import load_guidance
from tests.browser.site import running, site_app

SLUG = "hostile"
PER_SECTION = 40
PASSWORD = "hostile input test passphrase"
STAFF_ROLES = ("admin", "moderator", "reviewer")
FENCE = "~" * 12


@dataclass(frozen=True)
class HostileSite:
    base_url: str
    slug: str
    section_keys: tuple[str, ...]
    vectors: tuple[str, ...]
    quoted: int  # comments whose quote is the vector (the quote check accepted it)
    rejected_ids: tuple[int, ...]  # the reviewer's rejected comments: one history page each
    user_pages: int  # pages of the admin's list of accounts

    def account(self, role: str) -> tuple[str, str]:
        return f"{role}@hostile.example.org", PASSWORD


def guidance_source(vectors: Sequence[str], revised: bool) -> str:
    lines = [
        "---",
        "title: Hostile input",
        f"slug: {SLUG}",
        'summary: "Every vector of the corpora, as literal text and as Markdown of the guidance."',
        "consultation:",
        "  opens: 2020-01-01T00:00:00Z",
        "  closes: 2099-12-31T00:00:00Z",
        "---",
        "",
    ]
    for number, start in enumerate(range(0, len(vectors), PER_SECTION), 1):
        chunk = vectors[start : start + PER_SECTION]
        lines += [f"## Part {number} {{#part-{number}}}", ""]
        for vector in chunk:  # literal first, so that raw HTML further down cannot swallow it
            lines += [FENCE, vector, FENCE, ""]
        if revised:
            lines += [f"Added in version 2 of part {number}.", ""]
        for vector in chunk:
            lines += [vector, ""]
    return "\n".join(lines)


def _load(folder: Path, vectors: Sequence[str]) -> Document:
    path = folder / f"{SLUG}.md"
    for revised in (False, True):
        path.write_text(guidance_source(vectors, revised), encoding="utf-8")
        load_guidance([path])
        db.session.commit()
    return db.session.scalar(select(Document).where(Document.slug == SLUG))


def _staff(vectors: Sequence[str]) -> dict[str, User]:
    staff = {}
    for index, role in enumerate(STAFF_ROLES):
        profile = accounts.Profile(vectors[index][:NAME_MAX], vectors[index][:ORGANISATION_MAX], "individual", "")
        staff[role] = accounts.create_account(f"{role}@hostile.example.org", PASSWORD, profile, Role(role))
    db.session.flush()
    return staff


def _authors(vectors: Sequence[str]) -> list[User]:
    """One account per vector; one password hash for all, since hashing hundreds of times is slow."""
    password_hash = generate_password_hash(PASSWORD)
    types = list(RespondentType)
    users = [
        User(
            email=f"author{index}@hostile.example.org",
            display_name=vector[:NAME_MAX],
            organisation=vector[:ORGANISATION_MAX],
            country=vector[:COUNTRY_MAX],
            respondent_type=types[index % len(types)].value,
            password_hash=password_hash,
            email_confirmed_at=utcnow(),
            privacy_accepted_at=utcnow(),
        )
        for index, vector in enumerate(vectors)
    ]
    db.session.add_all(users)
    db.session.flush()
    return users


def _comment(author: User, document: Document, section: Section, vector: str, **fields):
    """A comment quoting `vector` when the section's text has it exactly; returns (comment, quoted)."""
    try:
        draft = comments.Draft(body=vector, quote=vector, **fields)
        return comments.create_comment(author, document, section, draft), True
    except comments.CommentError as error:
        if error.field != "quote":
            raise
    return comments.create_comment(author, document, section, comments.Draft(body=vector, **fields)), False


def _seed(app, folder: Path, vectors: Sequence[str]) -> dict[str, object]:
    kinds, dispositions, reasons = list(CommentKind), list(Disposition), list(RejectionReason)
    publications = [Publication.PUBLIC_NAMED, Publication.PUBLIC_ANONYMOUS, Publication.PRIVATE]
    with app.app_context():
        flask_migrate.upgrade()
        document = _load(folder, vectors)
        sections = db.session.scalars(
            select(Section)
            .where(Section.version.has(document_id=document.id, number=document.current_version_number))
            .order_by(Section.number)
        ).all()
        staff = _staff(vectors)
        moderator, reviewer = staff["moderator"], staff["reviewer"]
        authors = _authors(vectors)
        quoted, rejected = 0, []
        latest_public = None
        for index, vector in enumerate(vectors):
            section = sections[index // PER_SECTION]
            # A section's first comment is public, so that there is always a public one to reply under.
            publication = publications[0 if index % PER_SECTION == 0 else index % len(publications)].value
            kind = kinds[index % len(kinds)].value
            published, was_quoted = _comment(
                authors[index], document, section, vector, kind=kind, publication=publication
            )
            quoted += was_quoted
            moderation.decide(moderator, published.id, "approve")
            moderation.set_disposition(moderator, published, dispositions[index % len(dispositions)].value, vector)

            if published.is_public:
                latest_public = published
            reply_author = authors[(index + 1) % len(authors)]
            reply = comments.create_comment(
                reply_author, document, section, comments.Draft(body=vector, parent_id=latest_public.id)
            )
            moderation.decide(moderator, reply.id, "approve")

            _comment(authors[index], document, section, vector, kind=kind, publication=publication)  # pending

            own, _ = _comment(reviewer, document, section, vector, kind=kind)
            moderation.decide(moderator, own.id, "reject", reasons[index % len(reasons)].value, vector[:1000])
            moderation.set_disposition(moderator, own, Disposition.NOTED.value, vector)
            rejected.append(own.id)
        db.session.commit()
        facts = {
            "section_keys": tuple(section.key for section in sections),
            "quoted": quoted,
            "rejected_ids": tuple(rejected),
            "user_pages": -(-db.session.query(User).count() // USERS_PER_PAGE),
        }
        db.session.remove()
        db.engine.dispose()
    return facts


@contextmanager
def serve_hostile(folder: Path, mail_url: str, vectors: Sequence[str]) -> Iterator[HostileSite]:
    app = site_app(folder, mail_url)
    facts = _seed(app, folder, vectors)
    with running(app) as base_url:
        yield HostileSite(base_url=base_url, slug=SLUG, vectors=tuple(vectors), **facts)
