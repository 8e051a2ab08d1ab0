"""Consult: open public consultation on draft guidance."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import config_class, from_environment
from consult_app.extensions import csrf, db, limiter, login_manager, migrate
from consult_app.links import BaseUrlError, check_base_url
from consult_app.services.mail import MailConfigurationError, check_mail_url
from consult_app.services.privacy import PrivacySettingsError, check_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
MAX_DATABASE_INT = 2**31 - 1
MAX_PROXY_COUNT = 5
log = logging.getLogger("consult")


class ConfigurationError(RuntimeError):
    """The app cannot start with the configuration it was given."""


def create_app(
    config_name: str | None = None, overrides: Mapping[str, object] | None = None, instance_path: str | None = None
) -> Flask:
    """Build the app: configuration class, then the environment, then `overrides` (used by the tests)."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    try:
        app.config.from_object(config_class(config_name))
        app.config.update(from_environment())
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    app.config.update(overrides or {})
    _prepare_instance(app)
    _check_configuration(app)
    _register_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    _trust_proxies(app)
    _trust_only_the_base_host(app)
    _deliver_mail_in_the_background(app)
    _warn_about_process_memory(app)
    return app


def _prepare_instance(app: Flask) -> None:
    """Fill in the defaults that live in instance/: the SQLite file and a development secret key."""
    instance = Path(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'consult.db'}"
    if not app.config.get("SECRET_KEY") and app.config.get("GENERATE_SECRET_KEY"):
        app.config["SECRET_KEY"] = _stored_secret_key(instance / "secret_key")


def _stored_secret_key(path: Path) -> str:
    """Read the development key, creating it (readable by the owner only) the first time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def _check_configuration(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        raise ConfigurationError("SECRET_KEY is not set: production refuses to start without one")
    try:
        check_mail_url(app.config["MAIL_URL"])
    except MailConfigurationError as error:
        raise ConfigurationError(f"MAIL_URL: {error}") from None
    try:
        check_base_url(app.config["CONSULT_BASE_URL"])
    except BaseUrlError as error:
        raise ConfigurationError(str(error) + " (production refuses to start without it)") from None
    try:
        check_settings(app.config)
    except PrivacySettingsError as error:
        raise ConfigurationError(str(error)) from None
    zone = app.config["CONSULT_TIMEZONE"]
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"CONSULT_TIMEZONE={zone!r} is not a known time zone") from None
    proxies = app.config["PROXY_COUNT"]
    if type(proxies) is not int or not 0 <= proxies <= MAX_PROXY_COUNT:
        raise ConfigurationError(
            f"CONSULT_PROXY_COUNT={proxies!r} must be the number of reverse proxies in front of the app, "
            f"0 to {MAX_PROXY_COUNT}"
        )
    per_hour = app.config["MAIL_PER_RECIPIENT_PER_HOUR"]
    if type(per_hour) is not int or per_hour < 1:
        raise ConfigurationError(f"MAIL_PER_RECIPIENT_PER_HOUR={per_hour!r} must be a whole number, at least 1")
    _check_session_lifetimes(app)


def _check_session_lifetimes(app: Flask) -> None:
    # 0 would end every session at once (or lock nobody out at all): surely a typing mistake.
    for key in ("SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_DAYS", "LOGIN_LOCK_MINUTES"):
        value = app.config[key]
        if type(value) is not int or value < 1:
            raise ConfigurationError(f"{key}={value!r} must be a whole number, at least 1")


def _trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT proxies, take the client address and scheme from the headers they add.

    Only X-Forwarded-For and X-Forwarded-Proto: a proxy that does not set X-Forwarded-Host would pass on
    whatever the client sent, and that would end up in the links we mail."""
    proxies = app.config["PROXY_COUNT"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0, x_port=0, x_prefix=0)


def _trust_only_the_base_host(app: Flask) -> None:
    """Production answers only to CONSULT_BASE_URL's host: any other `Host` header is a 400 (Flask's
    TRUSTED_HOSTS), so no address the app builds from a request can point anywhere else."""
    if app.config["ENV_NAME"] == "production" and app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = [urlsplit(app.config["CONSULT_BASE_URL"]).hostname]


def _deliver_mail_in_the_background(app: Flask) -> None:
    """MAIL_DELIVERY_THREAD: a thread of this process delivers the outbox, started by the first request.
    Not at start-up: every `flask` command (db upgrade, demo, ...) creates the app too, and so does the
    process of werkzeug's reloader that only watches files; none of them serves a request."""
    if not app.config["MAIL_DELIVERY_THREAD"]:
        return
    started: list = []
    lock = threading.Lock()

    @app.before_request
    def start_mail_delivery() -> None:
        if started:
            return
        with lock:
            if not started:
                from consult_app.services.outbox import DeliveryThread

                started.append(DeliveryThread(app))
                started[0].start()

    app.extensions["consult_mail_delivery"] = started  # the tests stop it through this


def _warn_about_process_memory(app: Flask) -> None:
    """Rate limits kept in process memory are per process: with several workers each allows the full limit."""
    config = app.config
    in_memory = config["RATELIMIT_ENABLED"] and config["RATELIMIT_STORAGE_URI"] == "memory://"
    if config["ENV_NAME"] == "production" and in_memory:
        log.warning("RATELIMIT_STORAGE_URI is memory://: each process counts on its own; use redis:// in production")


def _register_extensions(app: Flask) -> None:
    import consult_app.models  # noqa: F401 - registers the models with the metadata

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    from consult_app import i18n
    from consult_app.auth.session import configure_login_manager

    i18n.init_app(app)

    configure_login_manager(login_manager)


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` in our routes is an id or number stored in a 32-bit integer column: anything larger can
    name nothing, and PostgreSQL would reject it with an error, so it is a 404 like any unknown id."""

    def __init__(
        self,
        url_map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(url_map, fixed_digits, min, MAX_DATABASE_INT if max is None else max, signed)


def _register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIntConverter
    from consult_app.account import bp as account_bp
    from consult_app.admin import bp as admin_bp
    from consult_app.api import bp as api_bp
    from consult_app.auth import bp as auth_bp
    from consult_app.cli import register_cli
    from consult_app.comments import bp as comments_bp
    from consult_app.moderation import bp as moderation_bp
    from consult_app.reading import bp as reading_bp
    from consult_app.summary import bp as summary_bp

    for blueprint in (reading_bp, comments_bp, auth_bp, account_bp, admin_bp, moderation_bp, api_bp, summary_bp):
        app.register_blueprint(blueprint)
    register_cli(app)


def _register_hooks(app: Flask) -> None:
    from consult_app import http_cache
    from consult_app.errors import register_error_handlers
    from consult_app.log_format import plain_access_log
    from consult_app.security import register_input_checks, register_security_headers
    from consult_app.templating import register_template_helpers

    register_error_handlers(app)
    register_security_headers(app)
    register_input_checks(app)
    register_template_helpers(app)
    http_cache.init_app(app)
    plain_access_log()
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)
