"""When the database cannot be reached: a 503 page in the site's layout and a log line, never a 500."""

import logging

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from consult_app.extensions import db
from consult_app.models import Comment
from tests.conftest import make_app
from tests.factories import make_document

UNAVAILABLE = "The service is briefly unavailable. Please try again in a moment."


def database_log(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "consult.database"]


def test_an_unreachable_database_gives_the_503_page_and_a_log_line(tmp_path, caplog):
    broken = make_app(f"sqlite:///{tmp_path}/missing-folder/none.db")
    with caplog.at_level(logging.ERROR, logger="consult.database"):
        response = broken.test_client().get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert UNAVAILABLE in html and 'class="site-header"' in html
    assert response.headers["Retry-After"] == "10"
    [line] = database_log(caplog)
    assert line.startswith("database unavailable: GET '/': OperationalError: 'unable to open database file'")


class FailingQueries:
    """Every query fails as on a dropped connection while on; off() is the database coming back."""

    def __init__(self, engine) -> None:
        self.engine = engine

    @staticmethod
    def fail(connection, cursor, statement, parameters, context, executemany):
        raise OperationalError(statement, parameters, ConnectionError("server closed the connection unexpectedly"))

    def on(self) -> None:
        event.listen(self.engine, "before_cursor_execute", self.fail)

    def off(self) -> None:
        if event.contains(self.engine, "before_cursor_execute", self.fail):
            event.remove(self.engine, "before_cursor_execute", self.fail)


@pytest.fixture
def outage(app):
    with app.app_context():
        failing = FailingQueries(db.engine)
    yield failing
    failing.off()


def test_a_signed_in_moderator_gets_the_503_page_rendered_as_for_a_visitor(app, client, login_as, outage, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: errors in error pages reach the 500 handler
    login_as("moderator", email="secret.moderator@example.org")
    outage.on()
    with caplog.at_level(logging.ERROR, logger="consult.database"):
        home = client.get("/")
        # The 404 page's header needs the user: that lookup fails inside the 404 handler, and still gives a 503.
        missing = client.get("/no/such/page")
    for response in (home, missing):
        html = response.get_data(as_text=True)
        assert response.status_code == 503, html
        assert UNAVAILABLE in html and 'class="site-header"' in html
        # Nobody can be looked up, so the header is a visitor's: no moderation count, no account link.
        assert ">Log in</a>" in html and "Moderation" not in html
    lines = database_log(caplog)
    assert lines == [
        "database unavailable: GET '/': ConnectionError: 'server closed the connection unexpectedly'",
        "database unavailable: GET '/no/such/page': ConnectionError: 'server closed the connection unexpectedly'",
    ]
    # Only the driver's words are logged: not the SQL statement, nor its parameters.
    assert all("SELECT" not in line and "secret.moderator" not in line for line in lines)


def test_a_comment_refused_in_an_outage_is_not_saved_and_the_site_recovers(app, client, login_as, outage, tmp_path):
    with app.app_context():
        path = f"/guidance/{make_document(tmp_path).slug}/introduction/"
    login_as("reviewer")
    fields = {"body": "Written while the database was away.", "kind": "general", "publication": "public_named"}
    outage.on()
    refused = client.post(path, data=fields)
    assert refused.status_code == 503
    assert UNAVAILABLE in refused.get_data(as_text=True)
    outage.off()
    # The same session: still signed in, and the comment can be sent again.
    assert "Your account" in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Comment.id))) == 0
    saved = client.post(path, data=fields)
    assert saved.status_code == 302 and "#C-" in saved.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Comment.id))) == 1


def test_a_connection_lost_after_the_answer_was_made_does_not_turn_it_into_an_error(app, client, caplog):
    """The request's queries worked; the connection then drops, so the rollback that ends the request fails."""
    with app.app_context():
        engine = db.engine
    failures = []

    def drop_once(connection):
        if not failures:
            failures.append(connection)
            connection.invalidate()  # what SQLAlchemy does when a rollback finds the connection gone
            raise OperationalError("ROLLBACK", {}, ConnectionError("server closed the connection unexpectedly"))

    event.listen(engine, "rollback", drop_once)
    try:
        with caplog.at_level(logging.WARNING, logger="consult.database"):
            response = client.get("/")
    finally:
        event.remove(engine, "rollback", drop_once)
    assert failures, "the request ended without a rollback: this test no longer tests anything"
    assert response.status_code == 200
    assert database_log(caplog) == [
        "database connection lost at the end of GET '/': ConnectionError: 'server closed the connection unexpectedly'"
    ]
    assert client.get("/").status_code == 200
