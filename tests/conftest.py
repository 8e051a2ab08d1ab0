"""Fixtures in the spirit of the flaskr tutorial: an app per test on an empty database.

The suite runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set: each run gets its own
database, migrated once from the revisions in migrations/ and dropped at the end.
"""

from __future__ import annotations

import os
from pathlib import Path

import flask_migrate
import pytest
from flask.testing import FlaskClient

from consult_app import create_app
from consult_app.extensions import db
from tests.support.databases import create_database, drop_database, empty_all_tables

pytest_plugins = ["tests.smtp", "tests.redis_server"]
PROJECT_ROOT = Path(__file__).resolve().parent.parent


_apps_made = []


class IsolatedClient(FlaskClient):
    """Each request runs in an app context of its own, as in a real server.

    Without this, a request made while a test holds an app context reuses that context: its `g` (where
    Flask-Login caches the user) and its database session would leak from one request to the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_app(database_url: str, **overrides):
    """A test app on `database_url`; its connections are closed after the test (see close_connections)."""
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "GUIDANCE_DIR": str(PROJECT_ROOT / "guidance")}
    settings.update(overrides)
    app = create_app("testing", settings)
    app.test_client_class = IsolatedClient
    _apps_made.append(app)
    return app


@pytest.fixture(autouse=True)
def close_connections():
    """Close every pool a test opened, so no connection is left for the garbage collector."""
    yield
    while _apps_made:
        with _apps_made.pop().app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def base_database_url(tmp_path_factory) -> str:
    """TEST_DATABASE_URL, or a SQLite file for the run."""
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'base.db'}"


@pytest.fixture(scope="session")
def fresh_database(base_database_url, tmp_path_factory):
    """Make more empty databases on the same server; each is dropped at the end of the run."""
    made: list[str] = []
    folder = tmp_path_factory.mktemp("databases")

    def make(label: str = "extra") -> str:
        made.append(create_database(base_database_url, folder, label))
        return made[-1]

    yield make
    for url in made:
        drop_database(base_database_url, url)


@pytest.fixture(scope="session")
def database_url(fresh_database) -> str:
    """This run's database, brought to the newest migration."""
    url = fresh_database("run")
    app = make_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    with app.app_context():
        db.session.remove()
        empty_all_tables(db.engine, db.metadata)
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def app_context(app):
    with app.app_context():
        yield app


@pytest.fixture
def document(app_context, tmp_path):
    """The test guidance document of tests/factories.py, loaded and committed."""
    from tests.factories import make_document

    return make_document(tmp_path)


ROLES = ("anonymous", "reviewer", "moderator", "admin", "deactivated")


@pytest.fixture
def login_as(app, client):
    """login_as(role) creates an account with that role and logs the test client in through the log-in form.

    "deactivated" is a reviewer who logged in and was then deactivated (their cookie is still sent);
    "anonymous" does nothing. Returns the user (or None)."""
    from tests.factories import DEFAULT_PASSWORD, make_user

    def log_in(role: str = "reviewer", **kwargs):
        if role == "anonymous":
            return None
        with app.app_context():
            user = make_user("reviewer" if role == "deactivated" else role, **kwargs)
            email = user.email
        response = client.post("/auth/login", data={"email": email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        with app.app_context():
            user = db.session.scalar(db.select(type(user)).filter_by(email=email))
            if role == "deactivated":
                user.active = False
                db.session.commit()
            db.session.expunge(user)
        return user

    return log_in
