"""Signed-in requests without the database (services/sessions.py, services/reading.py, page_changes.py): with
Redis, each process keeps the account a session opens and whether a reader sees more than visitors, under the
personal change token, read from Redis on every request. Whatever ends a session or changes an account, a role
or a comment, in any process, shows at the very next request; without Redis everything is asked of the
database as before.

Every test of test_sessions.py runs here again on apps with Redis (imported below, with this module's `app`).
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from consult_app import page_changes
from consult_app.extensions import db
from consult_app.models import Comment, User, UserSession
from consult_app.permissions import Role
from consult_app.services import accounts, sessions
from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.functional.test_read_path import SECTION, counted_queries
from tests.functional.test_sessions import *  # noqa: F403 - the whole session suite, on apps with Redis
from tests.smtp import free_port


def redis_app(database_url: str, redis_url: str, key: str, **overrides):
    """An app with Redis that reads the tokens afresh on every request, unless `overrides` say otherwise."""
    settings = {"REDIS_URL": redis_url, "PAGE_CACHE_KEY": key, "PAGE_CACHE_STALE_MS": 0, **overrides}
    return make_app(database_url, **settings)


@pytest.fixture
def token_key() -> str:
    return f"consult-test:visible-change:{uuid.uuid4().hex}"


@pytest.fixture
def app(app, database_url, redis_url, token_key):
    """Overrides conftest's `app` for this module (and the session tests imported into it): the same database,
    emptied afterwards by conftest's, with Redis."""
    return redis_app(database_url, redis_url, token_key)


@pytest.fixture
def other(database_url, redis_url, token_key):
    """Another process on the same database and Redis: a second worker, the CLI, the mail worker."""
    return redis_app(database_url, redis_url, token_key)


def signed_in_reviewer(app, **user):
    with app.app_context():
        account = make_user("reviewer", **user)
        email, account_id = account.email, account.id
    client = app.test_client()
    assert client.post("/auth/login", data={"email": email, "password": DEFAULT_PASSWORD}).status_code == 302
    return client, account_id


def same_browser(client, app):
    """A client of `app` that sends `client`'s cookies: the same browser, its next request served elsewhere."""
    twin = app.test_client()
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            twin.set_cookie(name, cookie.value)
    return twin


def end_sessions_in(app, account_id: int) -> None:
    """ "Log out everywhere" for the account, through `app`: another process, when it is not the one serving."""
    with app.app_context():
        sessions.end_all(db.session.get(User, account_id))
        db.session.commit()


def is_signed_in(client) -> bool:
    return "Log out" in client.get(SECTION).get_data(as_text=True)


def test_a_kept_session_costs_the_signed_in_page_no_query(app, document):
    reviewer, _ = signed_in_reviewer(app, name="Kept Reader")
    assert "Kept Reader" in reviewer.get(SECTION).get_data(as_text=True)
    with counted_queries(app) as statements:
        page = reviewer.get(SECTION).get_data(as_text=True)
    assert "Kept Reader" in page and "Log out" in page
    assert statements == []


def test_a_session_ended_in_another_process_opens_nothing_at_the_next_request(app, other, document):
    reviewer, account_id = signed_in_reviewer(app)
    assert is_signed_in(reviewer) and is_signed_in(reviewer)
    end_sessions_in(other, account_id)
    assert not is_signed_in(reviewer)


def test_a_deactivation_in_another_process_signs_out_at_the_next_request(app, other, document):
    reviewer, account_id = signed_in_reviewer(app)
    assert is_signed_in(reviewer) and is_signed_in(reviewer)
    with other.app_context():  # a bulk statement, past the ORM's objects
        db.session.execute(update(User).where(User.id == account_id).values(active=False))
        db.session.commit()
    assert not is_signed_in(reviewer)


def test_a_role_changed_in_another_process_applies_at_the_next_request(app, other, document):
    """The admin pages end the sessions of an account whose role changes; a change made past them (a bulk
    statement) must not leave the old role kept either."""
    reviewer, account_id = signed_in_reviewer(app)
    assert reviewer.get("/moderation/").status_code == 403
    assert is_signed_in(reviewer) and is_signed_in(reviewer)
    with other.app_context():
        db.session.execute(update(User).where(User.id == account_id).values(role="moderator"))
        db.session.commit()
    assert reviewer.get("/moderation/").status_code == 200


