"""Error pages in the site's layout, for every HTTP error and for unexpected failures."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from consult_app.extensions import db

# What a person should be told, per status; anything not listed uses the standard phrase.
MESSAGES = {
    400: "The request could not be understood. Please check what you entered and try again.",
    403: "You do not have permission to do that.",
    404: "There is no page at this address. It may have moved, or the link may be mistyped.",
    405: "That action is not possible at this address.",
    413: "What you sent is too large.",
    429: "Too many requests in a short time. Please wait a minute and try again.",
    500: "Something went wrong on our side. Nothing you did caused it; please try again later.",
    503: "The service is briefly unavailable. Please try again in a moment.",
}


# For these, libraries put technical text in the description ("10 per 1 minute"); people get ours.
OUR_WORDS_ONLY = frozenset({405, 413, 429})


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # A description given with abort() says more than the standard one; the standard one says less than ours.
        own = error.description if error.description != type(error).description else None
        if error.code in OUR_WORDS_ONLY:
            own = None
        return _render(error.code or 500, error.name, own), error.code

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError):
        # The request's transaction may be half done: never let it leak into the error page's queries.
        db.session.rollback()
        return _render(500, "Internal Server Error", None), 500


def _render(code: int, name: str, description: str | None) -> str:
    message = description or MESSAGES.get(code) or name
    return render_template("errors/error.html", code=code, name=name, message=message)
