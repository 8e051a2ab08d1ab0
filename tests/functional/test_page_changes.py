"""Visitors' pages with Redis's change token (consult_app/page_changes.py): no database round trip when nothing
changed, every change seen at once by the process that made it and by any other within the bound, the
fingerprint query when Redis is away, and nothing personal ever in the shared cache.

The apps here read the token on every request (PAGE_CACHE_STALE_MS=0) unless a test says otherwise, so that
"another process" (a second app on the same database and Redis key) is seen without waiting; the bound itself
is tested with real gunicorn workers in tests/faults/test_page_cache.py.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta

import pytest
import redis
from sqlalchemy import update

from consult_app import http_cache, visitor_pages
from consult_app.extensions import db
from consult_app.i18n import LANGUAGES
from consult_app.models import Comment
from consult_app.services import accounts, moderation
from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD, make_comment, make_user
from tests.functional.test_read_path import DOCUMENT, READING_PAGES, SECTION, counted_queries
from tests.smtp import free_port
from tests.support.client import csrf_token


@pytest.fixture
def token_key():
    return f"consult-test:visible-change:{uuid.uuid4().hex}"


@pytest.fixture
def cached_app(database_url, redis_url, token_key, app):
    """An app like `app` (same database, emptied afterwards by `app`), with Redis's change token."""
    return make_app(database_url, REDIS_URL=redis_url, PAGE_CACHE_KEY=token_key, PAGE_CACHE_STALE_MS=0)


def token_of(redis_url: str, key: str) -> bytes | None:
    return redis.Redis.from_url(redis_url).get(key)


@pytest.mark.parametrize("path", READING_PAGES)
def test_a_page_matched_to_the_token_costs_no_query(cached_app, document, path):
    make_comment(make_user("reviewer"), document, status="approved")
    client = cached_app.test_client()
    first = client.get(path)
    with counted_queries(cached_app) as statements:
        again = client.get(path)
        revalidated = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert statements == []
    assert again.status_code == 200 and again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert revalidated.status_code == 304


