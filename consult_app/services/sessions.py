"""Log-in sessions kept in the database (`models.session.UserSession`).

A log-in makes a random token; the cookies carry it and the database keeps only its SHA-256. Deleting the
row ends the session at once, wherever its cookies are: a log-out, a copied cookie replayed from elsewhere,
a remember-me cookie kept after a password change all load nobody afterwards.

A session ends when it has been unused for SESSION_IDLE_MINUTES or, however much it is used,
SESSION_ABSOLUTE_DAYS after the log-in. `last_seen_at` is written at most once per TOUCH_EVERY, so a person
reading page after page costs one small write a minute, not one per page.

With Redis, each process keeps what `load` found for a session (the account's columns, the session's times)
under the personal change token (consult_app/page_changes.py), which every change to an account, a session or
a comment replaces: after a log-out, a password or role change or a deactivation anywhere, the session's next
form is refused at once and its pages stop within PAGE_CACHE_STALE_MS (page_changes.py says how). A kept
session is used only while it needs no touch (less than TOUCH_EVERY since it was last marked used), has not
ended by the clock, and for at most PAGE_CACHE_RECHECK_SECONDS (the bound for changes made behind the app's
back: `psql`, a process without REDIS_URL); otherwise, and without Redis, `load` asks the database.

Functions only flush, except `touch`, which writes on a connection of its own (see there); callers commit.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import delete, inspect, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from consult_app import page_changes
from consult_app.extensions import db
from consult_app.kept import LeastRecentlyUsed, in_app
from consult_app.models import User, UserSession
from consult_app.models.session import IP_ADDRESS_MAX, USER_AGENT_MAX
from consult_app.models.types import utcnow
from consult_app.signals import account_exporting

log = logging.getLogger("consult.security")
TOKEN_BYTES = 32
# A cookie value longer than this is no token of ours: it is refused before it is hashed or looked up.
TOKEN_MAX = 100
TOUCH_EVERY = timedelta(minutes=1)
KEPT_EXTENSION_KEY = "consult_kept_sessions"
KEPT_SESSIONS = 4096  # per process: the sessions of the readers active in the last minutes
ACCOUNT_COLUMNS = tuple(attribute.key for attribute in inspect(User).column_attrs)


@dataclass(frozen=True)
class KeptSession:
    """What `load` found for a session, under the personal change token `token`. `account` is a detached copy of
    the User, never attached to any database session itself: each request gets its own merged copy."""

    token: str
    account: User
    expires_at: datetime
    last_seen_at: datetime
    recheck_at: datetime


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta

    def described(self) -> dict[str, str]:
        """The two lifetimes in words ("7 days", "90 minutes"), for the account page."""
        return {"idle": _in_words(self.idle), "absolute": _in_words(self.absolute)}


def _in_words(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 1440 == 0:
        return ngettext("%(num)d day", "%(num)d days", minutes // 1440)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def lifetimes() -> Lifetimes:
    config = current_app.config
    return Lifetimes(timedelta(minutes=config["SESSION_IDLE_MINUTES"]), timedelta(days=config["SESSION_ABSOLUTE_DAYS"]))


def _usable(token: object) -> bool:
    """Whether a cookie's value could be a token of ours at all (anything else is refused before hashing)."""
    return isinstance(token, str) and 0 < len(token) <= TOKEN_MAX


