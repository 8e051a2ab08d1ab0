"""Extension objects: created here, bound to an app only in the factory."""

from __future__ import annotations

import logging

import click
from flask import Flask
from flask.cli import ScriptInfo
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Named constraints make migrations reproducible on every database (and batch mode on SQLite possible).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DeferredMigrate:
    """Flask-Migrate, imported only when a migration is run: importing it loads Alembic (0.15-0.4 s), which
    every other command, the workers and `import wsgi` would otherwise pay at start-up.

    `init_app` registers a `flask db` command that binds Flask-Migrate and hands it its arguments, and puts
    a stand-in at `app.extensions["migrate"]` that binds it on first use (`flask_migrate.upgrade()` in the
    tests, `current_app.extensions["migrate"].db` in migrations/env.py)."""

    def init_app(self, app: Flask, db: SQLAlchemy, directory: str) -> None:
        app.extensions["migrate"] = _UnboundMigrateConfig(app, db, directory)
        app.cli.add_command(_db_command)


class _UnboundMigrateConfig:
    """What `app.extensions["migrate"]` holds until Flask-Migrate is bound: any attribute read binds it."""

    def __init__(self, app: Flask, db: SQLAlchemy, directory: str) -> None:
        self._app = app
        self._db = db
        self._directory = directory

    def bind(self) -> object:
        # Alembic announces its built-in plugins at INFO when imported, now after the app has set up logging.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
        # Deferred: Flask-Migrate imports Alembic, needed only to migrate (see DeferredMigrate).
        from flask_migrate import Migrate

        if self._app.extensions.get("migrate") is self:
            # Replaces this stand-in with Flask-Migrate's own config and `db` command.
            Migrate(self._app, self._db, directory=self._directory)
        return self._app.extensions["migrate"]

    def __getattr__(self, name: str) -> object:
        if name.startswith("__") or name in {"_app", "_db", "_directory"}:
            raise AttributeError(name)
        return getattr(self.bind(), name)


@click.command(
    "db",
    help="Perform database migrations.",
    add_help_option=False,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def _db_command(ctx: click.Context, args: tuple[str, ...]) -> object:
    """`flask db ...`: binds Flask-Migrate, then runs its own `db` group on the same arguments."""
    app = ctx.ensure_object(ScriptInfo).load_app()
    config = app.extensions["migrate"]
    if isinstance(config, _UnboundMigrateConfig):
        config.bind()
    # Deferred with Flask-Migrate itself (see DeferredMigrate).
    from flask_migrate.cli import db as migrate_group

    with migrate_group.make_context(ctx.info_name, list(args), parent=ctx.parent) as migrate_ctx:
        return migrate_group.invoke(migrate_ctx)


db = SQLAlchemy(model_class=Base)
migrate = DeferredMigrate()
csrf = CSRFProtect()
login_manager = LoginManager()
# Storage, on/off and error handling come from RATELIMIT_* settings when the app is bound.
limiter = Limiter(key_func=get_remote_address)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """SQLite: write-ahead log so readers don't block the writer, a busy timeout instead of instant
    'database is locked' errors, and foreign keys enforced as on PostgreSQL."""
    if type(dbapi_connection).__module__.split(".")[0] != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
