"""Signed, expiring tokens: for links sent by mail (confirm an address, reset a password, change an address),
and for the import's dry run, whose plan travels in the apply form (moderation/import_views.py)."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from consult_app.services.importer import Change, Plan

CONFIRM_EMAIL = "confirm-email"
RESET_PASSWORD = "reset-password"  # noqa: S105 - a salt name, not a password
CHANGE_EMAIL = "change-email"
# "-2": the plan's changes are written by field name since; a token signed before (fields by position) fails
# its signature check and gets read_plan_token's "Upload the file again".
IMPORT_PLAN = "moderation-import-plan-2"
MAX_AGE = {CONFIRM_EMAIL: 3 * 24 * 3600, RESET_PASSWORD: 3600, CHANGE_EMAIL: 24 * 3600, IMPORT_PLAN: 3600}
CHANGE_FIELDS = frozenset(field.name for field in dataclasses.fields(Change))


class TokenError(ValueError):
    """A token that cannot be used; the message tells the person what to do."""


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


# --- the import's plan --------------------------------------------------------------------------------------


def plan_token(plan: Plan, user_id: int) -> str:
    """The plan (without its row errors: a plan with errors is never applied), signed for `user_id`. Each change
    is an object of named fields, so a field added to Change later cannot shift the others' meaning."""
    payload = {
        "user": user_id,
        "has_responded_at": plan.has_responded_at,
        "unchanged": plan.unchanged,
        "unanswered": plan.unanswered,
        "changes": [dataclasses.asdict(change) for change in plan.changes],
    }
    return make_token(IMPORT_PLAN, payload)


def read_plan_token(token: str, user_id: int) -> Plan:
    """The plan in a token made by plan_token for `user_id`. Raises TokenError for a token that is expired,
    tampered with, made for another account, or written in another layout (an older release's)."""
    unreadable = "The import could not be read. Upload the file again."
    try:
        payload = _serializer(IMPORT_PLAN).loads(token, max_age=MAX_AGE[IMPORT_PLAN])
    except SignatureExpired:
        raise TokenError("This check is more than an hour old. Upload the file again.") from None
    except BadData:
        raise TokenError(unreadable) from None
    if not isinstance(payload, dict) or payload.get("user") != user_id:
        raise TokenError("This check was made by another account. Upload the file again.")
    try:
        return Plan(
            changes=[_change(fields) for fields in payload["changes"]],
            unchanged=payload["unchanged"],
            unanswered=payload["unanswered"],
            has_responded_at=payload["has_responded_at"],
        )
    except (KeyError, TypeError, ValueError):
        raise TokenError(unreadable) from None


def _change(fields: dict[str, Any]) -> Change:
    if not isinstance(fields, dict) or set(fields) != CHANGE_FIELDS:
        raise ValueError("not a change in this release's layout")
    # JSON has no tuples: the theme fields come back as lists.
    return Change(**{name: tuple(value) if isinstance(value, list) else value for name, value in fields.items()})
