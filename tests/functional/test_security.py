"""The security baseline: CSRF, rate limits (in memory and in Redis), headers, cookies, logging."""

import logging
import uuid

import pytest

from consult_app import create_app
from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.support.client import csrf_token


@pytest.fixture
def csrf_app(database_url):
    return make_app(database_url, WTF_CSRF_ENABLED=True)


def test_forms_without_a_csrf_token_are_refused(csrf_app, app):
    with app.app_context():
        make_user(email="rev@example.org")
    client = csrf_app.test_client()
    response = client.post("/auth/login", data={"email": "rev@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "The CSRF token is missing." in response.get_data(as_text=True)
    forged = client.post(
        "/auth/login", data={"email": "rev@example.org", "password": DEFAULT_PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 400
    assert client.get("/account/").status_code == 302


def test_forms_with_the_csrf_token_work(csrf_app, app):
    with app.app_context():
        make_user(email="rev@example.org")
    client = csrf_app.test_client()
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        "/auth/login", data={"email": "rev@example.org", "password": DEFAULT_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    page = client.get("/account/").get_data(as_text=True)
    assert client.post("/auth/logout").status_code == 400  # log-out needs the token too
    assert client.post("/auth/logout", data={"csrf_token": csrf_token(page)}).status_code == 302


def limited_app(database_url, storage: str):
    return make_app(
        database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=storage,
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
    )


def hammer_login(client, times: int) -> list[int]:
    return [
        client.post("/auth/login", data={"email": "x@example.org", "password": "wrong password"}).status_code
        for _ in range(times)
    ]


def test_login_is_rate_limited_to_429(app, database_url):
    client = limited_app(database_url, "memory://").test_client()
    statuses = hammer_login(client, 11)
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    page = client.post("/auth/login", data={}).get_data(as_text=True)
    assert "Too many requests" in page and 'class="site-header"' in page


@pytest.mark.parametrize("path", ["/auth/register", "/auth/reset", "/auth/resend-confirmation"])
def test_registration_and_reset_are_rate_limited(app, database_url, path):
    client = limited_app(database_url, "memory://").test_client()
    statuses = [client.post(path, data={"email": "bad"}).status_code for _ in range(6)]
    assert statuses[:5] == [400] * 5 and statuses[5] == 429


def test_reading_pages_are_not_rate_limited(app, database_url):
    client = limited_app(database_url, "memory://").test_client()
    assert {client.get("/").status_code for _ in range(30)} == {200}


def test_limits_in_redis_are_shared_between_processes(app, database_url, redis_url):
    prefix = f"test-{uuid.uuid4().hex}"
    settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": prefix}
    first, second = make_app(database_url, **settings), make_app(database_url, **settings)
    assert hammer_login(first.test_client(), 6) == [400] * 6
    # A second app (another process or machine) sees the same count.
    assert hammer_login(second.test_client(), 5) == [400] * 4 + [429]


def test_unreachable_rate_limit_store_keeps_the_site_serving(app, database_url, caplog):
    client = limited_app(database_url, "redis://127.0.0.1:1").test_client()
    with caplog.at_level(logging.ERROR):
        statuses = hammer_login(client, 3)
    assert statuses == [400, 400, 400]


SECURITY_PATHS = ["/", "/auth/login", "/auth/register", "/healthz", "/nowhere"]


@pytest.mark.parametrize("path", SECURITY_PATHS)
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    assert "base-uri 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_production_cookies_are_secure(monkeypatch, database_url):
    monkeypatch.setenv("SECRET_KEY", "production-secret-for-this-test")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CONSULT_BASE_URL", "https://consult.example")
    monkeypatch.setenv("CONSULT_CONTROLLER", "Statistics Ethics Institute")
    monkeypatch.setenv("CONSULT_PRIVACY_CONTACT", "dpo@stats-ethics.example")
    production = create_app("production")
    assert production.config["WTF_CSRF_ENABLED"] is True
    # The log-in form puts its CSRF token in the session, so the session cookie is set here.
    response = production.test_client().get("/auth/login", base_url="https://consult.example")
    [cookie] = response.headers.getlist("Set-Cookie")
    assert cookie.startswith("session=") and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_refused_permissions_and_failed_logins_are_logged_escaped(app, client, caplog, login_as):
    with caplog.at_level(logging.INFO, logger="consult.security"):
        client.post("/auth/login", data={"email": "o'brien@example.org", "password": "x" * 12})
        login_as("reviewer")
        assert client.get("/admin/users").status_code == 403
    messages = [record.getMessage() for record in caplog.records if record.name == "consult.security"]
    # No address is ever logged (the privacy notice says a deleted account's address is removed): an unknown
    # one appears as a short hash, an account as its id.
    from consult_app.services.throttle import account_key

    assert any("failed log-in" in message and account_key("O'Brien@example.org ") in message for message in messages)
    assert any("log-in: user=" in message for message in messages)
    assert not any("@" in message or "brien" in message for message in messages)
    # Values are logged with repr(), so quotes and control characters cannot forge a log line.
    assert any("permission refused" in message and "'/admin/users'" in message for message in messages)
    assert all("\n" not in message for message in messages)
