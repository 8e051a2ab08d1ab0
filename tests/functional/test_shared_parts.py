"""Signed-in readers' section pages from shared parts (consult_app/reading/parts.py): the page a reviewer gets is
the one they got before, byte for byte; what is kept for every reader holds nothing of anyone's (a pending
comment, a private comment or its author's name, a CSRF token, a flashed message, a reader's name); a change
shows at once; a kept page costs a few small queries."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from consult_app import http_cache
from consult_app.extensions import db
from consult_app.reading import parts
from consult_app.services import moderation, reading, sessions
from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD, make_comment, make_user
from tests.functional.test_read_path import SECTION, counted_queries
from tests.support.client import csrf_token

PENDING = "My pending comment, which only I and the moderators may read"
PRIVATE = "A private comment for the drafting team alone"
PRIVATE_AUTHOR = "Private Author Whose Name Stays Hidden"
FLASHED = "A message flashed for one reader only"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def token_key():
    return f"consult-test:visible-change:{uuid.uuid4().hex}"


@pytest.fixture
def shared_app(database_url, redis_url, token_key, app):
    """An app like `app` (same database, emptied afterwards by `app`) with CSRF on and Redis's change token."""
    settings = {"REDIS_URL": redis_url, "PAGE_CACHE_KEY": token_key, "PAGE_CACHE_STALE_MS": 0}
    return make_app(database_url, WTF_CSRF_ENABLED=True, **settings)


def signed_in(app, role: str = "reviewer", name: str | None = None):
    account = make_user(role, name=name or f"Reader {uuid.uuid4().hex[:8]}")
    client = app.test_client()
    login = client.get("/auth/login").get_data(as_text=True)
    form = {"email": account.email, "password": DEFAULT_PASSWORD, "csrf_token": csrf_token(login)}
    assert client.post("/auth/login", data=form).status_code == 302
    return client, account


def same_but_tokens(page: str) -> str:
    """A page with its CSRF tokens blanked: a token is signed with the time, to the second."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+"', r'\1"', page)


def uncached(client, path: str = SECTION, **kwargs) -> str:
    """The page as it is rendered for this reader alone, with nothing kept or shared."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parts, "reviewer_page", lambda *args: None)
        patch.setattr(reading, "sees_only_published", lambda *args: False)
        return client.get(path, **kwargs).get_data(as_text=True)


def kept_texts(app) -> list[str]:
    with app.app_context():
        cache = http_cache.part_cache()
        kept = [cache.get(key) for key in list(cache._pages)]
    texts = []
    for part in kept:
        if isinstance(part, parts.SectionParts):
            texts.append(f"{part.text}{part.unplaced}")
        else:
            texts.append(part.decode() if isinstance(part, bytes) else str(part))
    return texts


@pytest.mark.parametrize("language", ["en", "fr", "ru"])
def test_a_reviewer_gets_the_page_they_got_before(shared_app, document, language):
    for number in range(6):
        quote = "serve the public." if number % 2 else ""
        make_comment(make_user("reviewer"), document, status="approved", quote=quote)
    client, _ = signed_in(shared_app, name='Ann <b>&</b> "Bob"')
    headers = {"Accept-Language": language}
    first, again = (client.get(SECTION, headers=headers) for _ in range(2))
    assert first.headers["Cache-Control"] == "private, no-store" and "ETag" not in first.headers
    page = again.get_data(as_text=True)
    assert same_but_tokens(page) == same_but_tokens(first.get_data(as_text=True))
    assert same_but_tokens(page) == same_but_tokens(uncached(client, headers=headers))
    assert "Ann &lt;b&gt;&amp;&lt;/b&gt; &#34;Bob&#34;" in page
    assert parts.CSRF_STAND_IN not in page and parts.NAME_STAND_IN.decode() not in page
    assert len(set(TOKEN.findall(page))) == 1 and len(TOKEN.findall(page)) == 3  # switcher, log out, comment form


def test_each_reviewer_gets_their_own_name_and_token(shared_app, document):
    make_comment(make_user("reviewer"), document, status="approved")
    (first, ann), (second, bob) = signed_in(shared_app, name="Ann Reader"), signed_in(shared_app, name="Bob Reader")
    for client, account, other in ((first, ann, bob), (second, bob, ann)):
        page = client.get(SECTION).get_data(as_text=True)
        assert account.display_name in page and other.display_name not in page
        assert same_but_tokens(page) == same_but_tokens(uncached(client))
    assert set(TOKEN.findall(first.get(SECTION).get_data(as_text=True))).isdisjoint(
        TOKEN.findall(second.get(SECTION).get_data(as_text=True))
    )


