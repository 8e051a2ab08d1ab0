"""One value in Redis that changes whenever something a visitor can see changes: the reading pages' cache key.

Without it, every cached visitor page costs a fingerprint query (services/reading.py): on PostgreSQL four to
five round trips (pool pre-ping, BEGIN, the query, ROLLBACK) before a byte is sent. With it, a process asks
Redis for one short value (and reuses the answer for at most PAGE_CACHE_STALE_MS), and a page it has already
matched to that value is served without touching the database.

Nobody has to remember to call anything: SQLAlchemy session events notice, in every process (web workers, the
CLI, the mail worker, an import), when a flush or a bulk statement touched rows that visitors see, and the
value is replaced right after that transaction commits. Which rows: documents, versions and sections (any
change); comments that are or become approved, and any comment deleted; accounts deleted, or whose public name,
organisation, respondent type or country changed. A pending comment arriving, a log-in or a moderator's note
on a pending comment leave it alone, so that writers do not empty the visitors' cache.

The value is a random token, not a number: after a Redis restart (no persistence needed) no process can
mistake a new value for one it saw before. How stale a page can be, with Redis answering: PAGE_CACHE_STALE_MS
(default 500 ms), the longest a process reuses the token it read. Pages matched to a token are checked against
the database again after PAGE_CACHE_RECHECK_SECONDS anyway (default 10 s), which bounds what a change made
behind the app's back (psql, a bump lost with Redis) can leave visible. When Redis does not answer, each
request takes the fingerprint query again (fresh, as before this module existed), and Redis is tried again
after a second; the first process that reaches Redis after it failed replaces the token, since changes made
meanwhile were not counted. Without REDIS_URL there is no token, and every request takes the fingerprint
query.

A second token, under the same key with ":personal" added, changes whenever something a signed-in person sees
beyond visitors may have changed: an account or a log-in session changed or deleted (a log-out, a password or
role change, a deactivation), or any comment written, moderated or deleted. It keeps a signed-in reader's
request away from the database (services/sessions.py keeps the account a session opens, services/reading.py
whether a reader sees more than visitors on a section). Marking a session as used (`sessions.touch`, a
statement on a connection of its own) and a new log-in change nothing anyone else's session depends on, and
leave it alone. It is reused for PAGE_CACHE_STALE_MS like the visitors' token, except:

- for any request but GET and HEAD it is read from Redis afresh: a form posted with the cookie of a session
  ended a moment ago in another process (a log-out, a deactivation) is refused at once; a page may still be
  shown to it for at most PAGE_CACHE_STALE_MS;
- for OWN_CHANGE_SECONDS after a request committed such a change, the browser that made it has its requests
  read the token afresh (the time is noted in its session): a reviewer who posts a comment sees it on the next
  page, whichever process serves that page.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from datetime import datetime, timedelta
from itertools import chain

from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask.sessions import NullSession
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

log = logging.getLogger("consult.page_changes")
EXTENSION_KEY = "consult_page_changes"
RETRY_SECONDS = 1.0  # after Redis failed, this long on the fingerprint query before asking Redis again
REDIS_TIMEOUT = 0.25  # seconds: a Redis that hangs must not hold a reading request longer than this
_CHANGED = "consult_visible_change"  # the session.info flag: this transaction changed what visitors see
_PERSONAL = "consult_personal_change"  # ... and what a signed-in person sees (see the module's docstring)
PERSONAL_EXTENSION_KEY = "consult_personal_changes"
PERSONAL_KEY_SUFFIX = ":personal"
# Tables whose changes may change what a signed-in reader sees beyond visitors; a new row of the first two changes
# nobody's existing session or account.
PERSONAL_TABLES = frozenset({"users", "user_sessions", "comments"})
PERSONAL_INSERTS_IGNORED = frozenset({"users", "user_sessions"})
# Where a request that committed a personal change notes when, in its browser's session; and for how long that
# browser's requests read the personal token afresh (longer than any PAGE_CACHE_STALE_MS, with room for clocks
# of several hosts that differ a little).
OWN_CHANGE_KEY = "_consult_changed_at"
OWN_CHANGE_SECONDS = 10.0
SAFE_METHODS = frozenset({"GET", "HEAD"})

# Tables whose every change shows on a visitor's page; comments and users are judged row by row below.
VISIBLE_TABLES = frozenset({"documents", "versions", "sections"})
PUBLIC_PROFILE = ("display_name", "organisation", "respondent_type", "country")
STAFF_ONLY_COLUMNS = frozenset({"assignee_id", "assignee", "moderation_note"})


class ChangeToken:
    """The current token from Redis, reused for at most `stale_seconds`; None whenever Redis cannot be asked."""

    def __init__(self, url: str, key: str, stale_seconds: float) -> None:
        self.key, self.stale_seconds = key, stale_seconds
        import redis  # deferred: only apps with REDIS_URL need it (60 ms of every command's start otherwise)

        self.client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
        self.errors = redis.RedisError
        self._lock = threading.Lock()
        self._token: str | None = None
        self._read_at = 0.0
        self._down_until = 0.0
        self._missed = False  # Redis failed since we last reached it: changes may have gone uncounted

    def current(self, fresh: bool = False) -> str | None:
        """The token; read from Redis unless read less than `stale_seconds` ago (always read when `fresh`)."""
        now = time.monotonic()
        with self._lock:
            if not fresh and self._token is not None and now - self._read_at < self.stale_seconds:
                return self._token
            if now < self._down_until:
                return None
        try:
            token = self._read()
        except self.errors as error:
            self._failed(error)
            return None
        with self._lock:
            self._token, self._read_at = token, now
        return token

    def _read(self) -> str:
        if self._missed:
            self._missed = False
            return self._replace()  # what changed while Redis was away was not counted: start afresh
        value = self.client.get(self.key)
        if value is None:  # a new or restarted Redis: set a token unless another process just did
            self.client.set(self.key, secrets.token_hex(16), nx=True)
            value = self.client.get(self.key)
        return value.decode()

    def bump(self) -> None:
        """Replace the token: every process looks at the database again for the pages it serves."""
        try:
            token = self._replace()
        except self.errors as error:
            self._failed(error)
            return
        with self._lock:
            self._token, self._read_at = token, time.monotonic()  # this process sees its own change at once

    def _replace(self) -> str:
        token = secrets.token_hex(16)
        self.client.set(self.key, token)
        return token

    def _failed(self, error: Exception) -> None:
        with self._lock:
            first = not self._missed
            self._token, self._missed = None, True
            self._down_until = time.monotonic() + RETRY_SECONDS
        if first:
            log.warning("page cache: Redis unavailable (%s); visitors' pages are checked in the database", error)


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if url:
        stale = app.config["PAGE_CACHE_STALE_MS"] / 1000
        key = app.config["PAGE_CACHE_KEY"]
        app.extensions[EXTENSION_KEY] = ChangeToken(url, key, stale)
        app.extensions[PERSONAL_EXTENSION_KEY] = ChangeToken(url, key + PERSONAL_KEY_SUFFIX, stale)


def change_token() -> ChangeToken | None:
    return current_app.extensions.get(EXTENSION_KEY)


def recheck_at(now: datetime) -> datetime:
    """When something kept under a token at `now` must be checked in the database again anyway (changes made
    behind the app's back: `psql`, a process without REDIS_URL): PAGE_CACHE_RECHECK_SECONDS later."""
    return now + timedelta(seconds=current_app.config["PAGE_CACHE_RECHECK_SECONDS"])


def personal_token() -> str | None:
    """The personal change token for this request (the same all through it), or None without Redis or when it
    does not answer: then nothing kept for signed-in readers may be used."""
    in_request = has_request_context()
    if in_request and "consult_personal_token" in g:
        return g.consult_personal_token
    changes = current_app.extensions.get(PERSONAL_EXTENSION_KEY)
    token = changes.current(fresh=in_request and _must_read_afresh()) if changes is not None else None
    if in_request:
        g.consult_personal_token = token
    return token


def _must_read_afresh() -> bool:
    """A request that may change something, or from a browser that changed something a moment ago."""
    if request.method not in SAFE_METHODS:
        return True
    changed_at = session.get(OWN_CHANGE_KEY)
    return isinstance(changed_at, int | float) and abs(time.time() - changed_at) < OWN_CHANGE_SECONDS


def _note_own_change() -> None:
    """Note in this browser's session that it just changed something (see the module's docstring). Requests
    without a session (the API's) have nothing to note it in, and change nothing personal."""
    if not isinstance(session._get_current_object(), NullSession):
        session[OWN_CHANGE_KEY] = round(time.time(), 3)


# --- noticing changes, whatever code made them ------------------------------------------------------------------


@event.listens_for(Session, "after_flush")
def _note_flushed_changes(session: Session, flush_context) -> None:
    # After the flush, `new`, `dirty` and `deleted` and each attribute's history still describe what was flushed.
    info = session.info
    for instance in chain(session.new, session.dirty, session.deleted):
        if info.get(_CHANGED) and info.get(_PERSONAL):
            return
        if not info.get(_PERSONAL) and _personal_change(session, instance):
            info[_PERSONAL] = True
        if not info.get(_CHANGED) and _visible_change(session, instance):
            info[_CHANGED] = True


def _personal_change(session: Session, instance) -> bool:
    table = getattr(type(instance), "__tablename__", None)
    if table not in PERSONAL_TABLES:
        return False
    return not (table in PERSONAL_INSERTS_IGNORED and instance in session.new)


def _visible_change(session: Session, instance) -> bool:
    table = getattr(type(instance), "__tablename__", None)
    if table in VISIBLE_TABLES:
        return True
    if table not in ("comments", "users"):
        return False
    if instance in session.deleted:
        return True
    state = inspect(instance)
    if table == "users":
        return instance not in session.new and any(_changed(state, name) for name in PUBLIC_PROFILE)
    # A comment: visitors see approved ones; one that was approved and is no longer is a change too. Staff-only
    # columns of an approved comment (who handles it, an internal note) change nothing a visitor sees.
    if _changed(state, "status"):
        return True
    return getattr(instance, "status", None) == "approved" and any(
        attribute.history.has_changes() for attribute in state.attrs if attribute.key not in STAFF_ONLY_COLUMNS
    )


def _changed(state, attribute: str) -> bool:
    return attribute in state.attrs and state.attrs[attribute].history.has_changes()


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_statements(execute_state) -> None:
    """`session.execute(update(Comment)...)` and the like bypass the flush: judged by their table alone."""
    if not (execute_state.is_insert or execute_state.is_update or execute_state.is_delete):
        return
    name = getattr(getattr(execute_state.statement, "table", None), "name", None)
    if name in VISIBLE_TABLES | {"comments", "users"}:
        execute_state.session.info[_CHANGED] = True
    if name in PERSONAL_TABLES:
        execute_state.session.info[_PERSONAL] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    # After, not before, the commit: a reader that saw the new token must find the change in the database.
    visible, personal = session.info.pop(_CHANGED, False), session.info.pop(_PERSONAL, False)
    if not (visible or personal) or not has_app_context():
        return
    extensions = current_app.extensions
    for changed, key in ((visible, EXTENSION_KEY), (personal, PERSONAL_EXTENSION_KEY)):
        token = extensions.get(key) if changed else None
        if token is not None:
            token.bump()
    if personal and has_request_context() and PERSONAL_EXTENSION_KEY in extensions:
        g.pop("consult_personal_token", None)  # the rest of this request reads the new one
        _note_own_change()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_PERSONAL, None)
