"""The reading pages stay cheap: a fixed, small number of SQL queries whatever the number of comments."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event

from consult_app import http_cache
from consult_app.extensions import db
from consult_app.models import Comment
from consult_app.services import accounts, moderation
from consult_app.services.guidance import load_guidance
from tests.factories import DEFAULT_PASSWORD, make_comment, make_user, write_guidance

SECTION = "/guidance/test-guidance/public-good/"
DOCUMENT = "/guidance/test-guidance/"
READING_PAGES = [SECTION, DOCUMENT, "/guidance/test-guidance/v1/"]
# The whole-document page also loads every published comment for its margins (comments, their versions and
# authors: three queries whatever their number) besides the one count of services/counts.py; a moderator's page
# adds the session and the header's pending count. A signed-in reader's section page also asks whether they see
# more there than visitors do, and the fingerprint that keys the parts every reader shares (reading/parts.py).
MAX_QUERIES = 12


@contextlib.contextmanager
def counted_queries(app):
    """Every statement sent to the database while the block runs (the test client's requests included)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def add_comments(document, authors, moderator, total: int) -> None:
    """`total` comments of every sort on one section: approved public and private ones, replies, quotes,
    dispositions, anonymous ones, pending and rejected ones, from several authors (the viewer among them)."""
    made = 0
    while made < total:
        author = authors[made % len(authors)]
        kind = made % 6
        if kind == 0:
            parent = make_comment(author, document, status="approved", quote="serve the public.")
            moderation.set_disposition(moderator, parent, "noted", "Thank you.")
            db.session.commit()
        elif kind == 1:
            make_comment(author, document, status="approved", parent_id=parent.id)
        elif kind == 2:
            make_comment(author, document, status="approved", publication="private")
        elif kind == 3:
            make_comment(author, document, status="approved", publication="public_anonymous", kind="concern")
        elif kind == 4:
            make_comment(author, document, status="pending")
        else:
            make_comment(author, document, status="rejected")
        made += 1


def queries_for(app, client, path: str) -> int:
    """Queries for rendering `path` (not for serving it from the page cache)."""
    with app.app_context():
        http_cache.clear_pages()
    with counted_queries(app) as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("viewer", ["anonymous", "reviewer", "moderator"])
def test_reading_pages_do_a_fixed_number_of_queries(app, client, document, login_as, viewer):
    user = login_as(viewer)
    others = [make_user("reviewer") for _ in range(3)]
    authors = [*others, db.session.merge(user)] if viewer == "reviewer" else others
    moderator = make_user("moderator")

    add_comments(document, authors, moderator, 1)
    few = {path: queries_for(app, client, path) for path in (SECTION, DOCUMENT)}
    add_comments(document, authors, moderator, 59)
    many = {path: queries_for(app, client, path) for path in (SECTION, DOCUMENT)}

    assert many == few
    assert max(many.values()) <= MAX_QUERIES, many
    page = client.get(SECTION).get_data(as_text=True)
    assert page.count('class="comment comment--approved"') >= 30  # the comments really are on the page


@pytest.mark.parametrize("path", READING_PAGES)
def test_a_cached_page_costs_one_small_query(app, client, document, path):
    make_comment(make_user("reviewer"), document, status="approved")
    client.get(path)
    with counted_queries(app) as statements:
        assert client.get(path).status_code == 200
        assert client.get(path, headers={"If-None-Match": client.get(path).headers["ETag"]}).status_code == 304
    assert len(statements) == 3, statements  # per request: the document row with its comments' fingerprint


# --- conditional GET ----------------------------------------------------------------------------------------


def etag_of(client, path: str = SECTION) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.headers["ETag"]


@pytest.mark.parametrize("path", READING_PAGES)
def test_visitors_get_a_weak_etag_and_a_304_when_nothing_changed(client, document, path):
    first = client.get(path)
    tag = first.headers["ETag"]
    assert tag.startswith('W/"') and first.headers["Cache-Control"] == "no-cache"
    assert "Cookie" in first.headers["Vary"] and "Set-Cookie" not in first.headers
    again = client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == tag and "Cookie" in again.headers["Vary"]
    # A tag from another page, or a stale one, gets the page.
    other = client.get(path, headers={"If-None-Match": 'W/"0123456789abcdef0123456789abcdef"'})
    assert other.status_code == 200 and other.data == first.data


def test_the_tag_changes_when_a_comment_is_approved_but_not_when_one_is_posted(client, document):
    author, moderator = make_user("reviewer"), make_user("moderator")
    before = etag_of(client)
    comment = make_comment(author, document, body="Waiting for a moderator")
    assert etag_of(client) == before  # a pending comment is invisible to visitors
    moderation.decide(moderator, comment.id, "approve")
    db.session.commit()
    response = client.get(SECTION, headers={"If-None-Match": before})
    assert response.status_code == 200 and "Waiting for a moderator" in response.get_data(as_text=True)
    assert response.headers["ETag"] != before


def test_the_tag_changes_when_a_disposition_changes(client, document):
    author, moderator = make_user("reviewer"), make_user("moderator")
    comment = make_comment(author, document, status="approved")
    tags = [etag_of(client), etag_of(client, DOCUMENT)]
    moderation.set_disposition(moderator, comment, "accepted", "We changed the text.")
    db.session.commit()
    assert [etag_of(client), etag_of(client, DOCUMENT)] != tags and tags[0] != tags[1]
    assert "We changed the text." in client.get(SECTION).get_data(as_text=True)
    changed = etag_of(client)
    moderation.set_disposition(moderator, db.session.get(Comment, comment.id), "accepted", "Now reworded.")
    db.session.commit()
    assert etag_of(client) != changed and "Now reworded." in client.get(SECTION).get_data(as_text=True)


def test_the_tag_changes_when_an_author_renames_or_deletes_their_account(client, document):
    author = make_user("reviewer", name="Old Name")
    make_comment(author, document, status="approved")
    before = etag_of(client)
    accounts.update_profile(author, accounts.Profile("New Name", "Lab", "academia_research", "Chile"))
    db.session.commit()
    renamed = client.get(SECTION)
    assert renamed.headers["ETag"] != before and "New Name" in renamed.get_data(as_text=True)
    accounts.delete_account(author, DEFAULT_PASSWORD)
    db.session.commit()
    deleted = client.get(SECTION)
    assert deleted.headers["ETag"] != renamed.headers["ETag"] and "Deleted account" in deleted.get_data(as_text=True)


def test_the_tags_change_with_a_new_version_of_the_guidance(client, document, tmp_path):
    before = {path: etag_of(client, path) for path in READING_PAGES}
    path = write_guidance(tmp_path, sections=[("Public good {#public-good}", "Statistics serve everyone.")])
    load_guidance([path])
    db.session.commit()
    after = {path: etag_of(client, path) for path in READING_PAGES}
    assert all(after[path] != before[path] for path in READING_PAGES)
    assert "Statistics serve everyone." in client.get(SECTION).get_data(as_text=True)


@pytest.mark.parametrize("path", READING_PAGES)
def test_signed_in_users_get_no_tag_and_no_304(client, document, login_as, path):
    visitor_tag = etag_of(client, path)
    login_as("reviewer")
    response = client.get(path, headers={"If-None-Match": visitor_tag})
    assert response.status_code == 200 and "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store" and "Cookie" in response.headers["Vary"]
    assert "Log out" in response.get_data(as_text=True)


def test_a_visitor_with_a_message_waiting_gets_it_not_a_cached_page(client, document):
    tag = etag_of(client)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "A message for this visitor only")]
    response = client.get(SECTION, headers={"If-None-Match": tag})
    assert response.status_code == 200 and "A message for this visitor only" in response.get_data(as_text=True)
    assert "ETag" not in response.headers
    assert "A message for this visitor only" not in client.get(SECTION).get_data(as_text=True)


