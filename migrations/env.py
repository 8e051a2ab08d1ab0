"""Alembic environment for Flask-Migrate: runs revisions against the app's own engine and metadata."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from consult_app.models.search import is_model_object

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

database = current_app.extensions["migrate"].db
target_metadata = database.metadata


def _skip_empty_autogenerate(context, revision, directives):
    """`flask db migrate` with no model change writes no empty revision."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def _render_item(type_, obj, autogen_context):
    """Write our UTC timestamp type as the plain column type it stores, so revisions need no app imports."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def _options(dialect_name: str) -> dict:
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", _skip_empty_autogenerate)
    options.setdefault("compare_type", True)
    options.setdefault("render_item", _render_item)
    # The full-text search objects are made by hand-written SQL, not by the models: never propose to drop them.
    options.setdefault("include_name", is_model_object)
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    options.setdefault("render_as_batch", dialect_name == "sqlite")
    return options


def run_migrations_offline() -> None:
    url = database.engine.url
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, **_options(url.get_dialect().name))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with database.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode copies a table and drops the old one, which rows of other tables still point at;
            # with foreign keys enforced that drop fails on any populated database.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # end SQLAlchemy's implicit transaction, so Alembic's own is the outer one
        context.configure(connection=connection, target_metadata=target_metadata, **_options(connection.dialect.name))
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