def test_a_change_in_another_process_shows_at_once(cached_app, database_url, redis_url, token_key, document):
    visitor = cached_app.test_client()
    comment = make_comment(make_user("reviewer"), document, body="Seen only once approved")
    before = visitor.get(SECTION)
    assert "Seen only once approved" not in before.get_data(as_text=True)
    other = make_app(database_url, REDIS_URL=redis_url, PAGE_CACHE_KEY=token_key)  # another worker, or the CLI
    with other.app_context():
        moderation.decide(make_user("moderator"), comment.id, "approve")
        db.session.commit()
    after = visitor.get(SECTION, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and "Seen only once approved" in after.get_data(as_text=True)


def test_what_visitors_cannot_see_leaves_the_token_alone(cached_app, client, redis_url, token_key, document):
    cached_app.test_client().get(SECTION)
    token = token_of(redis_url, token_key)
    assert token is not None
    reviewer = make_user("reviewer")
    make_comment(reviewer, document, body="Pending, seen by nobody but moderators")
    assert client.post("/auth/login", data={"email": reviewer.email, "password": DEFAULT_PASSWORD}).status_code == 302
    with cached_app.app_context():  # the hooks bump only where the app has Redis
        make_comment(make_user("reviewer"), document, body="Another pending one")
        db.session.commit()
    assert token_of(redis_url, token_key) == token


def test_staff_only_columns_of_an_approved_comment_leave_the_token_alone(cached_app, redis_url, token_key, document):
    comment = make_comment(make_user("reviewer"), document, status="approved")
    cached_app.test_client().get(SECTION)
    token = token_of(redis_url, token_key)
    with cached_app.app_context():
        db.session.get(Comment, comment.id).moderation_note = "Internal: check with the statistics team."
        db.session.commit()
        assert token_of(redis_url, token_key) == token
        db.session.get(Comment, comment.id).response = "A public answer."
        db.session.commit()
        assert token_of(redis_url, token_key) != token


def test_bulk_statements_and_profile_changes_replace_the_token(cached_app, redis_url, token_key, document):
    author = make_user("reviewer", name="Before Rename")
    make_comment(author, document, status="approved")
    visitor = cached_app.test_client()
    assert "Before Rename" in visitor.get(SECTION).get_data(as_text=True)
    with cached_app.app_context():
        token = token_of(redis_url, token_key)
        db.session.execute(update(Comment).values(response="Answered in bulk."))
        db.session.commit()
        assert token_of(redis_url, token_key) != token
        token = token_of(redis_url, token_key)
        user = db.session.merge(author)
        accounts.update_profile(user, accounts.Profile("After Rename", "Lab", "academia_research", "Chile"))
        db.session.commit()
        assert token_of(redis_url, token_key) != token
    page = visitor.get(SECTION).get_data(as_text=True)
    assert "After Rename" in page and "Before Rename" not in page


def test_a_rolled_back_change_leaves_the_token_alone(cached_app, redis_url, token_key, document):
    cached_app.test_client().get(SECTION)
    token = token_of(redis_url, token_key)
    with cached_app.app_context():
        db.session.execute(update(Comment).values(response="Never saved."))
        db.session.rollback()
    assert token_of(redis_url, token_key) == token


def test_the_page_changes_when_the_consultation_closes_with_nothing_written(cached_app, document, monkeypatch):
    from consult_app.models import document as document_model

    visitor = cached_app.test_client()
    assert "Consultation closed on" not in visitor.get(SECTION).get_data(as_text=True)
    after_closing = document.closes_at + timedelta(seconds=1)
    monkeypatch.setattr(document_model, "utcnow", lambda: after_closing)
    monkeypatch.setattr(http_cache, "utcnow", lambda: after_closing)
    monkeypatch.setattr(visitor_pages, "utcnow", lambda: after_closing)  # the answers kept in front of Flask
    assert "Consultation closed on" in visitor.get(SECTION).get_data(as_text=True)


def test_without_redis_pages_come_from_the_fingerprint_and_stay_fresh(database_url, document, caplog):
    gone = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = make_app(database_url, REDIS_URL=gone, PAGE_CACHE_STALE_MS=0)
    visitor = app.test_client()
    with caplog.at_level(logging.WARNING, logger="consult.page_changes"):
        first = visitor.get(SECTION)
    assert first.status_code == 200 and "Redis unavailable" in caplog.text
    comment = make_comment(make_user("reviewer"), document, body="Approved while Redis was away")
    with app.app_context():
        moderation.decide(make_user("moderator"), comment.id, "approve")
        db.session.commit()  # the bump fails, and is only logged
    with counted_queries(app) as statements:
        page = visitor.get(SECTION)
    assert "Approved while Redis was away" in page.get_data(as_text=True) and statements  # the fingerprint query


def test_nothing_personal_is_ever_in_the_shared_cache(database_url, redis_url, token_key, app, document):
    """A reviewer with a pending comment, a flashed message and a CSRF token reads every page; visitors read
    them before and after. Every body in the process's cache is then searched for what was theirs alone."""
    shared = make_app(database_url, WTF_CSRF_ENABLED=True, REDIS_URL=redis_url, PAGE_CACHE_KEY=token_key)
    visitor, reviewer = shared.test_client(), shared.test_client()
    for path in [*READING_PAGES, "/"]:
        visitor.get(path)
    account = make_user("reviewer", name="Personal Name Nobody Else Sees")
    login = reviewer.get("/auth/login").get_data(as_text=True)
    form = {"email": account.email, "password": DEFAULT_PASSWORD, "csrf_token": csrf_token(login)}
    assert reviewer.post("/auth/login", data=form).status_code == 302
    page = reviewer.get(SECTION).get_data(as_text=True)
    secret = "My pending comment, for my eyes and the moderators' only"
    form = {"body": secret, "kind": "general", "publication": "public_named", "csrf_token": csrf_token(page)}
    posted = reviewer.post(SECTION, data=form)
    assert posted.status_code == 302, posted.get_data(as_text=True)[:300]
    personal = {path: reviewer.get(path).get_data(as_text=True) for path in [SECTION, *READING_PAGES]}
    assert secret in personal[SECTION] and "awaiting moderation" in personal[SECTION]
    for path in READING_PAGES:
        assert visitor.get(path).status_code == 200
    tokens = set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', " ".join(personal.values())))
    assert tokens, "the reviewer's pages carry a CSRF token"
    with shared.app_context():
        cache = http_cache.page_cache()
        bodies = [cache.get(key).decode() for key in list(cache._pages)]
        keys = list(http_cache._state().matched._pages)
    assert len(bodies) >= len(READING_PAGES)
    forbidden = [secret, "awaiting moderation", account.email, "csrf_token", "Log out", *tokens]
    found = [(word, body[:80]) for body in bodies for word in forbidden if word in body]
    assert not found, found
    assert all(len(key) == 3 and key[0].startswith("/") and key[1] in LANGUAGES for key in keys), keys
    assert DOCUMENT in {key[0] for key in keys}


def test_redis_url_is_read_from_the_environment_and_serves_the_rate_limits_too():
    from config import from_environment

    settings = from_environment({"REDIS_URL": "redis://cache.internal:6379/0", "CONSULT_PAGE_CACHE_STALE_MS": "250"})
    assert settings["REDIS_URL"] == settings["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/0"
    assert settings["PAGE_CACHE_STALE_MS"] == 250
    own = from_environment({"REDIS_URL": "redis://a:1", "RATELIMIT_STORAGE_URI": "redis://b:2"})
    assert own["RATELIMIT_STORAGE_URI"] == "redis://b:2"
    with pytest.raises(ValueError, match="CONSULT_PAGE_CACHE_STALE_MS"):
        from_environment({"CONSULT_PAGE_CACHE_STALE_MS": "half a second"})


API_ANSWERS = [
    "/api/v1/documents/test-guidance",
    "/api/v1/documents/test-guidance/comments",
    "/api/v1/documents/test-guidance/comments?section=public-good",
    "/api/v1/documents/test-guidance/statistics",
    "/api/v1/documents/test-guidance/versions/1",
]


@pytest.mark.parametrize("url", API_ANSWERS)
def test_an_api_answer_matched_to_the_token_costs_no_query(cached_app, document, url):
    make_comment(make_user("reviewer"), document, status="approved")
    client = cached_app.test_client()
    first = client.get(url)
    with counted_queries(cached_app) as statements:
        revalidated = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        if "?" not in url:  # answers to a query are not kept: they are rendered again, tag or no tag
            again = client.get(url)
            assert again.status_code == 200 and again.data == first.data
    assert statements == []
    assert revalidated.status_code == 304 and revalidated.headers["ETag"] == first.headers["ETag"]


def test_api_answers_to_different_queries_are_matched_apart(cached_app, document):
    make_comment(make_user("reviewer"), document, status="approved", body="On the public good")
    client = cached_app.test_client()
    whole, other = client.get(API_ANSWERS[1]), client.get(API_ANSWERS[1] + "?section=no-such-section")
    assert whole.headers["ETag"] != other.headers["ETag"]
    assert "On the public good" in whole.get_data(as_text=True)
    assert "On the public good" not in client.get(API_ANSWERS[1] + "?section=no-such-section").get_data(as_text=True)


def test_a_change_in_another_process_shows_at_once_in_the_api(cached_app, database_url, redis_url, token_key, document):
    client = cached_app.test_client()
    comment = make_comment(make_user("reviewer"), document, body="Listed only once approved")
    before = client.get(API_ANSWERS[1])
    assert "Listed only once approved" not in before.get_data(as_text=True)
    other = make_app(database_url, REDIS_URL=redis_url, PAGE_CACHE_KEY=token_key)
    with other.app_context():
        moderation.decide(make_user("moderator"), comment.id, "approve")
        db.session.commit()
    after = client.get(API_ANSWERS[1], headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and "Listed only once approved" in after.get_data(as_text=True)
