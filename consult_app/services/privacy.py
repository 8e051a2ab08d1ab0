"""The facts of the privacy notice that belong to the deployment: who controls the data, whom to ask, how long.

CONSULT_CONTROLLER names the organisation that decides what happens to the data (the controller, in the GDPR's
words), CONSULT_PRIVACY_CONTACT where to write about it (an email address or an https:// address), and
CONSULT_RETENTION how long an idle account is kept (services/retention.py). Production refuses to start without
the first two; development and the tests run with placeholders, which the notice marks as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app

from config import PLACEHOLDER_CONTROLLER, PLACEHOLDER_PRIVACY_CONTACT
from consult_app.services import sessions
from consult_app.services.retention import Retention, RetentionError, parse_retention

CONTROLLER_MAX = 500


class PrivacySettingsError(ValueError):
    """A privacy setting is missing or cannot be shown; the message names the variable."""


@dataclass(frozen=True)
class PrivacyNotice:
    controller: str
    contact: str
    contact_href: str  # mailto: or the https:// address itself
    retention: Retention
    session_idle: str  # "7 days": how long an unused log-in session lasts (services/sessions.py)
    session_absolute: str  # "30 days": the longest any log-in session lasts
    # The development defaults are shown: the page says so, and that production would refuse to start.
    is_placeholder: bool


def check_settings(config) -> None:
    """Raise PrivacySettingsError for a missing controller or contact, or a contact or retention period that
    cannot be used."""
    controller = (config.get("CONSULT_CONTROLLER") or "").strip()
    if not controller:
        raise PrivacySettingsError(
            "CONSULT_CONTROLLER is not set: name the organisation responsible for the personal data "
            "(production refuses to start without it)"
        )
    if len(controller) > CONTROLLER_MAX or "\x00" in controller:
        raise PrivacySettingsError(f"CONSULT_CONTROLLER must be at most {CONTROLLER_MAX} characters of text")
    _contact_href((config.get("CONSULT_PRIVACY_CONTACT") or "").strip())
    _retention(config)


def privacy_notice() -> PrivacyNotice:
    """The notice's facts for the running app (whose settings `check_settings` accepted when it started)."""
    config = current_app.config
    controller = config["CONSULT_CONTROLLER"].strip()
    contact = config["CONSULT_PRIVACY_CONTACT"].strip()
    session_lifetimes = sessions.lifetimes().described()
    return PrivacyNotice(
        controller=controller,
        contact=contact,
        contact_href=_contact_href(contact),
        retention=_retention(config),
        session_idle=session_lifetimes["idle"],
        session_absolute=session_lifetimes["absolute"],
        is_placeholder=controller == PLACEHOLDER_CONTROLLER or contact == PLACEHOLDER_PRIVACY_CONTACT,
    )


def retention_setting() -> Retention:
    """CONSULT_RETENTION of the running app."""
    return _retention(current_app.config)


def _retention(config) -> Retention:
    try:
        return parse_retention(config.get("CONSULT_RETENTION") or "", at_least=_longest_log_in(config))
    except RetentionError as error:
        raise PrivacySettingsError(str(error)) from None


def _longest_log_in(config) -> timedelta:
    """How long one log-in can keep someone signed in (a log-in session's longest life, or a remember-me
    cookie's): all that time they use the site without logging in again, which is what the purge looks at."""
    remembered = config.get("REMEMBER_COOKIE_DURATION") or 0
    remembered = remembered if isinstance(remembered, timedelta) else timedelta(seconds=remembered)
    return max(remembered, timedelta(days=config.get("SESSION_ABSOLUTE_DAYS") or 0))


def _contact_href(contact: str) -> str:
    if not contact:
        raise PrivacySettingsError(
            "CONSULT_PRIVACY_CONTACT is not set: give the email address (or https:// page) where people can ask "
            "about their data (production refuses to start without it)"
        )
    if contact.startswith("https://"):
        parts = urlsplit(contact)
        if parts.hostname and not any(character.isspace() for character in contact):
            return contact
    else:
        try:
            return "mailto:" + validate_email(contact, check_deliverability=False).normalized
        except EmailNotValidError:
            pass
    raise PrivacySettingsError(
        f"CONSULT_PRIVACY_CONTACT={contact!r} is neither an email address nor an https:// address"
    )
