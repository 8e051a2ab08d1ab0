"""A minimal browser over http.client: keeps cookies, scrapes CSRF tokens, logs in through the real form.

Each request opens its own connection with a timeout, so a server that dies or hangs shows up as an
exception (a cut connection) or a TimeoutError within that timeout, never as a stuck test.
"""

from __future__ import annotations

import http.client
import re
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

CSRF_FIELD = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
TIMEOUT = 10.0  # seconds; well under gunicorn's worker timeout, so a hang is ours to see


class ConnectionCutError(Exception):
    """The connection failed, or was closed before a whole response arrived."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str
    started: float  # time.monotonic() when the request was sent
    seconds: float

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser:
    def __init__(self, port: int, timeout: float = TIMEOUT) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""

    def get(self, path: str) -> Response:
        response = self._request("GET", path)
        if match := CSRF_FIELD.search(response.text):
            self.csrf_token = match.group(1)
        return response

    def post(self, path: str, fields: dict[str, str]) -> Response:
        body = urlencode({**fields, "csrf_token": self.csrf_token})
        return self._request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def log_in(self, email: str, password: str) -> None:
        """The log-in form, as a person uses it: fetch the page (session and token), then post it."""
        self.get("/auth/login")
        response = self.post("/auth/login", {"email": email, "password": password})
        assert response.status == 302, f"log-in as {email} gave {response.status}: {response.text[:500]}"

    def _request(self, method: str, path: str, body: str | None = None, headers: dict | None = None) -> Response:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        started = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=headers)
            reply = connection.getresponse()
            text = reply.read().decode("utf-8", "replace")
        except TimeoutError:
            raise  # a hang is a failure of its own, not a cut connection
        except (OSError, http.client.HTTPException) as error:
            raise ConnectionCutError(f"{method} {path}: {type(error).__name__}: {error}") from error
        finally:
            connection.close()
        self._keep_cookies(reply.headers.get_all("Set-Cookie") or [])
        response_headers = {name.lower(): value for name, value in reply.getheaders()}
        return Response(reply.status, response_headers, text, started, time.monotonic() - started)

    def _keep_cookies(self, set_cookies: list[str]) -> None:
        # Cookies are Secure in production; this test client speaks plain HTTP to loopback and sends them anyway.
        for header in set_cookies:
            name, _, value = header.split(";", 1)[0].partition("=")
            if "expires=Thu, 01 Jan 1970" in header or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()


def path_of(location: str) -> str:
    """The path (and query) of a redirect, which Flask may give as an absolute URL."""
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")