def test_missing_pages_are_not_cached(client, document):
    for path in ("/guidance/test-guidance/no-such-section/", "/guidance/test-guidance/v9/"):
        first, second = client.get(path), client.get(path)
        assert first.status_code == second.status_code == 404 and "ETag" not in second.headers


def test_pages_are_cached_per_process_under_their_tag(app, client, document):
    pages = [client.get(path).get_data(as_text=True) for path in READING_PAGES]
    with app.app_context():
        assert len(http_cache.page_cache()) == len(READING_PAGES)
    assert [client.get(path).get_data(as_text=True) for path in READING_PAGES] == pages


def test_the_page_cache_forgets_the_least_recently_used():
    cache = http_cache.PageCache(2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"
    cache.put("c", "C")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")
    off = http_cache.PageCache(0)
    off.put("a", "A")
    assert off.get("a") is None


def test_the_release_hash_follows_the_code(tmp_path):
    (tmp_path / "page.html").write_text("<p>one</p>")
    first = http_cache.release_hash(tmp_path)
    assert http_cache.release_hash(tmp_path) == first
    (tmp_path / "page.html").write_text("<p>two</p>")
    assert http_cache.release_hash(tmp_path) != first


def test_the_tag_changes_when_the_consultation_closes_with_nothing_written(client, document, monkeypatch):
    from datetime import timedelta

    from consult_app.models import document as document_model

    before = {path: etag_of(client, path) for path in READING_PAGES}
    closes = document.closes_at
    monkeypatch.setattr(document_model, "utcnow", lambda: closes + timedelta(seconds=1))
    after = {path: client.get(path) for path in READING_PAGES}
    assert all(after[path].headers["ETag"] != before[path] for path in READING_PAGES)
    assert "Consultation closed on" in after[SECTION].get_data(as_text=True)


@pytest.mark.parametrize("path", READING_PAGES)
def test_with_csrf_on_a_visitor_gets_no_cookie_and_a_shared_page(database_url, document, path):
    from tests.conftest import make_app

    # Forms put a CSRF token in the session: a visitor's reading page must not build one, or it would be
    # personal (and uncacheable) for every visitor.
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.get(path)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert response.headers["ETag"].startswith('W/"') and response.headers["Cache-Control"] == "no-cache"
    with app.app_context():
        assert len(http_cache.page_cache()) == 1
