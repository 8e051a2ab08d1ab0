"""Conditional GET, and rendered pages kept for visitors who are not signed in.

Most readers are not signed in, and they all see the same page. Its ETag is a hash of everything that page
depends on: the code that renders it (a hash of the app's own files, the same in every process running the
same release), the time zone it is shown in, its path, and a fingerprint the reading service computes with
one small query (see services/reading.py). A browser that sends the tag back gets a 304.

The same tag keys a small in-process cache of rendered pages. Nothing in it can go stale: any change in the
database changes the fingerprint, so every process, whichever one made the change, looks for a new key and
renders afresh; the old entry is no longer asked for and falls out of the cache. A page matched to Redis's
change token is also marked for consult_app/visitor_pages.py, which then answers the same request again
without entering Flask.

Signed-in users see their own pending comments, forms with their CSRF token, moderator counts: their pages
are never cached whole and get no ETag. What those pages share with everyone's (a section's text and published
comments, the empty comment form, a reviewer's page with their name and token left out) is kept apart, under
the same tags (`shared_part`, used by consult_app/reading/parts.py), and is never served as a page by itself.
One after-request rule (`mark_personal_responses`) marks every response to them `private, no-store`: pages,
downloads, redirects and error pages alike, so that no browser history, disk cache or proxy keeps a copy.
The same rule covers every request whose session cookie names an account
(deactivated or ended sessions included) and every response that writes the session cookie (a log-in, a
log-out, a form's CSRF token, forgetting an ended session): a shared cache must never keep someone's cookie,
nor hand it on. The reading pages ask the same question (`is_personal`) before they share a page, so the two
never disagree.

The public API (consult_app/api/) answers everyone alike, signed in or not: its requests have no session and
nobody signed in (`answer_everyone_alike`), so `is_personal` is False for them whatever cookies they carry, and
`public_resource` marks the answers `public, max-age=60`, with the same tags and cache as the reading pages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, Response, current_app, g, request, session
from flask.sessions import SessionInterface
from flask_login import current_user

from consult_app import page_changes, visitor_pages
from consult_app.extensions import login_manager
from consult_app.i18n import current_language
from consult_app.kept import LeastRecentlyUsed as PageCache  # pages kept encoded: an answer copies bytes
from consult_app.models.types import utcnow
from consult_app.permissions import is_signed_in

PACKAGE_DIR = Path(__file__).resolve().parent
RELEASE_FILES = (".py", ".html", ".txt", ".css", ".js", ".mo")
EXTENSION_KEY = "consult_http_cache"
PRIVATE = "private, no-store"
# Answers that are the same for everyone: any cache may keep them for a minute, then asks again (with the tag).
PUBLIC = "public, max-age=60"
# Where Flask-Login keeps the session's account (and the user it loaded, once someone asked for it).
SESSION_USER_KEY = "_user_id"


@dataclass(frozen=True)
class Matched:
    """A page's tag as the fingerprint query found it under one change token, and until when it may be trusted
    without asking the database again (UTC)."""

    tag: str
    good_until: datetime
    token: str  # the change token it was matched under


class _State:
    def __init__(self, enabled: bool, size: int, recheck_seconds: int) -> None:
        self.enabled = enabled
        self.pages = PageCache(size)
        # Parts of personal pages (consult_app/reading/parts.py): never served as a page to anyone.
        self.parts = PageCache(size)
        # (path, variant, change token) -> Matched: what spares a visitor's request the fingerprint query.
        self.matched = PageCache(size * 4)
        # Whole answers to visitors, served before Flask (consult_app/visitor_pages.py).
        self.answers = PageCache(size)
        self.recheck = timedelta(seconds=recheck_seconds)
        self._release: str | None = None

    @property
    def release(self) -> str:
        # Hashed when first needed, not at start: most apps the tests make never serve a visitor's page.
        # Two threads may both compute it; they get the same value.
        if self._release is None:
            self._release = release_hash()
        return self._release


def release_hash(folder: Path = PACKAGE_DIR) -> str:
    """A hash of the app's code, templates and static files: a new release makes new tags."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.suffix in RELEASE_FILES and p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def init_app(app: Flask) -> None:
    # With templates reloaded from disk (debug), a page can change without the code hash knowing: no tags then.
    enabled = not (app.debug or app.config.get("TEMPLATES_AUTO_RELOAD"))
    config = app.config
    state = _State(enabled, config["PAGE_CACHE_SIZE"], config["PAGE_CACHE_RECHECK_SECONDS"])
    app.extensions[EXTENSION_KEY] = state
    page_changes.init_app(app)
    app.after_request(mark_personal_responses)
    if enabled:
        visitor_pages.install(app, state.answers)


