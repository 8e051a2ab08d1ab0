"""Accounts: registration, log-in, password reset, profile, roles, data export and deletion.

Functions raise AccountError with a sentence fit to show to the person; callers commit.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from dataclasses import asdict, dataclass

from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, or_, select, update
from werkzeug.security import generate_password_hash

from consult_app import links
from consult_app.extensions import db
from consult_app.i18n import current_language, mail_language
from consult_app.models import RespondentType, User
from consult_app.models.comment import COMMAND_LINE
from consult_app.models.types import LIKE_ESCAPE, contains_pattern, utcnow
from consult_app.models.user import password_method
from consult_app.permissions import Role, can_manage_account
from consult_app.services import mail, sessions, throttle, tokens
from consult_app.services.moderation import record_event
from consult_app.services.passwords import password_problem
from consult_app.signals import account_deleting, account_exporting, profile_changed

log = logging.getLogger("consult.security")
USERS_PER_PAGE = 25
# Checked against when an email is unknown, so a failed log-in takes as long whether or not the account exists:
# one per hashing method, made on first use with the same method (and so the same cost) as real passwords.
_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    method = password_method()
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return _dummy_hashes[method]


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message is for the person."""


@dataclass
class Profile:
    display_name: str
    organisation: str
    respondent_type: str
    country: str


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_account(email: str, password: str, profile: Profile, role: Role = Role.REVIEWER) -> User:
    """Create a confirmed account (command line, demo, tests); raise AccountError for a taken email or bad password."""
    if find_by_email(email) is not None:
        raise AccountError(gettext("An account with the email %(email)s already exists.", email=normalise_email(email)))
    _check_password(password, email, profile.display_name)
    user = _new_user(email, password, profile, role)
    user.email_confirmed_at = utcnow()
    return user


def register(email: str, password: str, profile: Profile, next_url: str | None = None) -> None:
    """Start a registration. The answer is the same whether or not the email is taken: a mail goes to the
    address either way, confirming the new account or telling the owner that one already exists.
    `next_url`, a path on this site the caller has checked, is where confirming the address leads."""
    existing = find_by_email(email)
    if existing is not None:
        # Spend the same hashing time as a new account would, so timing does not tell either.
        User(password_hash="").set_password(password)
        link = links.external_url("auth.request_reset")
        # In the language of this request, not the account's: whoever just tried to register (most likely the
        # owner, who forgot) is reading in it now, and an old account's saved language may be only the default.
        mail.send_template(existing.email, "mail/already_registered.txt", user=existing, link=link)
        return
    _check_password(password, email, profile.display_name)
    user = _new_user(email, password, profile, Role.REVIEWER)
    user.privacy_accepted_at = utcnow()
    # The language the person registered in: their mail follows it (the header's switcher changes it later).
    user.language = current_language()
    db.session.flush()
    resend_confirmation(user, next_url)


def _new_user(email: str, password: str, profile: Profile, role: Role) -> User:
    user = User(email=normalise_email(email), role=role.value, active=True, **asdict(profile))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def _check_password(password: str, email: str, name: str) -> None:
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise AccountError(problem)


class AlreadyConfirmedError(AccountError):
    """A confirmation link used again: it logs nobody in."""


def account_for_confirmation(token: str) -> User:
    """The account a confirmation link is for, changing nothing (what the page with the button shows).

    Raises AlreadyConfirmedError once the address is confirmed, and AccountError for a link that is forged, cut
    short, expired, made for something else (a reset link), or for an account that is gone or deactivated."""
    payload = tokens.read_token(tokens.CONFIRM_EMAIL, token) or {}
    user = user_in(payload)
    if user is None or not user.active or user.email != payload.get("email"):
        raise AccountError(
            gettext("This confirmation link is not valid or has expired. Register again to get a new one.")
        )
    if user.email_confirmed_at is not None:
        raise AlreadyConfirmedError(gettext("Your email address is already confirmed. Please log in."))
    return user


def confirm_email(token: str) -> User:
    """Confirm the address of a confirmation link, once: the second use of the link, even at the same
    moment from another process, raises AlreadyConfirmedError (a compare-and-set on email_confirmed_at)."""
    user = account_for_confirmation(token)
    confirmed = db.session.execute(
        update(User).where(User.id == user.id, User.email_confirmed_at.is_(None)).values(email_confirmed_at=utcnow())
    )
    if confirmed.rowcount != 1:
        raise AlreadyConfirmedError(gettext("Your email address is already confirmed. Please log in."))
    log.info("email confirmed: user=%r", user.id)
    return user


def user_in(payload: dict) -> User | None:
    """The account a signed link's payload names, if any (a payload is ours, but checked all the same)."""
    user_id = payload.get("user")
    # A 32-bit id column: a larger number names nobody (and PostgreSQL or SQLite would refuse to compare it).
    return db.session.get(User, user_id) if type(user_id) is int and 0 < user_id < 2**31 else None


