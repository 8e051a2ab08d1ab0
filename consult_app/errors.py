"""Error pages in the site's layout, for every HTTP error and for unexpected failures."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, g, render_template, request
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from consult_app import links
from consult_app.api import problems
from consult_app.extensions import db, login_manager

log = logging.getLogger("consult.database")

# The database cannot be reached or is overloaded just now (connection refused or dropped, server restarting,
# no free connection in the pool, SQLite busy): the request may succeed if tried again, so 503, not 500.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError)
RETRY_AFTER_SECONDS = "10"

# What a person should be told, per status; anything not listed uses the standard phrase.
MESSAGES = {
    400: _l("The request could not be understood. Please check what you entered and try again."),
    403: _l("You do not have permission to do that."),
    404: _l("There is no page at this address. It may have moved, or the link may be mistyped."),
    405: _l("That action is not possible at this address."),
    413: _l("What you sent is too large."),
    429: _l("Too many requests in a short time. Please wait a minute and try again."),
    500: _l("Something went wrong on our side. Nothing you did caused it; please try again later."),
    503: _l("The service is briefly unavailable. Please try again in a moment."),
}
# The page's title, per status: the standard phrase, translated (another status keeps Werkzeug's English one).
NAMES = {
    400: _l("Bad Request"),
    401: _l("Unauthorized"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    409: _l("Conflict"),
    410: _l("Gone"),
    413: _l("Request Entity Too Large"),
    415: _l("Unsupported Media Type"),
    422: _l("Unprocessable Entity"),
    429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
    503: _l("Service Unavailable"),
}


UNTRUSTED_HOST = _l("This site answers only at its own address. Please check the address you used.")
# For these, libraries put technical text in the description ("10 per 1 minute"); people get ours.
OUR_WORDS_ONLY = frozenset({405, 413, 429})


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if problems.is_api_request():  # programs get problem details in JSON, not a page
            return problems.http_problem(error)
        # A description given with abort() says more than the standard one; the standard one says less than ours.
        own = error.description if error.description != type(error).description else None
        if error.code in OUR_WORDS_ONLY:
            own = None
        if isinstance(error, SecurityError):  # a Host that TRUSTED_HOSTS refuses: say so without echoing it
            own = UNTRUSTED_HOST
        return _render(error.code or 500, error.name, own), error.code

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError):
        # A database failure while another error page was rendered (its header looks up the user) ends here.
        if isinstance(error.original_exception, DATABASE_UNAVAILABLE):
            return database_unavailable(error.original_exception)
        # The request's transaction may be half done: never let it leak into the error page's queries.
        db.session.rollback()
        if problems.is_api_request():
            return problems.problem(500)
        return _render(500, "Internal Server Error", None), 500

    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, database_unavailable)

    @app.teardown_request
    def end_session(error: BaseException | None) -> None:
        """Close the request's session before Flask-SQLAlchemy would (at the end of the app context). If the
        connection dropped since the last query, the rollback that closing does fails; raised there, after
        the response is made, it would replace a finished answer (a saved comment's redirect) with a bare 500.
        SQLAlchemy has invalidated the dead connection by then, so the second attempt only tidies up."""
        try:
            db.session.remove()
        except DATABASE_UNAVAILABLE as failure:
            log.warning(
                "database connection lost at the end of %s %r: %s", request.method, request.path, _cause(failure)
            )
            with contextlib.suppress(SQLAlchemyError):
                db.session.remove()


def database_unavailable(error: SQLAlchemyError):
    """503 in the site's layout, rendered without touching the database, and one log line saying why."""
    log.error("database unavailable: %s %r: %s", request.method, request.path, _cause(error))
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()  # on a dropped connection this may fail too; the session is discarded at teardown
    if problems.is_api_request():
        return problems.unavailable_problem(RETRY_AFTER_SECONDS)
    # Who is signed in cannot be looked up now (and a loaded user is expired by the rollback): render the page
    # as for a visitor, so that its header asks nothing of the database.
    g._login_user = login_manager.anonymous_user()
    page = _render(503, "Service Unavailable", None)
    return page, 503, {"Retry-After": RETRY_AFTER_SECONDS}


def _cause(error: SQLAlchemyError) -> str:
    """The driver's first line ("connection refused", "server closed the connection"), without the SQL
    statement and parameters that SQLAlchemy's message carries (they may hold personal data)."""
    cause = error.orig if isinstance(error, DBAPIError) else error
    lines = str(cause).strip().splitlines() or [""]
    return f"{type(cause).__name__}: {lines[0]!r}"


def _render(code: int, name: str, description: str | None) -> str:
    if request_ctx and request_ctx.url_adapter is None:
        # A `Host` that TRUSTED_HOSTS refuses leaves the request without URLs: build the page's links on the
        # one host production answers to.
        request_ctx.url_adapter = links.base_url_adapter()
    message = description or MESSAGES.get(code) or NAMES.get(code) or name
    return render_template("errors/error.html", code=code, name=NAMES.get(code) or name, message=message)