def is_personal() -> bool:
    """Whether this request's answer belongs to one browser: a signed-in user, a session cookie naming an
    account, or a session written during the request (the answer then carries that browser's cookie; loading
    the user of an ended session does so, to forget it).

    Asks the database nothing: a user nobody loaded during the request is judged by what the cookie claims
    (the 503 page, when the database is down, must not try to load one)."""
    user = g.get("_login_user")
    return (user is not None and is_signed_in(user)) or SESSION_USER_KEY in session or session.modified


def mark_personal_responses(response: Response) -> Response:
    """Every response to a signed-in person, or that writes the session cookie, is kept by no cache."""
    if is_personal():
        response.headers["Cache-Control"] = PRIVATE
        response.vary.add("Cookie")
    return response


def _state() -> _State:
    return current_app.extensions[EXTENSION_KEY]


def page_cache() -> PageCache:
    return _state().pages


def clear_pages() -> None:
    """Forget every rendered visitor's page, including the answers kept in front of Flask."""
    state = _state()
    state.pages.clear()
    state.answers.clear()


def _etag(fingerprint: str, language: str = "") -> str:
    """The tag of a page: release, time zone, language (reading pages; the API speaks codes), path, data."""
    state = _state()
    parts = (state.release, current_app.config["CONSULT_TIMEZONE"], language, request.path, fingerprint)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _is_shared_view() -> bool:
    """Whether this request gets the page every visitor gets: not signed in, no session cookie naming an
    account (see is_personal), and no message waiting in the session (a flashed message is shown once, to this
    visitor only)."""
    return _state().enabled and not is_signed_in(current_user) and not is_personal() and not session.get("_flashes")


def reading_page(fingerprint: Callable[[], str | None], render: Callable[[], str]) -> Response:
    """The response for a reading page: 304, a cached page, or `render()` (which may abort with 404).
    `fingerprint()` is None when there is no such page: `render()` then says so.

    With Redis (REDIS_URL), a page this process already matched to the current change token needs no
    fingerprint query (consult_app/page_changes.py); otherwise the query decides, as it always did."""
    if not _is_shared_view():
        return _personal(render())
    match = _current_match()
    if match is None:
        found = fingerprint()
        if found is None:
            return _personal(render())
        tag = _etag(found, current_language())
        match = _remember_match(tag, found)
    else:
        tag = match.tag
    if request.if_none_match.contains_weak(tag):
        return _shared(Response(status=304), tag)
    pages = page_cache()
    page = pages.get(tag)
    if page is None:
        html = render()
        if session.modified:  # rendering wrote to this visitor's session: the page is theirs alone
            return _personal(html)
        page = html.encode()
        pages.put(tag, page)
    if match is not None:  # matched to a change token: the layer in front of Flask may keep the whole answer
        mark = visitor_pages.Mark(current_language(), match.token, match.good_until)
        request.environ[visitor_pages.FLASK_MARK] = mark
    return _shared(Response(page, mimetype="text/html"), tag)


def shared_part(fingerprint: Callable[[], str | None], variant: tuple, render: Callable[[], object]):
    """A part of a personal page (a signed-in reader's) that every reader of this path and language sees alike,
    such as a section's text with its margins and its published comments: `render()` once, then reused under
    the tag the visitors' page has now (the same change token or fingerprint), for as long as that tag stands.

    `variant` names whatever else the part depends on (whether it offers "Comment on this paragraph", replies).
    `render()` must put nothing personal in it: the caller renders it as nobody in particular (no account, no
    CSRF token, no flashed message), and tests/functional/test_shared_parts.py checks that it does."""
    state = _state()
    if not state.enabled:
        return render()
    tag = g.get("consult_part_tag")  # a page's second part needs no second look at the token or fingerprint
    if tag is None:
        tag = _matched_tag()
        if tag is None:
            found = fingerprint()
            if found is None:
                return render()
            tag = _etag(found, current_language())
            _remember_match(tag, found)
        g.consult_part_tag = tag
    key = (tag, variant)
    part = state.parts.get(key)
    if part is None:
        part = render()
        state.parts.put(key, part)
    return part


def part_cache() -> PageCache:
    return _state().parts


def _match_key(api: bool = False) -> tuple[str, str, str] | None:
    """Where a match is kept: the path, the interface language and the change token. Nothing else about the
    visitor: only requests that get the shared page come here. The API's answers speak no language but depend
    on the query (a page of comments): the path with its query, and no language."""
    changes = page_changes.change_token()
    token = changes.current() if changes is not None else None
    if token is None:
        return None
    if api:
        g.consult_match_key = (request.full_path if request.query_string else request.path, "", token)
    else:
        g.consult_match_key = (request.path, current_language(), token)
    return g.consult_match_key