def authenticate(email: str, password: str) -> User | None:
    """The active account with this email and password, or None, for every kind of failure alike: a wrong
    password, an unknown or deactivated account, or an account whose log-ins are held back or locked after
    repeated failures (services.throttle). Each takes about one password hash's time."""
    if throttle.is_refused(email):
        User(password_hash=_dummy_hash()).check_password(password)
        log.info("failed log-in: account=%s reason=%r", throttle.account_key(email), "throttled")
        _count_failure(email, None)
        return None
    user = find_by_email(email)
    if user is None:
        User(password_hash=_dummy_hash()).check_password(password)
        log.info("failed log-in: unknown account=%s", throttle.account_key(email))
        _count_failure(email, None)
        return None
    if not user.check_password(password) or not user.active:
        log.info("failed log-in: user=%r reason=%r", user.id, "inactive" if user.active is False else "password")
        _count_failure(email, user)
        return None
    throttle.forget(email)
    return user


def _count_failure(email: str, user: User | None) -> None:
    if not throttle.record_failure(email):
        return
    user = user or find_by_email(email)
    if user is None or not user.active:
        log.warning("log-ins locked after repeated failures: unknown account=%s", throttle.account_key(email))
        return
    log.warning("log-ins locked after repeated failures: user=%r", user.id)
    minutes = max(1, math.ceil(current_app.config["LOGIN_LOCK_MINUTES"]))  # whole minutes, for the mail's plurals
    link = links.external_url("auth.request_reset")
    language = mail_language(user)
    mail.send_template(user.email, "mail/account_locked.txt", language=language, user=user, minutes=minutes, link=link)


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    log.info("log-in: user=%r role=%r", user.id, user.role)


def resend_confirmation(user: User, next_url: str | None = None) -> None:
    """Queue a mail with a link that confirms the account's address (at registration, at each log-in attempt
    before it is confirmed, and when asked again). The signed link carries `next_url`, the page to return to
    (a path on this site; the confirming view checks it again), so no state waits on the server."""
    payload: dict = {"user": user.id, "email": user.email}
    if next_url:
        payload["next"] = next_url
    token = tokens.make_token(tokens.CONFIRM_EMAIL, payload)
    link = links.external_url("auth.confirm_email", token=token)
    mail.send_template(user.email, "mail/confirm_email.txt", language=mail_language(user), user=user, link=link)


def confirmation_next(token: str) -> str | None:
    """The page a valid confirmation link asks to return to, if it names one (unchecked: the view checks it)."""
    target = (tokens.read_token(tokens.CONFIRM_EMAIL, token) or {}).get("next")
    return target if isinstance(target, str) else None


def request_confirmation(email: str, next_url: str | None = None) -> None:
    """For "Nothing arrived?": mail a new confirmation link when an active account with this email still waits for
    one; say nothing either way, so the answer never tells whether an address has an account."""
    user = find_by_email(email)
    if user is None or not user.active or user.email_confirmed_at is not None:
        log.info("confirmation asked for an unknown, inactive or confirmed account=%s", throttle.account_key(email))
        return
    resend_confirmation(user, next_url)


def request_password_reset(email: str) -> None:
    """Mail a reset link when an active account has this email; say nothing either way."""
    user = find_by_email(email)
    if user is None or not user.active:
        log.info("password reset asked for an unknown or inactive account=%s", throttle.account_key(email))
        return
    token = tokens.make_token(tokens.RESET_PASSWORD, {"user": user.id, "hash": _fingerprint(user)})
    link = links.external_url("auth.reset_password", token=token)
    mail.send_template(user.email, "mail/reset_password.txt", language=mail_language(user), user=user, link=link)


def user_for_reset(token: str) -> User:
    """The account a reset link is for; AccountError when the link is invalid, expired or already used."""
    payload = tokens.read_token(tokens.RESET_PASSWORD, token) or {}
    user = user_in(payload)
    # The fingerprint of the password hash changes with the password, so a used link stops working.
    if user is None or not user.active or payload.get("hash") != _fingerprint(user):
        raise AccountError(gettext("This reset link has expired or has already been used. Ask for a new one."))
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set the password a reset link was for; every session of the account ends, and a log-in lock is
    lifted (the link proved the address)."""
    user = user_for_reset(token)
    _set_new_password(user, new_password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # the reset link proved the address
    throttle.forget(user.email)
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change the password; every session of the account ends (the view gives the person a new one)."""
    if not user.check_password(current_password):
        raise AccountError(gettext("Your current password is not right."))
    _set_new_password(user, new_password)


