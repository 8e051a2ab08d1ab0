"""Signed, expiring tokens for links sent by mail (confirm an address, reset a password, change an address)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

CONFIRM_EMAIL = "confirm-email"
RESET_PASSWORD = "reset-password"  # noqa: S105 - a salt name, not a password
CHANGE_EMAIL = "change-email"
MAX_AGE = {CONFIRM_EMAIL: 3 * 24 * 3600, RESET_PASSWORD: 3600, CHANGE_EMAIL: 24 * 3600}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # The purpose is the salt, so a token made for one purpose never passes as another.
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make_token(purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str) -> dict[str, Any] | None:
    """The payload of a valid, unexpired token for `purpose`, else None."""
    try:
        payload = _serializer(purpose).loads(token, max_age=MAX_AGE[purpose])
    except BadData:  # a bad signature, an expired one, or a payload that does not decode
        return None
    return payload if isinstance(payload, dict) else None
