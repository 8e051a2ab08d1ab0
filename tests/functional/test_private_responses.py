"""`Cache-Control: private, no-store` on everything personal (see consult_app/http_cache.py).

Every route of the route-by-role matrix is checked for signed-in roles in test_route_matrix.py; these are the
responses around the edges of a session: logging in and out, a cookie that outlived its account, an outage.
"""

from __future__ import annotations

from consult_app.extensions import db
from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.functional.test_database_unavailable import FailingQueries

PRIVATE = "private, no-store"
SECTION = "/guidance/test-guidance/public-good/"


def test_the_answers_that_start_and_end_a_session_are_private(app, client):
    with app.app_context():
        make_user(email="rev@example.org")
    logged_in = client.post("/auth/login", data={"email": "rev@example.org", "password": DEFAULT_PASSWORD})
    assert logged_in.status_code == 302 and "session=" in logged_in.headers["Set-Cookie"]
    assert logged_in.headers["Cache-Control"] == PRIVATE
    logged_out = client.post("/auth/logout")
    assert logged_out.status_code == 302 and logged_out.headers["Cache-Control"] == PRIVATE


def test_a_page_that_sets_a_visitors_cookie_is_private_and_a_shared_page_stays_shared(database_url, document):
    client = make_app(database_url, WTF_CSRF_ENABLED=True).test_client()
    form = client.get("/auth/login")  # its CSRF token goes into a session cookie of this visitor's own
    assert "session=" in form.headers["Set-Cookie"] and form.headers["Cache-Control"] == PRIVATE
    shared = client.get(SECTION)
    assert "Set-Cookie" not in shared.headers
    assert shared.headers["Cache-Control"] == "no-cache" and shared.headers["ETag"].startswith('W/"')


def test_a_cookie_that_outlived_its_account_gets_no_shared_page(client, document, login_as):
    """A deactivated account's session cookie no longer signs anyone in, and the answer to it writes that
    browser's cookie: the page is a visitor's, but neither shared nor kept by any cache."""
    tag = client.get(SECTION).headers["ETag"]
    login_as("deactivated")
    response = client.get(SECTION, headers={"If-None-Match": tag})
    assert response.status_code == 200 and "ETag" not in response.headers
    assert response.headers["Cache-Control"] == PRIVATE and "Cookie" in response.headers["Vary"]
    assert ">Log in</a>" in response.get_data(as_text=True)


def test_the_rule_asks_the_database_nothing(app, client, login_as):
    """The health check never looks up the user; with the database gone, marking its answer private must not
    try to (that lookup would fail, and the plain-text answer would become the 503 page)."""
    login_as("moderator")
    with app.app_context():
        failing = FailingQueries(db.engine)
    failing.on()
    try:
        response = client.get("/healthz")
    finally:
        failing.off()
    assert response.status_code == 503 and response.get_data(as_text=True) == "database unavailable"
    assert response.headers["Cache-Control"] == PRIVATE
