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
    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
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
