"""Configuration classes and the environment variables that override them.

`CONSULT_ENV` picks the class: `development` (the default), `production` or `testing`. Environment
variables are read when the app is created (not at import), so a process sees the environment it runs in.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "base"
    # None means "SQLite file under instance/": the factory fills it in, because only the app knows that folder.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SECRET_KEY: str | None = None
    GENERATE_SECRET_KEY = False
    CONSULT_TIMEZONE = "UTC"
    GUIDANCE_DIR = str(BASE_DIR / "guidance")
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    MAIL_URL = "console://"
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session: a long comment must not expire its form
    PERMANENT_SESSION_LIFETIME = 14 * 24 * 3600
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    # When the rate-limit store (Redis) is down, keep serving and log it rather than fail every request.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_HEADERS_ENABLED = True
    # How many reverse proxies (nginx, a load balancer, ...) stand between the clients and the app. Each one
    # appends to X-Forwarded-For and sets X-Forwarded-Proto; the app believes exactly this many hops of those
    # headers (client address for rate limits and logs, https for links and secure cookies). 0 believes none.
    PROXY_COUNT = 0
    # Rendered reading pages kept per process for visitors who are not signed in, keyed by their ETag so
    # that none can go stale (consult_app/http_cache.py); 0 keeps none. About 50 kB a page.
    PAGE_CACHE_SIZE = 128
    # werkzeug's scrypt at its own work factor (N=2^15): see consult_app/models/user.py.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a hashing method name


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # Without SECRET_KEY, one is generated once and kept under instance/ (see create_app).
    GENERATE_SECRET_KEY = True


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


class ProductionConfig(Config):
    ENV_NAME = "production"
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
    "GUIDANCE_DIR": "GUIDANCE_DIR",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "RATELIMIT_ENABLED": "RATELIMIT_ENABLED",
    "MAIL_URL": "MAIL_URL",
    "MAIL_FROM": "MAIL_FROM",
    "CONSULT_PROXY_COUNT": "PROXY_COUNT",
}
BOOLEAN_KEYS = {"RATELIMIT_ENABLED"}
INTEGER_KEYS = {"PROXY_COUNT"}
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
