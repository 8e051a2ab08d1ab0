"""Configuration classes and the environment variables that override them.

`CONSULT_ENV` picks the class: `development` (the default), `production` or `testing`. Environment
variables are read when the app is created (not at import), so a process sees the environment it runs in.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
# Shown by the privacy notice outside production, which marks them as placeholders (services/privacy.py).
PLACEHOLDER_CONTROLLER = "Example Organisation (a placeholder: set CONSULT_CONTROLLER)"
PLACEHOLDER_PRIVACY_CONTACT = "privacy@example.org"


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "base"
    # None means "SQLite file under instance/": the factory fills it in, because only the app knows that folder.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SECRET_KEY: str | None = None
    GENERATE_SECRET_KEY = False
    CONSULT_TIMEZONE = "UTC"
    # The privacy notice: who controls the personal data, where to ask about it, and how long an idle account
    # is kept (`flask --app wsgi accounts purge` applies it). Production has no defaults for the first two.
    CONSULT_CONTROLLER = PLACEHOLDER_CONTROLLER
    CONSULT_PRIVACY_CONTACT = PLACEHOLDER_PRIVACY_CONTACT
    CONSULT_RETENTION = "24 months"
    # Every mailed or exported link starts with this (consult_app/links.py), never with the request's Host.
    # Required in production; production also answers 400 to any other Host.
    CONSULT_BASE_URL = "http://127.0.0.1:5000"
    GUIDANCE_DIR = str(BASE_DIR / "guidance")
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    MAIL_URL = "console://"
    # At most this many mails to one address in an hour, counted in the outbox (so across every process);
    # more are dropped with a log line. Enough for a confirmation, a reset or two and some moderation news.
    MAIL_PER_RECIPIENT_PER_HOUR = 5
    # A thread in the web process that delivers the outbox every MAIL_DELIVERY_INTERVAL seconds (development
    # only: production runs `flask --app wsgi mail deliver --watch` as a process of its own).
    MAIL_DELIVERY_THREAD = False
    MAIL_DELIVERY_INTERVAL = 2.0
    # An author hears about a response this long after it is saved, so that corrections made meanwhile join the
    # same mail (services/response_mail.py).
    RESPONSE_MAIL_DELAY_SECONDS = 300
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session: a long comment must not expire its form
    PERMANENT_SESSION_LIFETIME = 14 * 24 * 3600
    # Log-in sessions live in the database (consult_app/services/sessions.py). One ends when unused for
    # SESSION_IDLE_MINUTES, and in any case SESSION_ABSOLUTE_DAYS after the log-in; "keep me logged in"
    # keeps its cookies until then (without it they go when the browser closes).
    SESSION_IDLE_MINUTES = 7 * 24 * 60
    SESSION_ABSOLUTE_DAYS = 30
    # Failed log-ins per account, whatever address they come from (consult_app/services/throttle.py): from the
    # 5th within 15 minutes each further attempt waits a doubling delay, and the 10th locks the account for
    # LOGIN_LOCK_MINUTES (its owner gets one mail). Counted in the rate-limit storage, but on even when
    # RATELIMIT_ENABLED is false: only load tests switch it off, with LOGIN_LOCK_ENABLED.
    LOGIN_LOCK_ENABLED = True
    LOGIN_LOCK_MINUTES = 15
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    LOGIN_FAILURES_BEFORE_DELAY = 5
    LOGIN_FAILURES_BEFORE_LOCK = 10
    LOGIN_FIRST_DELAY_SECONDS = 2
    # When the rate-limit store (Redis) is down, keep serving and log it rather than fail every request.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_HEADERS_ENABLED = True
    # Requests to the public read API (/api/), per client address, all its addresses together.
    API_RATE_LIMIT = "120 per minute"
    # How many reverse proxies (nginx, a load balancer, ...) stand between the clients and the app. Each one
    # appends to X-Forwarded-For and sets X-Forwarded-Proto; the app believes exactly this many hops of those
    # headers (client address for rate limits and logs, https for links and secure cookies). 0 believes none.
    PROXY_COUNT = 0
    # Rendered reading pages kept per process for visitors who are not signed in, keyed by their ETag so
    # that none can go stale (consult_app/http_cache.py); 0 keeps none. About 50 kB a page.
    PAGE_CACHE_SIZE = 128
    # Redis for what processes share (consult_app/page_changes.py: the visitors' page cache asks it, not the
    # database, whether anything changed; RATELIMIT_STORAGE_URI defaults to it). None: every cached page costs
    # one fingerprint query instead. With Redis, a process reuses the change token it read for at most
    # PAGE_CACHE_STALE_MS (the longest a visitor can see a page from before a change), and checks a page against
    # the database every PAGE_CACHE_RECHECK_SECONDS anyway (for changes made behind the app's back).
    REDIS_URL: str | None = None
    PAGE_CACHE_KEY = "consult:visible-change"
    PAGE_CACHE_STALE_MS = 500
    PAGE_CACHE_RECHECK_SECONDS = 10
    # werkzeug's scrypt at its own work factor (N=2^15): see consult_app/models/user.py.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a hashing method name


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # Without SECRET_KEY, one is generated once and kept under instance/ (see create_app).
    GENERATE_SECRET_KEY = True
    MAIL_DELIVERY_THREAD = True  # `make run` prints mail as it always did, without a second process


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - tests only
    RATELIMIT_ENABLED = False
    # Most tests post forms directly; tests/functional/test_csrf.py switches CSRF back on.
    WTF_CSRF_ENABLED = False
    # The same algorithm at a 32 times lower work factor: the suite hashes hundreds of passwords, and at the
    # production cost hashing was more than half of its time. tests/unit/test_config.py checks that only
    # this class lowers it.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # noqa: S105 - a hashing method name
    # The test client's default host.
    CONSULT_BASE_URL = "http://localhost"
    RESPONSE_MAIL_DELAY_SECONDS = 0  # the mail tests deliver at once


class ProductionConfig(Config):
    ENV_NAME = "production"
    CONSULT_CONTROLLER = ""  # no default: the app refuses to start without it
    CONSULT_PRIVACY_CONTACT = ""  # nor without this
    CONSULT_BASE_URL = ""  # no default: the app refuses to start without it
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}

# Environment variable -> config key. Booleans are parsed; everything else is taken as text.
ENVIRONMENT_KEYS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "CONSULT_TIMEZONE": "CONSULT_TIMEZONE",
    "CONSULT_CONTROLLER": "CONSULT_CONTROLLER",
    "CONSULT_PRIVACY_CONTACT": "CONSULT_PRIVACY_CONTACT",
    "CONSULT_RETENTION": "CONSULT_RETENTION",
    "CONSULT_BASE_URL": "CONSULT_BASE_URL",
    "GUIDANCE_DIR": "GUIDANCE_DIR",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "REDIS_URL": "REDIS_URL",
    "CONSULT_PAGE_CACHE_KEY": "PAGE_CACHE_KEY",
    "CONSULT_PAGE_CACHE_STALE_MS": "PAGE_CACHE_STALE_MS",
    "CONSULT_PAGE_CACHE_RECHECK_SECONDS": "PAGE_CACHE_RECHECK_SECONDS",
    "RATELIMIT_ENABLED": "RATELIMIT_ENABLED",
    "MAIL_URL": "MAIL_URL",
    "MAIL_FROM": "MAIL_FROM",
    "MAIL_PER_RECIPIENT_PER_HOUR": "MAIL_PER_RECIPIENT_PER_HOUR",
    "MAIL_DELIVERY_THREAD": "MAIL_DELIVERY_THREAD",
    "RESPONSE_MAIL_DELAY_SECONDS": "RESPONSE_MAIL_DELAY_SECONDS",
    "CONSULT_PROXY_COUNT": "PROXY_COUNT",
    "SESSION_IDLE_MINUTES": "SESSION_IDLE_MINUTES",
    "SESSION_ABSOLUTE_DAYS": "SESSION_ABSOLUTE_DAYS",
    "LOGIN_LOCK_ENABLED": "LOGIN_LOCK_ENABLED",
    "LOGIN_LOCK_MINUTES": "LOGIN_LOCK_MINUTES",
}
BOOLEAN_KEYS = {"RATELIMIT_ENABLED", "MAIL_DELIVERY_THREAD", "LOGIN_LOCK_ENABLED"}
INTEGER_KEYS = {
    "PROXY_COUNT",
    "MAIL_PER_RECIPIENT_PER_HOUR",
    "RESPONSE_MAIL_DELAY_SECONDS",
    "SESSION_IDLE_MINUTES",
    "SESSION_ABSOLUTE_DAYS",
    "LOGIN_LOCK_MINUTES",
    "PAGE_CACHE_STALE_MS",
    "PAGE_CACHE_RECHECK_SECONDS",
}
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def config_class(name: str | None = None) -> type[Config]:
    """Return the configuration class for `name` (or `CONSULT_ENV`); raise ValueError for an unknown name."""
    name = (name or os.environ.get("CONSULT_ENV") or "development").strip().lower()
    try:
        return CONFIGS[name]
    except KeyError:
        choices = ", ".join(sorted(CONFIGS))
        raise ValueError(f"CONSULT_ENV={name!r} is not one of: {choices}") from None


def from_environment(environ: dict[str, str] | None = None) -> dict[str, object]:
    """Read the overriding settings from the environment; raise ValueError for a value that cannot be used."""
    environ = os.environ if environ is None else environ
    settings: dict[str, object] = {}
    for variable, key in ENVIRONMENT_KEYS.items():
        value = environ.get(variable, "").strip()
        if not value:
            continue
        if key in BOOLEAN_KEYS:
            settings[key] = _parse_bool(variable, value)
        elif key in INTEGER_KEYS:
            settings[key] = _parse_int(variable, value)
        else:
            settings[key] = value
    if "REDIS_URL" in settings and "RATELIMIT_STORAGE_URI" not in settings:
        settings["RATELIMIT_STORAGE_URI"] = settings["REDIS_URL"]  # one Redis for everything shared
    return settings


def _parse_bool(variable: str, value: str) -> bool:
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{variable}={value!r} is not a yes/no value (use true or false)")


def _parse_int(variable: str, value: str) -> int:
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"{variable}={value!r} is not a whole number")
    return int(value)
