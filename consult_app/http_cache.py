"""Conditional GET, and rendered pages kept for visitors who are not signed in.

Most readers are not signed in, and they all see the same page. Its ETag is a hash of everything that page
depends on: the code that renders it (a hash of the app's own files, the same in every process running the
same release), the time zone it is shown in, its path, and a fingerprint the reading service computes with
one small query (see services/reading.py). A browser that sends the tag back gets a 304.

The same tag keys a small in-process cache of rendered pages. Nothing in it can go stale: any change in the
database changes the fingerprint, so every process, whichever one made the change, looks for a new key and
renders afresh; the old entry is no longer asked for and falls out of the cache.

Signed-in users see their own pending comments, forms with their CSRF token, moderator counts: their pages
are never cached, get no ETag, and are marked `private, no-store`.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, current_app, request, session
from flask_login import current_user

from consult_app.permissions import is_signed_in

PACKAGE_DIR = Path(__file__).resolve().parent
RELEASE_FILES = (".py", ".html", ".css", ".js")
EXTENSION_KEY = "consult_http_cache"


class PageCache:
    """Rendered pages by ETag, least recently used first out; shared by the threads of one process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: str, page: str) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


class _State:
    def __init__(self, enabled: bool, size: int) -> None:
        self.enabled = enabled
        self.pages = PageCache(size)
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
    app.extensions[EXTENSION_KEY] = _State(enabled, app.config["PAGE_CACHE_SIZE"])


def _state() -> _State:
    return current_app.extensions[EXTENSION_KEY]


def page_cache() -> PageCache:
    return _state().pages


def _etag(fingerprint: str) -> str:
    state = _state()
    parts = (state.release, current_app.config["CONSULT_TIMEZONE"], request.path, fingerprint)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _is_shared_view() -> bool:
    """Whether this request gets the page every visitor gets: not signed in, and no message waiting
    in the session (a flashed message is shown once, to this visitor only)."""
    return _state().enabled and not is_signed_in(current_user) and not session.get("_flashes")


def reading_page(fingerprint: Callable[[], str | None], render: Callable[[], str]) -> Response:
    """The response for a reading page: 304, a cached page, or `render()` (which may abort with 404).
    `fingerprint()` is None when there is no such page: `render()` then says so."""
    if not _is_shared_view():
        return _personal(render())
    found = fingerprint()
    if found is None:
        return _personal(render())
    tag = _etag(found)
    if request.if_none_match.contains_weak(tag):
        return _shared(Response(status=304), tag)
    pages = page_cache()
    page = pages.get(tag)
    if page is None:
        page = render()
        if session.modified:  # rendering wrote to this visitor's session: the page is theirs alone
            return _personal(page)
        pages.put(tag, page)
    return _shared(Response(page, mimetype="text/html"), tag)


def _shared(response: Response, tag: str) -> Response:
    response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = "no-cache"  # may be kept, but asked about again each time
    response.vary.add("Cookie")
    return response


def _personal(page: str) -> Response:
    response = Response(page, mimetype="text/html")
    response.headers["Cache-Control"] = "private, no-store"
    response.vary.add("Cookie")
    return response
