"""Errors of the JSON API as RFC 9457 problem details (`application/problem+json`).

consult_app/errors.py asks `is_api_request()` in each of its handlers, so that every failure under /api/v1/ (a
bad parameter, an address that names nothing, a rate limit, a database outage, a bug) answers a program in JSON
rather than with the site's HTML error page.
"""

from __future__ import annotations

import json

from flask import Response, has_request_context, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.http import HTTP_STATUS_CODES

API_PATH = "/api/v1"
PROBLEM_MIMETYPE = "application/problem+json"

MESSAGES = {
    400: "The request could not be understood.",
    404: "Nothing in the API answers at this address: /api/v1/openapi.json lists what does.",
    405: "The API only reads: use GET.",
    429: "Too many requests from your address: wait for the seconds given in Retry-After, then try again.",
    500: "Something went wrong on our side. Please try again later.",
    503: "The service is briefly unavailable. Please try again in a moment.",
}


class InvalidParameters(BadRequest):
    """A query the API cannot answer: `parameter_errors` says, per parameter, what is wrong."""

    def __init__(self, parameter_errors: dict) -> None:
        super().__init__("Some query parameters are not valid: see errors.")
        self.parameter_errors = parameter_errors


def is_api_request() -> bool:
    return has_request_context() and (request.path == API_PATH or request.path.startswith(API_PATH + "/"))


def problem(status: int, detail: str | None = None, *, errors: dict[str, list[str]] | None = None) -> Response:
    """A problem response; `errors` maps query parameters to what is wrong with each."""
    body: dict = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail or MESSAGES.get(status) or HTTP_STATUS_CODES.get(status, "Error"),
        "instance": request.path,
    }
    if errors:
        body["errors"] = [
            {"parameter": name, "detail": " ".join(_messages(messages))} for name, messages in sorted(errors.items())
        ]
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIMETYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _messages(messages) -> list[str]:
    """marshmallow's messages for one parameter: a list of sentences (or, for nested data, a dict of them)."""
    if isinstance(messages, dict):
        return [text for value in messages.values() for text in _messages(value)]
    return [str(text) for text in messages]


def http_problem(error: HTTPException) -> Response:
    """A problem for an HTTP error: its own description when a view gave one (404 for an unknown slug), ours
    otherwise; the headers it brings (Allow on a 405) are kept."""
    status = error.code or 500
    own = error.description if error.description != type(error).description else None
    if isinstance(error, RateLimitExceeded):
        own = f"{MESSAGES[429]} The limit is {error.description}."
    response = problem(status, own, errors=getattr(error, "parameter_errors", None))
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def unavailable_problem(retry_after: str) -> Response:
    response = problem(503)
    response.headers["Retry-After"] = retry_after
    return response
