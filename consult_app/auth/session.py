"""How Flask-Login finds the user of a session."""

from __future__ import annotations

from flask_login import LoginManager
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import User


def load_user(session_token: str) -> User | None:
    """Sessions carry the account's session token, not its id: a rotated token (new password,
    deactivation) makes every older session and remember-me cookie anonymous."""
    return db.session.scalar(select(User).where(User.session_token == session_token, User.active.is_(True)))


def configure_login_manager(manager: LoginManager) -> None:
    manager.user_loader(load_user)
    manager.login_view = "auth.login"
    manager.login_message = "Please log in to see that page."
    manager.login_message_category = "info"
    manager.session_protection = "basic"
