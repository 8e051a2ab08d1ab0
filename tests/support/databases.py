"""Throw-away databases: a SQLite file, or a fresh PostgreSQL database on the server of a given URL.

The suite makes one per run (tests/conftest.py) and the fault tests one per test; each benchmark makes one for
its run (`throwaway_database`), dropped at the end unless it asks to keep it.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def _admin_dsn(url: str) -> str:
    """A libpq connection string for the server of `url` (the database given there is used to connect)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(base_url: str, folder: Path, label: str = "run") -> str:
    """A new empty database next to `base_url` (PostgreSQL) or in `folder` (SQLite); returns its URL."""
    if not is_postgres(base_url):
        return f"sqlite:///{folder / f'consult-{label}-{uuid.uuid4().hex[:8]}.db'}"
    name = f"consult_test_{label}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_dsn(base_url), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_database(base_url: str, url: str) -> None:
    if not is_postgres(url):
        Path(make_url(url).database).unlink(missing_ok=True)
        return
    name = make_url(url).database
    with psycopg.connect(_admin_dsn(base_url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_all_tables(engine: Engine, metadata) -> None:
    """Remove every row the test wrote, keeping the schema (much faster than re-creating it)."""
    existing = set(inspect(engine).get_table_names())
    tables = [table for table in metadata.sorted_tables if table.name in existing]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE TABLE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())


@dataclass(frozen=True)
class Throwaway:
    url: str  # a SQLAlchemy URL (postgresql+psycopg://... or sqlite:///...)
    kind: str  # "sqlite" | "postgresql"
    folder: Path  # a scratch folder of its own (the SQLite file, logs, downloads)

    @property
    def path(self) -> Path | None:
        return Path(make_url(self.url).database) if self.kind == "sqlite" else None


@contextlib.contextmanager
def throwaway_database(server_url: str | None, label: str, keep: bool = False) -> Iterator[Throwaway]:
    """A fresh empty database on the PostgreSQL server of `server_url` (None: a SQLite file) and a scratch
    folder; both are removed afterwards unless `keep`."""
    folder = Path(tempfile.mkdtemp(prefix=f"consult-{label}-"))
    base = "sqlite://" if server_url is None else make_url(server_url).set(drivername="postgresql+psycopg")
    base = base if isinstance(base, str) else base.render_as_string(hide_password=False)
    url = create_database(base, folder, label)
    database = Throwaway(url, "postgresql" if is_postgres(url) else "sqlite", folder)
    try:
        yield database
    finally:
        if keep:
            print(f"kept: {database.url} and {folder}")
        else:
            if database.kind == "postgresql":
                drop_database(base, url)
            shutil.rmtree(folder, ignore_errors=True)
