"""A ready-to-try consultation: the guidance, one account per role, and comments in every state.

Only for development and demonstrations: the command refuses to run in production.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from consult_app.extensions import db
from consult_app.models import Comment, Document, ModerationEvent, OutboxMail, Section, User, Version
from consult_app.models.types import utcnow
from consult_app.permissions import Role
from consult_app.services import accounts, comments, moderation
from consult_app.services.guidance import load_guidance
from consult_app.text import html_to_text

STAFF = [
    ("admin@example.org", "Alex Admin", Role.ADMIN, "demo admin passphrase"),
    ("moderator@example.org", "Morgan Moderator", Role.MODERATOR, "demo moderator passphrase"),
    ("reviewer@example.org", "Robin Reviewer", Role.REVIEWER, "demo reviewer passphrase"),
]
REVIEWERS = [
    ("Amina Diallo", "National Statistics Institute", "national_statistics_office", "Senegal"),
    ("Lars Nilsen", "Statistics Directorate", "national_statistics_office", "Norway"),
    ("Priya Raman", "University of Leeds", "academia_research", "United Kingdom"),
    ("Jorge Castillo", "Ministry of Planning", "other_government", "Chile"),
    ("Mei Chen", "Regional Statistics Partnership", "international_organisation", "Thailand"),
    ("Sam Okafor", "Open Data Watch Group", "civil_society", "Nigeria"),
    ("Elena Petrova", "", "individual", "Bulgaria"),
    ("Tomás Silva", "Analytics Consultancy", "private_sector", "Portugal"),
]
# (kind, text, section key): a comment that speaks of one section's subject goes to that section; one without a
# key fits any section and goes wherever the rotation puts it.
BODIES = [
    (
        "suggestion",
        "Please add a worked example of how to document the **training data**, including what was left out.",
        None,
    ),
    ("concern", "The section does not say who decides when a model is *not* good enough to publish with.", None),
    ("support", "This is clear and practical. We already follow most of this in our price statistics.", None),
    (
        "general",
        "How does this apply to models bought from a vendor, where the training data cannot be inspected?",
        "third-party-tools",
    ),
    (
        "suggestion",
        "Consider a short checklist at the end of the section:\n\n- purpose\n- data\n- review\n- sign-off",
        None,
    ),
    (
        "concern",
        "Small offices may not have the staff for all of these steps. A proportionate version would help.",
        None,
    ),
    ("general", "Could the glossary define *drift* and *retraining* in plain language?", "monitoring"),
    ("support", "Strongly agree with keeping a human reviewer for low-confidence cases.", "methods-quality"),
    (
        "suggestion",
        "Link to the principles on confidentiality so readers see where the duty comes from.",
        "confidentiality",
    ),
    ("concern", "Publishing model details could help someone re-identify people in small areas.", "transparency"),
]
REPLIES = [
    "We had the same question in our office.",
    "Agreed. An example would make this much easier to apply.",
    "In our experience a short review meeting each quarter was enough.",
]
RESPONSES = [
    ("accepted", "Thank you. The next version adds this."),
    ("partially_accepted", "We added a shorter version of this suggestion."),
    ("noted", "Thank you; we will consider this for the companion material."),
    ("not_accepted", "We think this is covered by the section on accountability."),
]


class DemoError(RuntimeError):
    """The demo cannot be set up here (production, or data that a reset was not asked to remove)."""


@dataclass
class DemoReport:
    documents: int
    accounts: list[tuple[str, str, str]]
    comments: int


def has_data() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(User)))


def reset() -> None:
    """Remove every row, children first, keeping the schema."""
    db.session.execute(update(Comment).values(parent_id=None))  # replies point at comments: unlink first
    for model in (OutboxMail, ModerationEvent, Comment, User, Section, Version, Document):
        db.session.execute(delete(model))
    db.session.flush()


def build(guidance_paths) -> DemoReport:
    """Load the guidance and create accounts and about 40 comments; the caller commits."""
    reports = load_guidance(guidance_paths)
    staff = {role: _account(email, name, role, password) for email, name, role, password in STAFF}
    people = [_reviewer(number, *fields) for number, fields in enumerate(REVIEWERS, start=1)]
    people.append(staff[Role.REVIEWER])
    rng = random.Random(2026)  # noqa: S311 - sample data, the same every time; nothing secret

    count = 0
    # The sample comments are in English, on the originals; a translation (guidance/*.fr.md) starts with none.
    for document in db.session.scalars(select(Document).where(Document.translation_of.is_(None))).all():
        count += _comment_on(document, people, staff[Role.MODERATOR])
    _spread_over_past_weeks(rng)
    accounts_list = [(email, role.value, password) for email, _, role, password in STAFF]
    return DemoReport(len(reports), accounts_list, count)


def _account(email: str, name: str, role: Role, password: str) -> User:
    profile = accounts.Profile(name, "Consultation secretariat", "international_organisation", "")
    return accounts.create_account(email, password, profile, role)


def _reviewer(number: int, name: str, organisation: str, respondent_type: str, country: str) -> User:
    profile = accounts.Profile(name, organisation, respondent_type, country)
    return accounts.create_account(f"reviewer{number}@example.org", f"demo reviewer {number} passphrase", profile)


def _comment_on(document: Document, people: list[User], moderator: User) -> int:
    version = db.session.scalar(
        select(Version).where(Version.document_id == document.id, Version.number == document.current_version_number)
    )
    sections = version.sections
    created = 0
    for number in range(32):
        kind, body, key = BODIES[number % len(BODIES)]
        section, author = _section_for(sections, key, number), people[number % len(people)]
        quote = _first_sentence(section) if number % 3 == 0 else ""
        # Every fourth comment gets a reply (_moderate), so it is public; the others rotate through all three.
        publication = ("public_named", "public_anonymous", "private")[number % 3 if number % 4 else 0]
        draft = comments.Draft(body, kind, quote, publication)
        comment = comments.create_comment(author, document, section, draft)
        created += 1 + _moderate(comment, number, moderator, people, document, section)
    return created


def _section_for(sections: list[Section], key: str | None, number: int) -> Section:
    """The section a comment speaks of, or the next in the rotation when it fits any (or the key is gone)."""
    return next((section for section in sections if section.key == key), sections[number % len(sections)])


def _moderate(
    comment: Comment,
    number: int,
    moderator: User,
    people: list[User],
    document: Document,
    section: Section,
) -> int:
    """Leave some pending; approve most, reject a few, withdraw one; answer many; reply to some."""
    if number % 8 == 7:
        return 0  # stays pending
    if number == 5:
        comments.withdraw_comment(comment.author, comment)
        return 0
    if number % 10 == 9:
        moderation.decide(moderator, comment.id, "reject", "off_topic", "Not about this section.")
        moderation.set_disposition(moderator, comment, "out_of_scope", "Outside the scope of this guidance.")
        return 0
    moderation.decide(moderator, comment.id, "approve")
    if number % 2 == 0:
        moderation.set_disposition(moderator, comment, *RESPONSES[number % len(RESPONSES)])
    if number % 4 == 0:  # public (see build): a private comment is not published and gets no replies
        replier = people[(number + 3) % len(people)]
        reply = comments.create_comment(
            replier,
            document,
            section,
            comments.Draft(REPLIES[number % len(REPLIES)], "general", "", "public_named", comment.id),
        )
        if number % 8 == 0:
            moderation.decide(moderator, reply.id, "approve")
        return 1
    return 0


def _spread_over_past_weeks(rng: random.Random) -> None:
    """Date the sample over the past six weeks, oldest first, so the dashboard has something to show."""
    sample = list(db.session.scalars(select(Comment).order_by(Comment.id)))
    for position, comment in enumerate(sample):
        comment.created_at = utcnow() - timedelta(
            days=42 * (len(sample) - position) / len(sample), hours=rng.randint(0, 6)
        )
        if comment.moderated_at is not None:
            comment.moderated_at = comment.created_at + timedelta(hours=rng.randint(2, 60))
    db.session.flush()


def _first_sentence(section: Section) -> str:
    text = html_to_text(section.html)
    return text.split(". ")[0][:200].strip()
