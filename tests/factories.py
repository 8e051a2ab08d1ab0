"""Builders for test data: guidance sources written to files and loaded through the real service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from consult_app.extensions import db
from consult_app.models import Document
from consult_app.services.guidance import load_guidance


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def guidance_text(
    *,
    title: str = "Test guidance",
    slug: str = "test-guidance",
    summary: str = "A short document for tests.",
    opens: datetime | None = None,
    closes: datetime | None = None,
    sections: list[tuple[str, str]] | None = None,
    details: str = "",
) -> str:
    """A source file: `sections` are (heading, body) pairs, heading as written after `## `; `details` is more
    front matter (YAML lines such as "organiser: ...")."""
    now = datetime.now(UTC)
    opens = opens or now - timedelta(days=10)
    closes = closes or now + timedelta(days=30)
    sections = sections or [
        ("Introduction {#introduction}", "Why this guidance exists.\n\n### Scope\n\nWhat it covers."),
        ("Public good {#public-good}", "Statistics should serve the *public*."),
        ("Bias and fairness", "Models can be unfair to small groups."),
    ]
    body = "\n\n".join(f"## {heading}\n\n{text}" for heading, text in sections)
    return (
        f"---\ntitle: {title}\nslug: {slug}\nsummary: {summary}\n"
        f"consultation:\n  opens: {iso(opens)}\n  closes: {iso(closes)}\n{details}---\n\n{body}\n"
    )


def write_guidance(folder: Path, name: str = "test-guidance.md", **kwargs) -> Path:
    path = folder / name
    path.write_text(guidance_text(**kwargs), encoding="utf-8")
    return path


# The test document's second version: the introduction changed, "Public good" removed, "Accountability" added.
SECOND_VERSION_SECTIONS = [
    ("Introduction {#introduction}", "Why this guidance exists.\n\n### Scope\n\nWhat it now covers."),
    ("Bias and fairness", "Models can be unfair to small groups."),
    ("Accountability", "Someone must answer for the model."),
]


def load_second_version(folder: Path) -> None:
    """Load SECOND_VERSION_SECTIONS over the test document (committed), making its version 2."""
    load_guidance([write_guidance(folder, sections=SECOND_VERSION_SECTIONS)])
    db.session.commit()


def make_document(folder: Path, **kwargs) -> Document:
    """Write a source file and load it (committed), returning the document."""
    path = write_guidance(folder, f"{kwargs.get('slug', 'test-guidance')}.md", **kwargs)
    report = load_guidance([path])[0]
    db.session.commit()
    return db.session.query(Document).filter_by(slug=report.slug).one()


DEFAULT_PASSWORD = "a long and unusual test passphrase"
_counter = {"users": 0}


def make_user(
    role: str = "reviewer",
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = DEFAULT_PASSWORD,
    active: bool = True,
    confirmed: bool = True,
    organisation: str = "Statistics Office",
    respondent_type: str = "national_statistics_office",
    country: str = "Norway",
):
    """A committed account through the real service (so passwords are hashed as in production)."""
    from consult_app.permissions import Role
    from consult_app.services import accounts

    _counter["users"] += 1
    number = _counter["users"]
    profile = accounts.Profile(name or f"{role.capitalize()} {number}", organisation, respondent_type, country)
    user = accounts.create_account(email or f"{role}{number}@example.org", password, profile, Role(role))
    user.active = active
    if not confirmed:
        user.email_confirmed_at = None
    db.session.commit()
    return user


# The moderator who decides the comments make_comment approves or rejects, unless a test names its own.
FACTORY_MODERATOR_EMAIL = "factory-moderator@example.org"


def factory_moderator():
    """The factory's moderator account, made (and committed) the first time a test needs it."""
    from consult_app.services import accounts

    return accounts.find_by_email(FACTORY_MODERATOR_EMAIL) or make_user(
        "moderator", email=FACTORY_MODERATOR_EMAIL, name="Factory Moderator"
    )


def make_comment(author, document, key: str = "public-good", *, status: str = "pending", moderator=None, **fields):
    """A committed comment written through the service, then brought to `status` the way production does:
    approved or rejected by a moderator (`moderator`, or the factory's) through the moderation service, with its
    audit event; withdrawn by its author. A rejection's reason is `reason` (default "other")."""
    from consult_app.models import Section
    from consult_app.services import comments, moderation

    if status not in ("pending", "approved", "rejected", "withdrawn"):
        raise ValueError(f"make_comment: unknown status {status!r}")
    if status in ("approved", "rejected"):
        moderator = moderator or factory_moderator()  # made first: make_user commits
    reason = fields.pop("reason", "other")
    section = db.session.scalar(
        db.select(Section).where(
            Section.key == key,
            Section.version.has(document_id=document.id, number=document.current_version_number),
        )
    )
    draft = comments.Draft(
        body=fields.pop("body", "A thoughtful comment."),
        kind=fields.pop("kind", "general"),
        quote=fields.pop("quote", ""),
        publication=fields.pop("publication", "public_named"),
        parent_id=fields.pop("parent_id", None),
    )
    if fields:
        raise TypeError(f"make_comment: unexpected fields {sorted(fields)}")
    comment = comments.create_comment(author, document, section, draft)
    if status == "approved":
        moderation.decide(moderator, comment.id, "approve")
    elif status == "rejected":
        moderation.decide(moderator, comment.id, "reject", reason)
    elif status == "withdrawn":
        comments.withdraw_comment(author, comment)
    db.session.commit()
    return comment


def session_token_for(user) -> str:
    """A committed server-side session for `user` and the token its cookie would carry, without the log-in form
    (which costs a password hash): put it in a test client with `sign_in_with(client, token)`."""
    from consult_app.services import sessions

    token = sessions.open_session(user)
    db.session.commit()
    return token


def sign_in_with(client, token: str) -> None:
    """Make `client` send the session cookie that the log-in form would have set for the session `token`."""
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