def test_a_role_change_through_the_admin_ends_the_kept_session(app, other, document):
    reviewer, account_id = signed_in_reviewer(app)
    assert is_signed_in(reviewer) and is_signed_in(reviewer)
    with other.app_context():
        accounts.set_role(make_user("admin"), db.session.get(User, account_id), Role.MODERATOR)
        db.session.commit()
    assert not is_signed_in(reviewer)


def test_a_comment_posted_through_one_process_shows_on_the_next_page_from_another(app, other, document):
    reviewer, _ = signed_in_reviewer(app)
    elsewhere = same_browser(reviewer, other)
    assert "awaiting moderation" not in elsewhere.get(SECTION).get_data(as_text=True)  # kept there: sees no more
    form = {"body": "Posted here, read there", "kind": "general", "publication": "public_named"}
    assert reviewer.post(SECTION, data=form).status_code == 302
    page = elsewhere.get(SECTION).get_data(as_text=True)
    assert "Posted here, read there" in page and "awaiting moderation" in page


def test_a_kept_session_is_still_marked_as_used_once_a_minute(app, document, monkeypatch):
    reviewer, _ = signed_in_reviewer(app)
    reviewer.get(SECTION)
    reviewer.get(SECTION)
    with app.app_context():
        seen = db.session.scalar(select(UserSession.last_seen_at))
    later = sessions.utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)
    assert is_signed_in(reviewer)
    with app.app_context():
        assert db.session.scalar(select(UserSession.last_seen_at)) == later != seen


def test_a_kept_session_ends_by_the_clock(app, document, monkeypatch):
    reviewer, _ = signed_in_reviewer(app)
    assert is_signed_in(reviewer) and is_signed_in(reviewer)
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    later = sessions.utcnow() + idle + timedelta(seconds=1)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)
    assert not is_signed_in(reviewer)


def test_without_redis_answering_sessions_are_loaded_from_the_database(database_url, document):
    cut = make_app(database_url, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", PAGE_CACHE_STALE_MS=0)
    reviewer, account_id = signed_in_reviewer(cut)
    assert is_signed_in(reviewer) and is_signed_in(reviewer)
    end_sessions_in(cut, account_id)
    assert not is_signed_in(reviewer)
    with cut.app_context():
        assert len(cut.extensions.get(sessions.KEPT_EXTENSION_KEY) or []) == 0


# --- the personal token reused for PAGE_CACHE_STALE_MS, as in production ------------------------------------------


def test_a_comment_shows_at_once_to_its_author_though_the_other_process_reuses_its_token(
    database_url, redis_url, token_key, app, document
):
    first = redis_app(database_url, redis_url, token_key, PAGE_CACHE_STALE_MS=60_000)
    second = redis_app(database_url, redis_url, token_key, PAGE_CACHE_STALE_MS=60_000)
    reviewer, _ = signed_in_reviewer(first)
    assert "awaiting moderation" not in same_browser(reviewer, second).get(SECTION).get_data(as_text=True)
    form = {"body": "Posted there, read here", "kind": "general", "publication": "public_named"}
    assert reviewer.post(SECTION, data=form).status_code == 302  # the answer notes the change in the session
    page = same_browser(reviewer, second).get(SECTION).get_data(as_text=True)
    assert "Posted there, read here" in page and "awaiting moderation" in page


def test_a_form_from_a_session_ended_elsewhere_is_refused_at_once_and_pages_stop_within_the_bound(
    database_url, redis_url, token_key, app, other, document, monkeypatch
):
    monkeypatch.setattr(page_changes, "OWN_CHANGE_SECONDS", 0)  # the log-in's own change must not hide the bound
    serving = redis_app(database_url, redis_url, token_key, PAGE_CACHE_STALE_MS=2_000)
    reviewer, account_id = signed_in_reviewer(serving)
    assert is_signed_in(reviewer)
    end_sessions_in(other, account_id)
    assert is_signed_in(reviewer)  # a page, within PAGE_CACHE_STALE_MS of the token this process read
    form = {"body": "Posted with the cookie of an ended session", "kind": "general", "publication": "public_named"}
    assert reviewer.post(SECTION, data=form).status_code in (302, 401, 403)
    with serving.app_context():
        assert db.session.scalar(select(Comment.id).where(Comment.author_id == account_id)) is None
    time.sleep(2.1)
    assert not is_signed_in(reviewer)