def test_nothing_personal_is_kept_for_other_readers(shared_app, document):
    """Every sort of reader reads the section: a reviewer with a pending comment, the author of a private one, a
    moderator (who sees private comments), a reviewer with a message waiting, and plain reviewers. Everything kept
    for sharing is then searched for what was one reader's alone."""
    make_comment(make_user("reviewer"), document, status="approved", quote="serve the public.")
    make_comment(make_user("reviewer"), document, status="approved")
    writer, writer_account = signed_in(shared_app, name="Writer With A Pending Comment")
    make_comment(db.session.merge(writer_account), document, body=PENDING)
    private_author, private_account = signed_in(shared_app, name=PRIVATE_AUTHOR)
    make_comment(db.session.merge(private_account), document, status="approved", publication="private", body=PRIVATE)
    moderator, moderator_account = signed_in(shared_app, "moderator", name="Moderator Reading Along")
    flashed, flashed_account = signed_in(shared_app, name="Reader With A Message")
    with flashed.session_transaction() as session:
        session["_flashes"] = [("success", FLASHED)]
    plain = [signed_in(shared_app, name=f"Plain Reader {number}") for number in range(2)]

    pages = {}
    for client, account in [(writer, writer_account), (private_author, private_account), (moderator, moderator_account),
                            (flashed, flashed_account), *plain]:  # fmt: skip
        for language in ("en", "fr"):
            pages[account.display_name, language] = client.get(SECTION, headers={"Accept-Language": language})
    assert PENDING in pages[writer_account.display_name, "en"].get_data(as_text=True)
    assert PRIVATE in pages[moderator_account.display_name, "en"].get_data(as_text=True)
    assert PRIVATE in pages[PRIVATE_AUTHOR, "en"].get_data(as_text=True)
    assert FLASHED in pages[flashed_account.display_name, "en"].get_data(as_text=True)
    for (name, _), response in pages.items():
        text = response.get_data(as_text=True)
        assert response.status_code == 200 and name in text
        if name.startswith("Plain"):
            assert PENDING not in text and PRIVATE not in text and FLASHED not in text

    kept = kept_texts(shared_app)
    assert any("Log out" in text for text in kept), "the page kept for reviewers is among them"
    tokens = {token for response in pages.values() for token in TOKEN.findall(response.get_data(as_text=True))}
    assert tokens
    names = [account.display_name for account in (writer_account, moderator_account, flashed_account)]
    forbidden = [PENDING, PRIVATE, PRIVATE_AUTHOR, FLASHED, "awaiting moderation", *names, *tokens]
    forbidden += [account.display_name for _, account in plain] + [writer_account.email, private_account.email]
    found = [(word, text[:80]) for text in kept for word in forbidden if word in text]
    assert not found, found


def test_an_approved_comment_shows_at_once_on_a_kept_page(shared_app, database_url, redis_url, token_key, document):
    reviewer, _ = signed_in(shared_app)
    comment = make_comment(make_user("reviewer"), document, body="Approved after the page was kept")
    assert "Approved after the page was kept" not in reviewer.get(SECTION).get_data(as_text=True)
    other = make_app(database_url, REDIS_URL=redis_url, PAGE_CACHE_KEY=token_key)  # another worker, or the CLI
    with other.app_context():
        moderation.decide(make_user("moderator"), comment.id, "approve")
        db.session.commit()
    assert "Approved after the page was kept" in reviewer.get(SECTION).get_data(as_text=True)


def test_an_own_pending_comment_is_shown_to_its_author_at_once(
    shared_app, database_url, redis_url, token_key, document
):
    reviewer, account = signed_in(shared_app)
    reviewer.get(SECTION)
    other = make_app(database_url, REDIS_URL=redis_url, PAGE_CACHE_KEY=token_key)  # another worker of the site
    with other.app_context():
        make_comment(db.session.merge(account), db.session.merge(document), body="Written after the page was kept")
    page = reviewer.get(SECTION).get_data(as_text=True)
    assert "Written after the page was kept" in page
    assert same_but_tokens(page) == same_but_tokens(uncached(reviewer))


def test_a_comment_written_behind_the_apps_back_shows_within_the_recheck_bound(shared_app, document, monkeypatch):
    """Written by a process without REDIS_URL (the personal token stays as it was): what was kept about the
    reader is asked of the database again after PAGE_CACHE_RECHECK_SECONDS."""
    reviewer, account = signed_in(shared_app)
    reviewer.get(SECTION)
    make_comment(db.session.merge(account), document, body="Written where Redis is not configured")
    later = reading.utcnow() + timedelta(seconds=shared_app.config["PAGE_CACHE_RECHECK_SECONDS"] + 1)
    monkeypatch.setattr(reading, "utcnow", lambda: later)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)
    assert "Written where Redis is not configured" in reviewer.get(SECTION).get_data(as_text=True)


def test_a_kept_reviewer_page_costs_a_few_small_queries(shared_app, document):
    for _ in range(20):
        make_comment(make_user("reviewer"), document, status="approved")
    reviewer, _ = signed_in(shared_app)
    reviewer.get(SECTION)
    with counted_queries(shared_app) as statements:
        assert reviewer.get(SECTION).status_code == 200
    # The account's session and user, and whether this reader sees more than visitors (no fingerprint: Redis).
    assert len(statements) <= 3, statements


def test_the_signed_token_kept_for_a_session_is_accepted_and_never_another_sessions(shared_app, document):
    first, _ = signed_in(shared_app)
    second, _ = signed_in(shared_app)
    tokens = [csrf_token(first.get(SECTION).get_data(as_text=True)) for _ in range(3)]
    assert len(set(tokens)) == 1  # signed once for this session, in this process
    other = csrf_token(second.get(SECTION).get_data(as_text=True))
    assert other != tokens[0]
    form = {"body": "Posted with the kept token", "kind": "general", "publication": "public_named"}
    assert first.post(SECTION, data={**form, "csrf_token": tokens[0]}).status_code == 302
    refused = second.post(SECTION, data={**form, "csrf_token": tokens[0]})  # another session's token
    assert refused.status_code == 400
