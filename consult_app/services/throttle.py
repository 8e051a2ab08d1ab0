"""Failed log-ins per account, whatever address they come from.

The per-address rate limits (Flask-Limiter) stop one client; they do nothing against a password guesser
spread over many addresses. This counts failed log-ins per account, keyed by a hash of the normalised email
(so the storage holds no address), in the rate-limit storage (RATELIMIT_STORAGE_URI: Redis in production,
shared by every process; memory:// otherwise):

- up to LOGIN_FAILURES_BEFORE_DELAY failures within LOGIN_FAILURE_WINDOW_MINUTES: nothing happens;
- from there, the next attempt must wait LOGIN_FIRST_DELAY_SECONDS, doubling with each failure, and an
  attempt during the wait is refused and counts as a failure;
- at LOGIN_FAILURES_BEFORE_LOCK the account is locked for LOGIN_LOCK_MINUTES: every attempt is refused,
  even with the right password, and the owner gets one mail (`record_failure` says when).

Unknown addresses are counted the same way, so the answers (status, message, time taken) never tell whether
an account exists. It is on whatever RATELIMIT_ENABLED says (the tests run with rate limits off); only
LOGIN_LOCK_ENABLED switches it off, for load tests. When the storage cannot be reached the log-in goes on
unthrottled and a line is logged, like the rate limits themselves (README: "Redis goes away").
"""

from __future__ import annotations

import hashlib
import logging
import math

from flask import current_app
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string

log = logging.getLogger("consult.security")
EXTENSION_KEY = "consult_login_throttle"


def account_key(email: str) -> str:
    """A short, stable name for the account an email address would log in to (also used in log lines)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def _storage() -> Storage:
    app = current_app._get_current_object()
    storage = app.extensions.get(EXTENSION_KEY)
    if storage is None:
        options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        made = storage_from_string(app.config["RATELIMIT_STORAGE_URI"], wrap_exceptions=True, **options)
        storage = app.extensions.setdefault(EXTENSION_KEY, made)
    return storage


def _keys(email: str) -> tuple[str, str, str]:
    prefix = f"{current_app.config.get('RATELIMIT_KEY_PREFIX') or ''}/consult-login/{account_key(email)}"
    return f"{prefix}/failures", f"{prefix}/wait", f"{prefix}/locked"


def _seconds(minutes: float) -> int:
    # Redis expires keys in whole seconds.
    return max(1, math.ceil(minutes * 60))


def _enabled() -> bool:
    return bool(current_app.config["LOGIN_LOCK_ENABLED"])


def is_refused(email: str) -> bool:
    """Whether a log-in for this address is refused now, without looking at the password."""
    if not _enabled():
        return False
    _, wait, locked = _keys(email)
    try:
        storage = _storage()
        return storage.get(locked) > 0 or storage.get(wait) > 0
    except StorageError as error:
        log.warning("Failed to throttle log-in: %s", error.storage_error)
        return False


def record_failure(email: str) -> bool:
    """Count a failed or refused attempt; True when this one locked the account (exactly once per lock,
    across processes: the lock counter's first increment)."""
    if not _enabled():
        return False
    config = current_app.config
    failures_key, wait, locked = _keys(email)
    try:
        storage = _storage()
        if storage.get(locked) > 0:
            return False  # attempts during a lock neither extend it nor mail again
        failures = storage.incr(failures_key, _seconds(config["LOGIN_FAILURE_WINDOW_MINUTES"]))
        if failures >= config["LOGIN_FAILURES_BEFORE_LOCK"]:
            first = storage.incr(locked, _seconds(config["LOGIN_LOCK_MINUTES"])) == 1
            storage.clear(failures_key)  # after the lock, the count starts again
            storage.clear(wait)
            return first
        if failures >= config["LOGIN_FAILURES_BEFORE_DELAY"]:
            delay = config["LOGIN_FIRST_DELAY_SECONDS"] * 2 ** (failures - config["LOGIN_FAILURES_BEFORE_DELAY"])
            storage.clear(wait)
            storage.incr(wait, max(1, math.ceil(delay)))
    except StorageError as error:
        log.warning("Failed to throttle log-in: %s", error.storage_error)
    return False


def forget(email: str) -> None:
    """Start counting afresh (after a successful log-in or a password reset through the mailed link)."""
    if not _enabled():
        return
    try:
        storage = _storage()
        for key in _keys(email):
            storage.clear(key)
    except StorageError as error:
        log.warning("Failed to throttle log-in: %s", error.storage_error)
