"""The interface language: which one a request gets, the switcher that changes it, and what depends on it.

Consult speaks English, French and Russian, the working languages of the respondents' region. A request's
language is, in this order: the signed-in account's saved choice; the `consult_language` cookie the switcher in
the header sets; the browser's `Accept-Language`; English. Messages live in consult_app/translations/ (see
README "Languages"); dates and numbers use Babel's formats for the language, in CONSULT_TIMEZONE.

Visitors' cached pages are kept per language (http_cache.py asks `current_language()`), and every HTML answer
says `Vary: Accept-Language, Cookie`, so no shared cache hands one language's page to a reader of another.
"""

from __future__ import annotations

import functools

from flask import Blueprint, Flask, Response, abort, current_app, g, has_request_context, redirect, request, session
from flask_babel import Babel, force_locale, get_locale, gettext
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from consult_app.extensions import csrf, db
from consult_app.permissions import is_signed_in
from consult_app.safety import safe_next

# Each language named in itself, as the switcher shows it.
LANGUAGES = {"en": "English", "fr": "Français", "ru": "Русский"}
DEFAULT_LANGUAGE = "en"
COOKIE = "consult_language"
COOKIE_MAX_AGE = 365 * 24 * 3600

babel = Babel()
bp = Blueprint("language", __name__)


def known(code: str | None) -> str | None:
    """`code` when it names a language of the interface ("fr", "FR", "fr-CA" give "fr"), else None."""
    if not code or not isinstance(code, str):
        return None
    base = code.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def select_language() -> str:
    """The language of this request (see the module's docstring for the order)."""
    if not has_request_context():  # the CLI and the mail worker: English unless in_language() says otherwise
        return DEFAULT_LANGUAGE
    user = g.get("_login_user")
    if user is None and "_user_id" in session:  # visitors' pages never load an account to choose a language
        user = current_user
    if user is not None and is_signed_in(user):
        chosen = known(getattr(user, "language", None))
        if chosen:
            return chosen
    return visitor_language(request.cookies.get(COOKIE), request.headers.get("Accept-Language"))


def visitor_language(cookie: str | None, accept_language: str | None) -> str:
    """The language of a request with no account's choice: the switcher's cookie, else the browser's
    `Accept-Language`, else English. Also what visitor_pages.py uses, so the two never disagree."""
    return known(cookie) or _accepted(accept_language or "")


@functools.lru_cache(maxsize=256)  # browsers send a handful of distinct headers; parsing one costs more than this
def _accepted(header: str) -> str:
    return parse_accept_header(header, LanguageAccept).best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The language code of the current request ("en" outside one, for the CLI and the mail worker)."""
    locale = get_locale()
    return known(str(locale)) if locale is not None else DEFAULT_LANGUAGE


def mail_language(user) -> str:
    """The language of mail to `user`: their saved choice, else English."""
    return known(getattr(user, "language", None)) or DEFAULT_LANGUAGE


def in_language(code: str | None):
    """A context manager: messages, dates and numbers in `code` (an unknown code means English).
    Mail to someone is rendered inside `in_language(mail_language(user))`."""
    return force_locale(known(code) or DEFAULT_LANGUAGE)


@bp.post("/language")
@csrf.exempt  # a visitor's cached page carries no CSRF token; a signed-in account's change is checked below
def switch() -> Response:
    """The header's switcher: remember the language in a cookie (and on the account, when signed in), then go
    back to the page the reader was on. Works without script: the switcher is a form of plain buttons."""
    chosen = request.form.get("language")
    if chosen not in LANGUAGES:  # exactly a code the switcher offers
        abort(400, description=gettext("Choose English, Français or Русский."))
    if is_signed_in(current_user):
        csrf.protect()  # changes the account: the form carries the token on signed-in pages
        current_user.language = chosen
        db.session.commit()
    response = redirect(safe_next(request.form.get("next"), "/"), code=303)
    remember(response, chosen)
    return response


def remember(response: Response, code: str) -> None:
    """Keep `code` in the language cookie, so that pages stay in it after logging out too."""
    response.set_cookie(
        COOKIE,
        code,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )


def _remember_account_language(response: Response) -> Response:
    """A signed-in account's language becomes the browser's too (once: when the cookie says otherwise), so
    the page after logging out is not suddenly in another language."""
    user = g.get("_login_user")
    chosen = known(getattr(user, "language", None)) if user is not None and is_signed_in(user) else None
    if chosen and request.cookies.get(COOKIE) != chosen:
        remember(response, chosen)
    return response


def _vary_on_language(response: Response) -> Response:
    """Pages differ by language: shared caches must key them by what chose it."""
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["CONSULT_TIMEZONE"]
    babel.init_app(app, locale_selector=select_language, default_domain="messages")
    # {% trans %} blocks are compared with the catalogue whitespace-normalised (babel.cfg extracts them so too).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.add_template_global(LANGUAGES, "languages")
    app.add_template_global(current_language, "current_language")
    app.register_blueprint(bp)
    app.after_request(_vary_on_language)
    app.after_request(_remember_account_language)
