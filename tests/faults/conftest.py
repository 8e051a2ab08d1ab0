"""Fixtures for the fault tests: a database of their own with something to comment on, and gunicorn servers
that are always stopped (or killed) when the test ends, however it ends."""

from __future__ import annotations

from dataclasses import dataclass

import flask_migrate
import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Section
from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD, make_document, make_user
from tests.support.server import Gunicorn

REVIEWERS = 6


@dataclass(frozen=True)
class Site:
    database_url: str
    section_path: str
    emails: list[str]
    password: str = DEFAULT_PASSWORD


def prepare_site(database_url: str, folder) -> Site:
    """Migrate `database_url` and add an open document and reviewers (committed, so a server can use them)."""
    app = make_app(database_url)
    with app.app_context():
        flask_migrate.upgrade()
        document = make_document(folder)
        key = db.session.scalar(select(Section.key).order_by(Section.number))
        emails = [make_user("reviewer").email for _ in range(REVIEWERS)]
        db.session.commit()
        section_path = f"/guidance/{document.slug}/{key}/"
    return Site(database_url, section_path, emails)


@pytest.fixture
def site(fresh_database, tmp_path) -> Site:
    """A fresh database (SQLite, or PostgreSQL under TEST_DATABASE_URL) that only this test's servers use."""
    return prepare_site(fresh_database("faults"), tmp_path)


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn(environment, **options) -> a started Gunicorn; every one is stopped after the test."""
    servers: list[Gunicorn] = []

    def start(environment: dict[str, str], **options) -> Gunicorn:
        server = Gunicorn(tmp_path / f"gunicorn-{len(servers)}.log", environment, **options)
        servers.append(server)  # before start(): a server that never becomes ready is still stopped
        return server.start()

    yield start
    for server in servers:
        server.stop()
