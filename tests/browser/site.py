"""The real app behind the browser tests: a WSGI server on loopback, its own SQLite file, the demo data.

`serve(folder, mail_url, redis_url)` migrates a fresh database, seeds it (the demo consultation, a second version
of the guidance so that the old-version page exists, a pending comment by the demo reviewer) and serves the
app with werkzeug's threaded server on 127.0.0.1 and a free port, with CSRF on and Redis's change tokens, as in
production. A thread of the server delivers the outbox's mail to `mail_url`.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from consult_app import create_app
from consult_app.extensions import db
from consult_app.models import Comment, Document, Section, User
from consult_app.services import accounts, comments, demo, moderation, similarity, themes, tokens
from consult_app.services.guidance import default_sources, load_guidance

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
SLUG = "ml-ethics"

# The demo's accounts (consult_app/services/demo.py STAFF), as a person would type them.
ACCOUNTS = {
    "admin": ("admin@example.org", "demo admin passphrase"),
    "moderator": ("moderator@example.org", "demo moderator passphrase"),
    "reviewer": ("reviewer@example.org", "demo reviewer passphrase"),
}

# Version 2 of the guidance: one sentence changed and one section added, so that /guidance/ml-ethics/v1/
# shows changed, unchanged and added sections.
CHANGED_FROM = "It assumes a working familiarity with statistical production"
CHANGED_TO = "It assumes some familiarity with how statistics are produced"
ADDED_SECTION = (
    "\n## Questions for consultees {#questions}\n\n"
    "We would particularly welcome views on the following questions.\n\n"
    "1. Is the guidance clear about who should make each decision?\n"
    "2. Which examples of good practice would you add?\n"
)
OWN_PENDING_TEXT = "A pending comment by the demo reviewer, so that the edit page exists."
KEYBOARD_PENDING_TEXT = "A pending comment that the keyboard-only moderator approves and answers."
CAMPAIGN_TEXT = "Stop using machine learning for the census until every model has been reviewed in public. {}"
# Pending comments that only test_triage.py decides (with the keyboard); each unlike the others, so no campaign.
TRIAGE_MARKER = "Triage drill"
TRIAGE_COUNT = 30  # 50 took 21 s of the suite; 30 still crosses a page of the queue (20 a page)
TRIAGE_WORDS = ("audit", "lineage", "consent", "drift", "fairness", "provenance", "sampling", "weighting",
                "imputation", "disclosure", "coverage", "benchmark", "calibration", "retraining", "documentation",
                "oversight", "privacy", "linkage", "seasonal", "revision")  # fmt: skip


@dataclass(frozen=True)
class Site:
    """What the tests need to know about the running app."""

    base_url: str
    mail_url: str
    slug: str
    section_keys: tuple[str, ...]  # in document order, current version
    approved_comment_id: int  # an approved top-level public comment (reply page)
    pending_comment_id: int  # a pending comment by one of the demo reviewers (moderation comment page)
    own_pending_comment_id: int  # a pending comment by reviewer@example.org (edit page)
    reset_token: str  # a valid password-reset link's token for a demo reviewer nobody logs in as
    change_email_token: str  # a valid change-of-address link's token for that reviewer (opening it changes nothing)
    keyboard_pending_comment_id: int  # pending, by that reviewer: only test_keyboard.py decides it
    group_id: int  # a campaign: five near-identical comments, rejected as duplicates (the group page)
    group_first_comment_id: int  # its oldest comment
    triage_references: tuple[str, ...]  # TRIAGE_COUNT pending comments, oldest first: only test_triage.py decides them
    theme_id: int  # a sub-theme of the document's, on the approved comment with its parent theme

    def url(self, path: str) -> str:
        return self.base_url + path


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without a log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _second_version(folder: Path) -> Path:
    source = (PROJECT_ROOT / "guidance" / f"{SLUG}.md").read_text(encoding="utf-8")
    assert CHANGED_FROM in source, "the guidance text changed: update CHANGED_FROM in tests/browser/site.py"
    path = folder / f"{SLUG}.md"
    path.write_text(source.replace(CHANGED_FROM, CHANGED_TO) + ADDED_SECTION, encoding="utf-8")
    return path


def _seed(app, folder: Path) -> dict[str, object]:
    with app.app_context():
        flask_migrate.upgrade()
        demo.build(default_sources(app.config["GUIDANCE_DIR"]))
        db.session.commit()
        load_guidance([_second_version(folder)])
        db.session.commit()

        document = db.session.scalar(select(Document).where(Document.slug == SLUG))
        sections = db.session.scalars(
            select(Section)
            .where(Section.version.has(document_id=document.id, number=document.current_version_number))
            .order_by(Section.number)
        ).all()
        reviewer = db.session.scalar(select(User).where(User.email == ACCOUNTS["reviewer"][0]))
        own = comments.create_comment(reviewer, document, sections[1], comments.Draft(OWN_PENDING_TEXT, "general"))
        db.session.commit()

        approved = db.session.scalar(
            select(Comment.id)
            .where(Comment.status == "approved", Comment.parent_id.is_(None), Comment.publication == "public_named")
            .order_by(Comment.id)
        )
        pending = db.session.scalar(
            select(Comment.id)
            .where(Comment.status == "pending", Comment.author_id != reviewer.id, Comment.parent_id.is_(None))
            .order_by(Comment.id)
        )
        # The token that request_password_reset would mail: signed user id plus the password hash's fingerprint.
        other = db.session.scalar(
            select(User).where(User.role == "reviewer", User.id != reviewer.id, User.active).order_by(User.id)
        )
        reset_token = tokens.make_token(tokens.RESET_PASSWORD, {"user": other.id, "hash": accounts._fingerprint(other)})
        change = {"user": other.id, "old": other.email, "new": "moved@example.org"}
        change_email_token = tokens.make_token(tokens.CHANGE_EMAIL, change)
        keyboard = comments.create_comment(
            other, document, sections[3], comments.Draft(KEYBOARD_PENDING_TEXT, "general")
        )
        db.session.commit()
        facts = {
            "section_keys": tuple(section.key for section in sections),
            "approved_comment_id": approved,
            "pending_comment_id": pending,
            "own_pending_comment_id": own.id,
            "reset_token": reset_token,
            "change_email_token": change_email_token,
            "keyboard_pending_comment_id": keyboard.id,
            **_campaign(document, sections[2], other),
            "triage_references": _triage(document, sections[1], other),
            "theme_id": _themes(document, approved),
        }
        db.session.remove()
        db.engine.dispose()
    return facts


def _campaign(document, section, author) -> dict[str, int]:
    """Five near-identical comments, rejected as duplicates (so that they change no queue or section page);
    returns their group's id and the first comment's."""
    moderator = db.session.scalar(select(User).where(User.email == ACCOUNTS["moderator"][0]))
    endings = ["", "Please!", "PLEASE.", "please", "Now."]
    written = [
        comments.create_comment(author, document, section, comments.Draft(CAMPAIGN_TEXT.format(end), "concern"))
        for end in endings
    ]
    for comment in written:
        moderation.decide(moderator, comment.id, "reject", "duplicate")
    db.session.commit()
    group_id = similarity.group_summaries([written[0].id])[written[0].id].group_id
    return {"group_id": group_id, "group_first_comment_id": written[0].id}


def _themes(document, comment_id: int) -> int:
    """A theme with a sub-theme, both on the approved comment (the theme pages, the dashboard, the summary);
    returns the sub-theme's id."""
    moderator = db.session.scalar(select(User).where(User.email == ACCOUNTS["moderator"][0]))
    quality = themes.create_theme(moderator, document, "Data quality", "Accuracy, coverage and timeliness.")
    bias = themes.create_theme(moderator, document, "Bias in training data", parent_id=quality.id)
    themes.tag([comment_id], [quality.id, bias.id], moderator)
    db.session.commit()
    return bias.id


