"""Request helpers that keep redirects and sessions safe."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import session
from flask_login import login_user

from consult_app.models import User


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default` (no open redirects: '//evil', 'https://...')."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(character) < 32 for character in target):
        return default
    return target


def start_session(user: User, remember: bool = False) -> None:
    """Log in with a fresh session: nothing from before the log-in carries over (no session fixation)."""
    session.clear()
    login_user(user, remember=remember)
    session.permanent = True