def session_id(token: str) -> str:
    """The row id of the session a cookie's token opens."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(user: User, *, remember: bool = False, user_agent: str = "", ip_address: str = "") -> str:
    """Start a session for `user` and return its token (for the cookies; it is not stored).

    Also removes the account's sessions that have already ended, so that the table stays the size of the
    sessions in use even without `flask --app wsgi sessions purge`."""
    now = utcnow()
    _delete_ended(now, UserSession.user_id == user.id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(
        UserSession(
            id=session_id(token),
            user_id=user.id,
            remember=remember,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetimes().absolute,
            user_agent=user_agent[:USER_AGENT_MAX],
            ip_address=ip_address[:IP_ADDRESS_MAX],
        )
    )
    db.session.flush()
    user.login_token = token
    return token


def load(token: object) -> User | None:
    """The active account that the session `token` opens, or None if it opens none (any more)."""
    if not _usable(token):
        return None
    key, now = session_id(token), utcnow()
    changes = page_changes.personal_token()  # before the database: a change committed after it renews it
    kept = _kept().get(key) if changes is not None else None
    if kept is not None and kept.token == changes and _usable_while_kept(kept, now):
        user = db.session.merge(kept.account, load=False)  # the request's own copy, without a query
        user.login_token = token
        return user
    row = db.session.execute(
        select(UserSession, User).join(User).where(UserSession.id == key, User.active.is_(True))
    ).first()
    if row is None:
        return None
    record, user = row
    if has_ended(record, now):
        return None
    if now - record.last_seen_at >= TOUCH_EVERY:
        touch(record, now)
    if changes is not None:
        copy = _detached_copy(user)
        recheck_at = page_changes.recheck_at(now)
        _kept().put(key, KeptSession(changes, copy, record.expires_at, record.last_seen_at, recheck_at))
    user.login_token = token
    return user


def _usable_while_kept(kept: KeptSession, now: datetime) -> bool:
    """Not ended by the clock, not yet due to be marked as used (which only the database path does) nor to be
    checked in the database again."""
    ends = min(kept.expires_at, kept.last_seen_at + lifetimes().idle, kept.recheck_at)
    return now - kept.last_seen_at < TOUCH_EVERY and now < ends


def _kept() -> LeastRecentlyUsed:
    return in_app(KEPT_EXTENSION_KEY, KEPT_SESSIONS)


def _detached_copy(user: User) -> User:
    """A copy of `user`'s columns as loaded, detached: what db.session.merge(..., load=False) takes."""
    copy = User(**{name: getattr(user, name) for name in ACCOUNT_COLUMNS})
    make_transient_to_detached(copy)
    return copy


def has_ended(record: UserSession, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return now >= record.expires_at or now >= record.last_seen_at + lifetimes().idle


def touch(record: UserSession, now: datetime) -> None:
    """Note that the session is in use. Written on a pooled connection of its own and committed there: the
    request's own transaction belongs to its view, which may well commit nothing. A failure here only means
    the session looks idle a minute earlier, so it is logged and the request goes on."""
    try:
        with db.engine.begin() as connection:
            connection.execute(update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now))
    except SQLAlchemyError as error:
        log.warning("session not touched: user=%r: %s", record.user_id, str(error).splitlines()[0])
        return
    set_committed_value(record, "last_seen_at", now)  # already stored: nothing for the request to flush


def is_remembered(token: object) -> bool:
    """Whether the session `token` opens was started with "keep me logged in"."""
    if not _usable(token):
        return False
    return bool(db.session.scalar(select(UserSession.remember).where(UserSession.id == session_id(token))))


def end(token: object) -> None:
    """End the session `token` opens, if it still exists."""
    if _usable(token):
        db.session.execute(delete(UserSession).where(UserSession.id == session_id(token)))
        db.session.flush()


def end_all(user: User, keep: str | None = None) -> int:
    """End every session of `user` except the one the token `keep` opens; return how many ended."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        statement = statement.where(UserSession.id != session_id(keep))
    ended = db.session.execute(statement).rowcount
    db.session.flush()
    return ended


def active_sessions(user: User) -> list[UserSession]:
    """The sessions of `user` that have not ended, most recently used first."""
    now = utcnow()
    statement = (
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.expires_at > now)
        .where(UserSession.last_seen_at > now - lifetimes().idle)
        .order_by(UserSession.last_seen_at.desc(), UserSession.created_at.desc())
    )
    return list(db.session.scalars(statement))


def purge_ended() -> int:
    """Delete every session that has ended (`flask --app wsgi sessions purge`); return how many."""
    return _delete_ended(utcnow())


def _delete_ended(now: datetime, *conditions) -> int:
    ended = or_(UserSession.expires_at <= now, UserSession.last_seen_at <= now - lifetimes().idle)
    count = db.session.execute(delete(UserSession).where(ended, *conditions)).rowcount
    db.session.flush()
    return count


@account_exporting.connect
def _on_account_exporting(user) -> dict:
    """The person's data download lists their sessions as the account page shows them (never a token)."""
    return {
        "sessions": [
            {
                "logged_in_at": record.created_at.isoformat(),
                "last_used_at": record.last_seen_at.isoformat(),
                "user_agent": record.user_agent,
                "ip_address": record.ip_address,
                "kept_logged_in": record.remember,
            }
            for record in active_sessions(user)
        ]
    }