def _triage(document, section, author) -> tuple[str, ...]:
    written = []
    for number in range(TRIAGE_COUNT):
        words = " ".join(random.Random(number).sample(TRIAGE_WORDS, 8))
        text = f"{TRIAGE_MARKER} {number}: {words}, in that order, matter most to us."
        written.append(comments.create_comment(author, document, section, comments.Draft(text, "general")))
    db.session.commit()
    return tuple(comment.reference for comment in written)


def site_app(folder: Path, mail_url: str, redis_url: str | None = None):
    """The app as the browser tests serve it: a SQLite file in `folder`, CSRF on, mail to `mail_url` and, as in
    production, Redis's change tokens (visitors' pages answered in front of Flask, signed-in readers' sessions
    kept) when `redis_url` is given."""
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'browser.db'}",
        "GUIDANCE_DIR": str(PROJECT_ROOT / "guidance"),
        "WTF_CSRF_ENABLED": True,  # real forms: every POST carries the token from the page
        "MAIL_URL": mail_url,
        # Mail is delivered by a thread of the server, as in development (see consult_app/__init__.py), checking
        # the outbox often so that a test waits a moment at most.
        "MAIL_DELIVERY_THREAD": True,
        "MAIL_DELIVERY_INTERVAL": 0.2,
        "PROPAGATE_EXCEPTIONS": False,  # a failure shows the app's own error page, as in production
    }
    if redis_url:
        settings.update(REDIS_URL=redis_url, PAGE_CACHE_KEY=f"consult-browser:{uuid.uuid4().hex}")
    return create_app("testing", settings, instance_path=str(folder / "instance"))


@contextmanager
def running(app) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 and a free port until the block ends; yields the base URL, which is also the
    app's CONSULT_BASE_URL (the start of every mailed link)."""
    server = make_server(HOST, 0, app, threaded=True, request_handler=QuietHandler)
    app.config["CONSULT_BASE_URL"] = f"http://{HOST}:{server.port}"
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    try:
        yield app.config["CONSULT_BASE_URL"]
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        for delivery in app.extensions.get("consult_mail_delivery", []):
            delivery.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def serve(folder: Path, mail_url: str, redis_url: str | None = None) -> Iterator[Site]:
    """Seed a new database in `folder` with the demo consultation and serve the app until the block ends."""
    app = site_app(folder, mail_url, redis_url)
    facts = _seed(app, folder)
    with running(app) as base_url:
        yield Site(base_url=base_url, mail_url=mail_url, slug=SLUG, **facts)
