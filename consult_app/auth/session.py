"""How Flask-Login finds the user of a request, and how sessions start and end.

The Flask session (`_user_id`) and the remember-me cookie both carry the token of a server-side session
(services/sessions.py), never the account's id: ending the session's row makes both cookies anonymous.
"""

from __future__ import annotations

from flask import request, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, login_user, logout_user

from consult_app.models import User
from consult_app.services import sessions

# What Flask-Login keeps in the Flask session; all of it goes when a session does not load.
LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember_seconds")
LOGIN_MESSAGE = _l("Please log in to see that page.")


def load_user(token: str) -> User | None:
    user = sessions.load(token)
    if user is None:
        _forget_cookies()
    return user


def _forget_cookies() -> None:
    """A cookie that names an ended session: drop it from the Flask session and delete the remember-me
    cookie, so the browser stops sending it and Flask-Login does not try it again in this request."""
    for key in LOGIN_KEYS:
        session.pop(key, None)
    session["_remember"] = "clear"


def current_token() -> str | None:
    """The session token this request's cookies carry (valid or not), or None."""
    token = session.get("_user_id")
    return token if isinstance(token, str) else None


def start_session(user: User, remember: bool = False) -> None:
    """Log `user` in with a new session and fresh cookies: nothing from before carries over (no session
    fixation), and the session this browser had before, if any, ends. The caller commits."""
    sessions.end(current_token())
    session.clear()
    sessions.open_session(
        user,
        remember=remember,
        user_agent=request.user_agent.string,
        ip_address=request.remote_addr or "",
    )
    lifetime = sessions.lifetimes().absolute
    login_user(user, remember=remember, duration=lifetime if remember else None)
    # Without "keep me logged in" the session cookie goes when the browser closes.
    session.permanent = remember


def end_session() -> None:
    """Log out: end the server-side session, then empty the Flask session and delete the remember-me cookie.

    The order matters: logout_user() asks for the remember-me cookie's deletion by writing to the Flask
    session, so clearing the session after it would cancel that order. The caller commits."""
    sessions.end(current_token())
    session.clear()
    logout_user()


def configure_login_manager(manager: LoginManager) -> None:
    manager.user_loader(load_user)
    manager.login_view = "auth.login"
    manager.login_message = LOGIN_MESSAGE
    # Flashed into the session, which keeps only plain text: the message in the request's language.
    manager.localize_callback = str
    manager.login_message_category = "info"
    manager.session_protection = "basic"
