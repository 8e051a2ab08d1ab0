"""Visitors' reading pages answered before Flask: a WSGI layer in front of the app for the most common request.

A visitor's section page is the same for every visitor reading it in the same language, and http_cache.py
already keeps it, matched to Redis's change token (page_changes.py). Even so, every such request went through
Flask's whole request machinery (request context, session, Flask-Login, Babel, the before- and after-request
hooks, headers built one by one): about 0.35 ms of CPU per request, three times a bare Flask app's.

This layer keeps, beside that cache, the complete answer Flask gave (status, every header, the body) under
what decided it: scheme, host, path, language and change token. A later request that can only get that same
answer is served from here without entering Flask. Only:

- a GET without a query string and without `If-None-Match` (Flask answers those, with a 304 where it can);
- without a session or remember-me cookie (whatever a session holds, an account, a flashed message or a form's
  token, Flask decides; the language cookie is read here as select_language reads it, through the same
  function, i18n.visitor_language);
- for which Flask itself marked its answer as the shared visitor's page (`http_cache.reading_page` sets
  `FLASK_MARK`, only for a page it matched to a change token) and sent it with `Cache-Control: no-cache`
  and no `Set-Cookie`, status 200.

Nothing goes stale beyond what the page cache already allows: the key holds the change token (renewed after at
most PAGE_CACHE_STALE_MS), and an answer is kept only until the page's match would be checked again
(`good_until`: PAGE_CACHE_RECHECK_SECONDS, or sooner when the clock alone changes the page). Without Redis,
there is no token and every request goes to Flask. The host in the key is one Flask accepted (TRUSTED_HOSTS);
this layer sits inside ProxyFix, so the scheme is the one Flask saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from werkzeug.http import parse_cookie

from consult_app import page_changes
from consult_app.i18n import COOKIE as LANGUAGE_COOKIE
from consult_app.i18n import visitor_language
from consult_app.models.types import utcnow

# What http_cache.reading_page leaves in the WSGI environ when its answer is the visitors' shared page.
FLASK_MARK = "consult.visitor_page"


@dataclass(frozen=True)
class Mark:
    """Flask's word that this answer is the shared page for `language` under change token `token`."""

    language: str
    token: str
    good_until: datetime


@dataclass(frozen=True)
class Answer:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    good_until: datetime


class VisitorPages:
    """The WSGI layer (see the module's docstring). `pages` is a PageCache of http_cache, shared by the threads
    of one process; `extensions` the app's, where page_changes keeps the process's change token (absent
    without Redis)."""

    def __init__(self, wsgi_app, pages, extensions: dict, cookie_names: tuple[str, ...]) -> None:
        self.wsgi_app, self.pages, self.extensions = wsgi_app, pages, extensions
        self.personal_cookies = frozenset(cookie_names)

    def __call__(self, environ, start_response):
        changes = self.extensions.get(page_changes.EXTENSION_KEY)
        language = self._visitor_language(environ) if changes is not None else None
        if language is None:
            return self.wsgi_app(environ, start_response)
        token = changes.current()
        if token is not None:
            answer = self.pages.get(_key(environ, language, token))
            if answer is not None and utcnow() < answer.good_until:
                start_response(answer.status, list(answer.headers))
                return [answer.body]
        return self._through_flask(environ, start_response, language)

    def _visitor_language(self, environ) -> str | None:
        """The language this request's page would be in, or None when the request is not one this layer answers."""
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        if "HTTP_IF_NONE_MATCH" in environ or "HTTP_HOST" not in environ:
            return None
        cookie = None
        if environ.get("HTTP_COOKIE"):
            cookies = parse_cookie(environ)
            if not self.personal_cookies.isdisjoint(cookies):
                return None
            cookie = cookies.get(LANGUAGE_COOKIE)
        return visitor_language(cookie, environ.get("HTTP_ACCEPT_LANGUAGE"))

    def _through_flask(self, environ, start_response, language: str):
        sent: list = []

        def keep_start(status, headers, exc_info=None):
            sent[:] = [status, headers]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        body = self.wsgi_app(environ, keep_start)
        mark = environ.get(FLASK_MARK)
        if not (isinstance(mark, Mark) and mark.language == language and sent and _shared_answer(*sent)):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        status, headers = sent
        self.pages.put(_key(environ, language, mark.token), Answer(status, tuple(headers), data, mark.good_until))
        return [data]


def _shared_answer(status: str, headers) -> bool:
    """A 200 that Flask marked for shared caches and that sets no cookie: the visitors' page as Flask sent it."""
    names = {name.lower(): value for name, value in headers}
    return status.startswith("200 ") and names.get("cache-control") == "no-cache" and "set-cookie" not in names


def _key(environ, language: str, token: str) -> tuple:
    return (
        "visitor page",
        environ.get("wsgi.url_scheme"),
        environ["HTTP_HOST"],
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        language,
        token,
    )


def install(app, pages) -> None:
    """Put the layer in front of `app.wsgi_app` (inside ProxyFix, which the factory adds afterwards)."""
    config = app.config
    cookies = (config["SESSION_COOKIE_NAME"], config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    app.wsgi_app = VisitorPages(app.wsgi_app, pages, app.extensions, cookies)