def _set_new_password(user: User, new_password: str) -> None:
    _check_password(new_password, user.email, user.display_name)
    user.set_password(new_password)
    sessions.end_all(user)
    log.info("password changed: user=%r", user.id)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def update_profile(user: User, profile: Profile) -> None:
    changed = False
    for name, value in asdict(profile).items():
        changed = changed or getattr(user, name) != value
        setattr(user, name, value)
    if changed:
        profile_changed.send(user)


# The "Mail from Consult" choices of the account page: boolean User columns a person sets for themselves.
MAIL_PREFERENCES = ("notify_responses", "notify_changes")


def set_mail_preferences(user: User, choices: dict[str, bool]) -> bool:
    """Save the person's mail choices (names from MAIL_PREFERENCES; others are a programming error, KeyError).
    Returns whether anything changed."""
    changed = False
    for name, wanted in choices.items():
        if name not in MAIL_PREFERENCES:
            raise KeyError(name)
        if getattr(user, name) != bool(wanted):
            setattr(user, name, bool(wanted))
            changed = True
    return changed


def set_role(actor: User, target: User, role: Role) -> bool:
    """An admin changes someone else's role; returns False when it already was `role` (nothing recorded)."""
    _check_manageable(actor, target)
    return _change_role(actor, target, role)


def _change_role(actor: User | None, target: User, role: Role) -> bool:
    """The one place a role changes: logged, on the audit trail, sessions ended. `actor` None is the command line.
    A role that stays the same is no change, and leaves no trace."""
    if target.role == role.value:
        return False
    who = actor.id if actor is not None else COMMAND_LINE
    log.info("role changed: by=%r user=%r from=%r to=%r", who, target.id, target.role, role.value)
    record_event(actor, "role", target.role, role.value, subject=target)
    target.role = role.value
    sessions.end_all(target)  # the new role applies from the next log-in, in every browser alike
    return True


def set_active(actor: User, target: User, active: bool) -> None:
    _check_manageable(actor, target)
    if target.active == active:
        return
    target.active = active
    if not active:
        sessions.end_all(target)  # a deactivated account's cookies stop working at once
    log.info("account %s: by=%r user=%r", "reactivated" if active else "deactivated", actor.id, target.id)


def _check_manageable(actor: User, target: User) -> None:
    # Admins cannot demote or deactivate themselves here, so the last admin can never remove the last admin.
    if not can_manage_account(actor, target):
        raise AccountError(gettext("You cannot change your own role or deactivate your own account here."))


def set_role_by_email(email: str, role: Role) -> tuple[User, bool]:
    """Command-line role change (the operator is trusted; the database is the authority). Returns the account
    and whether its role changed."""
    user = find_by_email(email)
    if user is None:
        raise AccountError(gettext("There is no account with the email %(email)s.", email=normalise_email(email)))
    return user, _change_role(None, user, role)


def search_users(query: str = "", role: str = "", page: int = 1):
    """Accounts matching `query` (email, name or organisation) and `role`, newest first, paged."""
    statement = select(User).order_by(User.created_at.desc(), User.id.desc())
    if query:
        pattern = contains_pattern(query)
        statement = statement.where(
            or_(
                User.email.like(pattern, escape=LIKE_ESCAPE),
                func.lower(User.display_name).like(pattern, escape=LIKE_ESCAPE),
                func.lower(User.organisation).like(pattern, escape=LIKE_ESCAPE),
            )
        )
    if role:
        statement = statement.where(User.role == role)
    return db.paginate(statement, page=page, per_page=USERS_PER_PAGE, error_out=False)


def export_data(user: User) -> dict:
    """Everything we hold about the account, for the person's own download."""
    return {
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "organisation": user.organisation,
            "respondent_type": user.respondent_type,
            "country": user.country,
            "language": user.language,
            "role": user.role,
            "created_at": user.created_at.isoformat(),
            "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
            "email_confirmed_at": user.email_confirmed_at.isoformat() if user.email_confirmed_at else None,
            "privacy_accepted_at": user.privacy_accepted_at.isoformat() if user.privacy_accepted_at else None,
        },
        # Other parts of the app add their records (comments, ...) through this signal's receivers.
        **{key: value for _, part in account_exporting.send(user) for key, value in (part or {}).items()},
    }


def delete_account(user: User, password: str) -> None:
    """Delete the account after checking the password.

    Receivers of `signals.account_deleting` run first, in this transaction, to decide what happens to
    what the person wrote (comments keep their text under "Deleted account"); then the account row goes.
    """
    if not user.check_password(password):
        raise AccountError(gettext("Your password is not right; your account was not deleted."))
    account_deleting.send(user)
    sessions.end_all(user)  # the foreign key would cascade too; this says so where it happens
    log.info("account deleted: user=%r", user.id)
    db.session.delete(user)
    db.session.flush()


def respondent_choices() -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in RespondentType]
