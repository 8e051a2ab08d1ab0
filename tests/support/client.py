"""A minimal browser over http.client: keeps cookies, scrapes CSRF tokens, logs in through the real form.

Two ways to connect. `keep_alive=True` (the benchmarks) reuses one connection and reconnects once when the
server closed it (gunicorn's sync workers close after each response). `keep_alive=False` (the fault tests)
opens a connection per request, so a server that dies or hangs shows up at once as a ConnectionCutError, or as
a TimeoutError within the timeout, never as a stuck test.

Cookies are kept whatever their Secure flag: production marks them Secure, and these clients speak plain HTTP
to 127.0.0.1 (in a real deployment TLS ends at the proxy).
"""

from __future__ import annotations

import http.client
import re
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

CSRF_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')
VALUE = re.compile(r'\bvalue="([^"]*)"')
# Seconds; under gunicorn's 30 s worker timeout, so a hang is ours to see. Generous, because in CI these tests
# share two cores with the browser suite: a restarted server's first answers can be slow without being wrong.
TIMEOUT = 25.0


def csrf_token(html: str) -> str:
    """The value of the page's first csrf_token field; AssertionError when there is none."""
    field = CSRF_INPUT.search(html)
    value = VALUE.search(field.group(0)) if field else None
    assert value is not None, "no CSRF token in the page"
    return value.group(1)


class ConnectionCutError(Exception):
    """The connection failed, or was closed before a whole response arrived."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    started: float  # time.monotonic() when the request was sent
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser:
    """One person's browser: `Browser("http://127.0.0.1:8000")` or `Browser(8000)` (a port on 127.0.0.1)."""

    def __init__(self, address: str | int, timeout: float = TIMEOUT, keep_alive: bool = False) -> None:
        if isinstance(address, int):
            self.host, self.port = "127.0.0.1", address
        else:
            parts = urlsplit(address)
            self.host, self.port = parts.hostname, parts.port
        self.timeout, self.keep_alive = timeout, keep_alive
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""  # the latest one seen on a page this browser fetched
        self._connection: http.client.HTTPConnection | None = None

    def get(self, path: str, headers: dict | None = None) -> Response:
        response = self.request("GET", path, headers=headers)
        if (field := CSRF_INPUT.search(response.text)) and (value := VALUE.search(field.group(0))):
            self.csrf_token = value.group(1)
        return response

    def post(self, path: str, fields: dict[str, str], keep_cookies: bool = True) -> Response:
        """Post a form with the latest CSRF token (unless `fields` brings its own)."""
        form = {"csrf_token": self.csrf_token, **fields}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, urlencode(form), headers, keep_cookies)

    def log_in(self, email: str, password: str) -> None:
        """The log-in form, as a person uses it: fetch the page (session and token), then post it."""
        self.get("/auth/login")
        response = self.post("/auth/login", {"email": email, "password": password})
        assert response.status == 302, f"log-in as {email} gave {response.status}: {response.text[:500]}"

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict | None = None, keep_cookies: bool = True
    ) -> Response:
        headers = {"Accept": "text/html", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        started = time.monotonic()
        reply, data = self._exchange(method, path, body, headers)
        if keep_cookies:
            self._keep_cookies(reply.headers.get_all("Set-Cookie") or [])
        response_headers = {name.lower(): value for name, value in reply.getheaders()}
        return Response(reply.status, response_headers, data, started, time.monotonic() - started)

    def _exchange(self, method, path, body, headers) -> tuple[http.client.HTTPResponse, bytes]:
        for attempt in (1, 2):
            connection = self._connection or http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                connection.request(method, path, body=body, headers=headers)
                reply = connection.getresponse()
                data = reply.read()
            except TimeoutError:
                connection.close()
                self._connection = None
                raise  # a hang is a failure of its own, not a cut connection
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                # A kept-alive connection the server has closed since: once more on a new one.
                stale = self._connection is not None
                self._connection = None
                if attempt == 1 and stale:
                    continue
                raise ConnectionCutError(f"{method} {path}: {type(error).__name__}: {error}") from error
            closing = not self.keep_alive or reply.getheader("Connection", "").lower() == "close"
            if closing:
                connection.close()
            self._connection = None if closing else connection
            return reply, data
        raise AssertionError("unreachable")

    def _keep_cookies(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                expired = morsel["expires"] and "1970" in morsel["expires"]
                if not morsel.value or expired or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def path_of(location: str) -> str:
    """The path (and query) of a redirect, which Flask may give as an absolute URL."""
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")
