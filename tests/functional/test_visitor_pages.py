"""Visitors' pages answered in front of Flask (consult_app/visitor_pages.py): the same bytes and headers as
Flask's own answer, only for requests that could get nothing else, never anything personal, and never for
longer than the change token and the page's recheck allow.

The apps here read Redis's change token on every request (PAGE_CACHE_STALE_MS=0), so "another process" is
seen without waiting; the bound itself is tested with gunicorn workers in tests/faults/test_page_cache.py.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from consult_app import http_cache, visitor_pages
from consult_app.extensions import db
from consult_app.services import moderation
from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD, make_comment, make_user
from tests.functional.test_read_path import READING_PAGES, SECTION, counted_queries
from tests.smtp import free_port
from tests.support.client import csrf_token


@pytest.fixture
def front_app(database_url, redis_url, app):
    """An app like `app` (same database, emptied afterwards by `app`), with Redis's change token, and CSRF
    tokens in forms as in production (a form puts one in the visitor's session)."""
    key = f"consult-test:visible-change:{uuid.uuid4().hex}"
    return make_app(database_url, REDIS_URL=redis_url, PAGE_CACHE_KEY=key, PAGE_CACHE_STALE_MS=0, WTF_CSRF_ENABLED=True)


def reaching_flask(app) -> list[str]:
    """The paths of the requests that get past the layer into Flask, from now on."""
    layer = app.wsgi_app
    assert isinstance(layer, visitor_pages.VisitorPages), "the layer is not in front of the app"
    inner, reached = layer.wsgi_app, []

    def counting(environ, start_response):
        reached.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    layer.wsgi_app = counting
    return reached


def answers_kept(app) -> list[bytes]:
    with app.app_context():
        cache = http_cache._state().answers
        return [cache.get(key).body for key in list(cache._pages)]


@pytest.mark.parametrize("path", READING_PAGES)
def test_a_visitor_gets_flasks_own_answer_without_entering_flask(front_app, document, path):
    make_comment(make_user("reviewer", name="Approved Author"), document, status="approved")
    reached = reaching_flask(front_app)
    visitor = front_app.test_client()
    first = visitor.get(path)
    with counted_queries(front_app) as statements:
        again = [visitor.get(path) for _ in range(3)]
    assert reached == [path]
    assert statements == []
    for answer in again:
        assert answer.status == first.status == "200 OK"
        assert answer.data == first.data
        assert answer.headers.to_wsgi_list() == first.headers.to_wsgi_list()
    assert first.headers["Cache-Control"] == "no-cache" and "Set-Cookie" not in first.headers


def test_each_language_is_its_own_answer(front_app, document):
    reached = reaching_flask(front_app)
    asked = [
        ({}, None, "en"),
        ({"Accept-Language": "fr-CA,fr;q=0.9"}, None, "fr"),
        ({}, "ru", "ru"),
        ({"Accept-Language": "fr"}, "en", "en"),  # the switcher's choice comes before the browser's
        ({"Accept-Language": "de, ru;q=0.5"}, None, "ru"),
    ]
    for headers, cookie, language in asked * 2:
        visitor = front_app.test_client()
        if cookie:
            visitor.set_cookie("consult_language", cookie)
        page = visitor.get(SECTION, headers=headers).get_data(as_text=True)
        assert f'<html lang="{language}">' in page, (headers, cookie, page[:200])
    assert len(reached) == 3  # one render per language; every other answer came from in front of Flask


def test_requests_that_may_get_something_else_always_reach_flask(front_app, document):
    reached = reaching_flask(front_app)
    visitor = front_app.test_client()
    tag = visitor.get(SECTION).headers["ETag"]
    assert visitor.get(SECTION, headers={"If-None-Match": tag}).status_code == 304
    assert visitor.get(SECTION + "?anything=1").status_code == 200
    assert visitor.head(SECTION).status_code == 200
    assert visitor.get(SECTION, headers={"Host": "elsewhere.example"}).status_code == 200
    assert visitor.get("/guidance/test-guidance/no-such-section/").status_code == 404
    assert visitor.get("/guidance/test-guidance/no-such-section/").status_code == 404
    assert len(reached) == 7


def test_nothing_personal_is_answered_or_kept_in_front_of_flask(front_app, document):
    visitor = front_app.test_client()
    assert visitor.get(SECTION).status_code == 200
    reached = reaching_flask(front_app)
    reviewer = front_app.test_client()
    account = make_user("reviewer", name="Personal Name Nobody Else Sees")
    login = reviewer.get("/auth/login").get_data(as_text=True)
    form = {"email": account.email, "password": DEFAULT_PASSWORD, "csrf_token": csrf_token(login)}
    assert reviewer.post("/auth/login", data=form).status_code == 302
    page = reviewer.get(SECTION).get_data(as_text=True)
    assert "Personal Name Nobody Else Sees" in page and "Log out" in page
    secret = "My pending comment, for my eyes and the moderators' only"
    form = {"body": secret, "kind": "general", "publication": "public_named", "csrf_token": csrf_token(page)}
    assert reviewer.post(SECTION, data=form).status_code == 302
    mine = reviewer.get(SECTION).get_data(as_text=True)
    assert secret in mine and "Log out" in mine
    assert reached.count(SECTION) == 3  # the reviewer's every page came from Flask
    # A visitor whose session holds only a form's token, or who has a remember-me cookie, goes to Flask too.
    form_visitor = front_app.test_client()
    form_visitor.get("/auth/login")
    assert form_visitor.get(SECTION).status_code == 200
    remembered = front_app.test_client()
    remembered.set_cookie("remember_token", "whatever")
    assert remembered.get(SECTION).status_code == 200
    assert reached.count(SECTION) == 5
    assert visitor.get(SECTION).status_code == 200
    assert reached.count(SECTION) == 5
    tokens = set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', mine))
    assert tokens
    kept = answers_kept(front_app)
    assert kept
    forbidden = [secret, "Personal Name Nobody Else Sees", account.email, "csrf_token", "Log out", *tokens]
    found = [(word, body[:80]) for body in kept for word in forbidden if word.encode() in body]
    assert not found, found


def test_a_flashed_message_is_shown_to_its_visitor(front_app, document):
    """A log-out leaves a message in the session: the visitor's next page is Flask's, with the message."""
    visitor = front_app.test_client()
    visitor.get(SECTION)
    account = make_user("reviewer")
    login = visitor.get("/auth/login").get_data(as_text=True)
    form = {"email": account.email, "password": DEFAULT_PASSWORD, "csrf_token": csrf_token(login)}
    assert visitor.post("/auth/login", data=form).status_code == 302
    page = visitor.get(SECTION).get_data(as_text=True)
    assert visitor.post("/auth/logout", data={"csrf_token": csrf_token(page)}).status_code in (302, 303)
    after = visitor.get(SECTION).get_data(as_text=True)
    assert "Log out" not in after
    assert "You are logged out." in after


def test_a_change_is_seen_at_once(front_app, database_url, redis_url, document):
    visitor = front_app.test_client()
    comment = make_comment(make_user("reviewer"), document, body="Seen only once approved")
    assert "Seen only once approved" not in visitor.get(SECTION).get_data(as_text=True)
    assert "Seen only once approved" not in visitor.get(SECTION).get_data(as_text=True)
    other = make_app(database_url, REDIS_URL=redis_url, PAGE_CACHE_KEY=front_app.config["PAGE_CACHE_KEY"])
    with other.app_context():  # another worker, or the CLI
        moderation.decide(make_user("moderator"), comment.id, "approve")
        db.session.commit()
    assert "Seen only once approved" in visitor.get(SECTION).get_data(as_text=True)


def test_an_answer_is_kept_no_longer_than_its_page_is_trusted(front_app, document, monkeypatch):
    reached = reaching_flask(front_app)
    visitor = front_app.test_client()
    visitor.get(SECTION)
    visitor.get(SECTION)
    assert reached == [SECTION]
    later = visitor_pages.utcnow() + timedelta(seconds=front_app.config["PAGE_CACHE_RECHECK_SECONDS"] + 1)
    monkeypatch.setattr(visitor_pages, "utcnow", lambda: later)
    visitor.get(SECTION)
    assert reached == [SECTION, SECTION]


def test_without_redis_every_request_reaches_flask(database_url, app, document):
    cut = make_app(database_url, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", PAGE_CACHE_STALE_MS=0)
    reached = reaching_flask(cut)
    visitor = cut.test_client()
    pages = [visitor.get(SECTION) for _ in range(3)]
    assert all(page.status_code == 200 for page in pages)
    assert reached == [SECTION] * 3
    assert answers_kept(cut) == []


def test_without_redis_url_there_is_no_token_and_nothing_kept_in_front(app, client, document):
    assert not app.config.get("REDIS_URL")
    reached = reaching_flask(app)
    assert client.get(SECTION).status_code == client.get(SECTION).status_code == 200
    assert reached == [SECTION, SECTION]
