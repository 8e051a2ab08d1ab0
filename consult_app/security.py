"""Headers sent with every response, and input refused before any view sees it."""

from __future__ import annotations

from flask import Flask, Response, abort, request
from flask_babel import lazy_gettext as _l

from consult_app.models.types import is_storable

# No inline script or style anywhere: everything comes from our own static files.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def register_security_headers(app: Flask) -> None:
    headers = dict(SECURITY_HEADERS)
    if app.config.get("SESSION_COOKIE_SECURE"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    every = [(name, value) for name, value in headers.items()]
    lowered = {name.lower() for name in headers}

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        """Each header unless the view set its own. One pass over the response's headers: on a cached page
        this hook was a tenth of the request (setdefault looks through them once per header)."""
        present = {name.lower() for name, _ in response.headers} & lowered
        response.headers.extend(every if not present else [pair for pair in every if pair[0].lower() not in present])
        return response


UNSTORABLE_INPUT = _l(
    "What you sent contains a NUL character (U+0000), which cannot be stored. Remove it and try again."
)


def register_input_checks(app: Flask) -> None:
    @app.before_request
    def refuse_unstorable_text():
        """One rule for every form, query and address: text the database cannot store is a 400 here, on SQLite
        as on PostgreSQL (which would fail with a 500), rather than stored on one and refused by the other.

        Over HTTP that is only NUL: Werkzeug never hands over a surrogate (it keeps a percent escape that is not
        UTF-8 as its text, and reads a form body that is not UTF-8 as an empty form).
        Uploaded files are the importer's business (it refuses binary data itself)."""
        texts = [request.path]
        for values in (request.args, request.form):
            for key, items in values.lists():
                texts.append(key)
                texts.extend(items)
        if not all(is_storable(text) for text in texts):
            abort(400, description=str(UNSTORABLE_INPUT))
