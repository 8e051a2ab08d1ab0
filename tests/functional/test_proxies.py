"""Forwarded headers: the app believes exactly PROXY_COUNT hops of X-Forwarded-For and X-Forwarded-Proto."""

import uuid

import pytest
from flask import jsonify, request, url_for

from consult_app import ConfigurationError
from tests.conftest import make_app

CLIENT, OTHER_CLIENT, SPOOFED = "203.0.113.9", "198.51.100.7", "192.0.2.66"


def probed_app(database_url, proxies: int, **settings):
    """An app behind `proxies` proxies, with a route that shows what the app believes about the request."""
    app = make_app(database_url, PROXY_COUNT=proxies, **settings)

    @app.get("/_probe")
    def probe():
        return jsonify(
            remote_addr=request.remote_addr,
            scheme=request.scheme,
            link=url_for("reading.index", _external=True),
        )

    return app


def probe(app, **headers) -> dict:
    return app.test_client().get("/_probe", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"}).get_json()


def test_without_proxies_forwarded_headers_are_ignored(app, database_url):
    seen = probe(probed_app(database_url, 0), **{"X-Forwarded-For": SPOOFED, "X-Forwarded-Proto": "https"})
    assert seen == {"remote_addr": "10.0.0.1", "scheme": "http", "link": "http://localhost/"}


def test_one_proxy_is_believed_for_one_hop_only(app, database_url):
    # The client sent its own X-Forwarded-For; our proxy appended the address it saw.
    headers = {"X-Forwarded-For": f"{SPOOFED}, {CLIENT}", "X-Forwarded-Proto": "https"}
    seen = probe(probed_app(database_url, 1), **headers)
    assert seen == {"remote_addr": CLIENT, "scheme": "https", "link": "https://localhost/"}


def test_two_proxies_are_believed_for_two_hops(app, database_url):
    app_behind_two = probed_app(database_url, 2)
    headers = {"X-Forwarded-For": f"{SPOOFED}, {CLIENT}, 10.0.0.2", "X-Forwarded-Proto": "https, http"}
    assert probe(app_behind_two, **headers) == {"remote_addr": CLIENT, "scheme": "https", "link": "https://localhost/"}
    # A request that passed only one proxy carries too few hops: nothing in them is believed.
    short = probe(app_behind_two, **{"X-Forwarded-For": SPOOFED, "X-Forwarded-Proto": "https"})
    assert short == {"remote_addr": "10.0.0.1", "scheme": "http", "link": "http://localhost/"}


def test_forwarded_host_is_never_believed(app, database_url):
    seen = probe(probed_app(database_url, 1), **{"X-Forwarded-Host": "evil.example", "X-Forwarded-For": CLIENT})
    assert seen["link"] == "http://localhost/"


def login_statuses(client, forwarded_for: str, times: int) -> list[int]:
    data = {"email": "x@example.org", "password": "wrong password"}
    headers = {"X-Forwarded-For": forwarded_for}
    return [client.post("/auth/login", data=data, headers=headers).status_code for _ in range(times)]


def limited(database_url, proxies: int):
    prefix = f"test-{uuid.uuid4().hex}"
    app = make_app(
        database_url,
        PROXY_COUNT=proxies,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_KEY_PREFIX=prefix,
    )
    return app.test_client()


def test_rate_limits_count_per_client_behind_a_proxy(app, database_url):
    client = limited(database_url, 1)
    assert login_statuses(client, CLIENT, 11) == [400] * 10 + [429]
    # Another client behind the same proxy has its own count...
    assert login_statuses(client, OTHER_CLIENT, 1) == [400]
    # ...and the limited one cannot escape by sending an X-Forwarded-For of its own.
    assert login_statuses(client, f"{SPOOFED}, {CLIENT}", 1) == [429]


def test_without_proxies_a_forged_forwarded_for_does_not_escape_the_limit(app, database_url):
    client = limited(database_url, 0)
    assert login_statuses(client, CLIENT, 10) == [400] * 10
    assert login_statuses(client, OTHER_CLIENT, 1) == [429]


@pytest.mark.parametrize("value", ["two", "-1", "1.5", "6"])
def test_a_bad_proxy_count_in_the_environment_is_refused(monkeypatch, database_url, value):
    monkeypatch.setenv("CONSULT_PROXY_COUNT", value)
    with pytest.raises(ConfigurationError, match="CONSULT_PROXY_COUNT"):
        make_app(database_url)


@pytest.mark.parametrize("value", ["1", True, None, 9])
def test_a_bad_proxy_count_setting_is_refused(database_url, value):
    with pytest.raises(ConfigurationError, match="CONSULT_PROXY_COUNT"):
        make_app(database_url, PROXY_COUNT=value)


def test_the_proxy_count_comes_from_the_environment(monkeypatch, database_url):
    monkeypatch.setenv("CONSULT_PROXY_COUNT", "2")
    assert make_app(database_url).config["PROXY_COUNT"] == 2