def _current_match(api: bool = False) -> Matched | None:
    key = _match_key(api)
    matched = _state().matched.get(key) if key is not None else None
    if matched is None or utcnow() >= matched.good_until:
        return None
    return matched


def _matched_tag(api: bool = False) -> str | None:
    matched = _current_match(api)
    return matched.tag if matched is not None else None


def _remember_match(tag: str, found: str) -> Matched | None:
    """Keep `tag` as what the page is under the current change token, if there is one and `found` says how long
    the clock leaves the page alone; the Matched kept, or None."""
    key = g.pop("consult_match_key", None)
    changes_at = getattr(found, "changes_at", None)  # only fingerprints that know their clock are kept
    if key is None or changes_at is None:
        return None
    state = _state()
    matched = Matched(tag, min(changes_at, utcnow() + state.recheck), key[2])
    state.matched.put(key, matched)
    return matched


def _shared(response: Response, tag: str) -> Response:
    response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = "no-cache"  # may be kept, but asked about again each time
    response.vary.add("Cookie")
    return response


def enabled() -> bool:
    """Whether pages and parts are kept at all (not with templates reloaded from disk)."""
    return _state().enabled


def personal(page: str | bytes) -> Response:
    """A page for this reader alone: kept by no cache."""
    return _personal(page)


def _personal(page: str | bytes) -> Response:
    response = Response(page, mimetype="text/html")
    response.headers["Cache-Control"] = PRIVATE
    response.vary.add("Cookie")
    return response


def answer_everyone_alike(app: Flask, prefix: str) -> None:
    """Requests whose path starts with `prefix` get the same answer whoever sends them: they have no session
    (nothing read from the cookie, nothing written back, so never a Set-Cookie on an answer that shared caches
    keep) and nobody signed in (Flask-Login loads no one, from the session or the remember-me cookie)."""
    app.session_interface = _NoSessionUnder(app.session_interface, prefix)

    @app.url_value_preprocessor  # these run before every before-request hook: no hook sees a user
    def nobody_signed_in(endpoint: str | None, values: dict | None) -> None:
        if request.path.startswith(prefix):
            g._login_user = login_manager.anonymous_user()


class _NoSessionUnder(SessionInterface):
    """The app's session interface, except that requests under `prefix` get a null session, which is not saved
    (and fails loudly if written to)."""

    def __init__(self, inner: SessionInterface, prefix: str) -> None:
        self.inner, self.prefix = inner, prefix

    def open_session(self, app: Flask, request):
        if request.path.startswith(self.prefix):
            return self.make_null_session(app)
        return self.inner.open_session(app, request)

    def save_session(self, app: Flask, session, response: Response) -> None:
        self.inner.save_session(app, session, response)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)  # what the wrapped interface has beyond SessionInterface (its serializer)


def public_resource(
    render: Callable[[], str], mimetype: str, fingerprint: Callable[[], str | None] | None = None
) -> Response:
    """The answer to a request under answer_everyone_alike(): 304, a cached body or `render()`, marked PUBLIC.

    The tag comes from `fingerprint()` as for reading_page (which spares rendering what is cached; None: there is
    no such resource, and `render()` says so), or, without a fingerprint, from the rendered body itself. Only
    answers to addresses without a query are kept: endless variations of a query would push the reading pages
    out of the cache."""
    state = _state()
    if not state.enabled:
        return _public(Response(render(), mimetype=mimetype))
    body = None
    if fingerprint is None:
        body = render()
        tag = _etag(hashlib.sha256(body.encode()).hexdigest())
    else:
        # As for the reading pages: with Redis, an answer this process matched to the change token needs no
        # fingerprint query (only fingerprints that say when the clock changes them are matched).
        tag = _matched_tag(api=True)
        if tag is None:
            found = fingerprint()
            if found is None:
                return _public(Response(render(), mimetype=mimetype))
            tag = _etag(found)
            _remember_match(tag, found)
    if request.if_none_match.contains_weak(tag):
        return _public(Response(status=304), tag)
    if body is None:
        kept = not request.query_string
        body = state.pages.get(tag) if kept else None
        if body is None:
            body = render()
            if kept:
                state.pages.put(tag, body)
    return _public(Response(body, mimetype=mimetype), tag)


def _public(response: Response, tag: str | None = None) -> Response:
    if tag is not None:
        response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = PUBLIC
    return response
