"""Accounts: registration, log-in, password reset, profile, roles, data export and deletion.

Functions raise AccountError with a sentence fit to show to the person; callers commit.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import asdict, dataclass

from flask import url_for
from sqlalchemy import func, or_, select
from werkzeug.security import generate_password_hash

from consult_app.extensions import db
from consult_app.models import RespondentType, User
from consult_app.models.types import LIKE_ESCAPE, contains_pattern, utcnow
from consult_app.models.user import password_method
from consult_app.permissions import Role, can_manage_account
from consult_app.services import mail, tokens
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
        raise AccountError(f"An account with the email {normalise_email(email)} already exists.")
    _check_password(password, email, profile.display_name)
    user = _new_user(email, password, profile, role)
    user.email_confirmed_at = utcnow()
    return user


def register(email: str, password: str, profile: Profile) -> None:
    """Start a registration. The answer is the same whether or not the email is taken: a mail goes to the
    address either way, confirming the new account or telling the owner that one already exists."""
    existing = find_by_email(email)
    if existing is not None:
        # Spend the same hashing time as a new account would, so timing does not tell either.
        User(password_hash="").set_password(password)
        mail.send_mail(existing.email, "You already have an account", _already_registered_text(existing))
        return
    _check_password(password, email, profile.display_name)
    user = _new_user(email, password, profile, Role.REVIEWER)
    user.privacy_accepted_at = utcnow()
    db.session.flush()
    mail.send_mail(user.email, "Confirm your email address", _confirmation_text(user))


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


def confirm_email(token: str) -> User:
    payload = tokens.read_token(tokens.CONFIRM_EMAIL, token) or {}
    user = db.session.get(User, payload.get("user", -1))
    if user is None or user.email != payload.get("email"):
        raise AccountError("This confirmation link is not valid or has expired. Register again to get a new one.")
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active account with this email and password, or None (for every kind of failure alike)."""
    user = find_by_email(email)
    if user is None:
        User(password_hash=_dummy_hash()).check_password(password)
        log.info("failed log-in: unknown email=%r", normalise_email(email))
        return None
    if not user.check_password(password) or not user.active:
        log.info("failed log-in: email=%r reason=%r", user.email, "inactive" if user.active is False else "password")
        return None
    return user


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    log.info("log-in: email=%r role=%r", user.email, user.role)


def resend_confirmation(user: User) -> None:
    mail.send_mail(user.email, "Confirm your email address", _confirmation_text(user))


def request_password_reset(email: str) -> None:
    """Mail a reset link when an active account has this email; say nothing either way."""
    user = find_by_email(email)
    if user is None or not user.active:
        log.info("password reset asked for unknown or inactive email=%r", normalise_email(email))
        return
    token = tokens.make_token(tokens.RESET_PASSWORD, {"user": user.id, "hash": _fingerprint(user)})
    link = url_for("auth.reset_password", token=token, _external=True)
    mail.send_mail(user.email, "Reset your password", _reset_text(user, link))


def user_for_reset(token: str) -> User:
    """The account a reset link is for; AccountError when the link is invalid, expired or already used."""
    payload = tokens.read_token(tokens.RESET_PASSWORD, token) or {}
    user = db.session.get(User, payload.get("user", -1))
    # The fingerprint of the password hash changes with the password, so a used link stops working.
    if user is None or not user.active or payload.get("hash") != _fingerprint(user):
        raise AccountError("This reset link has expired or has already been used. Ask for a new one.")
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset(token)
    _set_new_password(user, new_password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # the reset link proved the address
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password):
        raise AccountError("Your current password is not right.")
    _set_new_password(user, new_password)


def _set_new_password(user: User, new_password: str) -> None:
    _check_password(new_password, user.email, user.display_name)
    user.set_password(new_password)
    user.rotate_session_token()  # every other session of this account ends here
    log.info("password changed: email=%r", user.email)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def update_profile(user: User, profile: Profile) -> None:
    changed = False
    for name, value in asdict(profile).items():
        changed = changed or getattr(user, name) != value
        setattr(user, name, value)
    if changed:
        profile_changed.send(user)


def set_role(actor: User, target: User, role: Role) -> None:
    _check_manageable(actor, target)
    if target.role == role.value:
        return
    log.info("role changed: by=%r user=%r from=%r to=%r", actor.email, target.email, target.role, role.value)
    record_event(actor, "role", target.role, role.value, subject=target)
    target.role = role.value


def set_active(actor: User, target: User, active: bool) -> None:
    _check_manageable(actor, target)
    if target.active == active:
        return
    target.active = active
    if not active:
        target.rotate_session_token()  # a deactivated account's cookies stop working at once
    log.info("account %s: by=%r user=%r", "reactivated" if active else "deactivated", actor.email, target.email)


def _check_manageable(actor: User, target: User) -> None:
    # Admins cannot demote or deactivate themselves here, so the last admin can never remove the last admin.
    if not can_manage_account(actor, target):
        raise AccountError("You cannot change your own role or deactivate your own account here.")


def set_role_by_email(email: str, role: Role) -> User:
    """Command-line role change (the operator is trusted; the database is the authority)."""
    user = find_by_email(email)
    if user is None:
        raise AccountError(f"There is no account with the email {normalise_email(email)}.")
    log.info("role changed: by=%r user=%r from=%r to=%r", "command line", user.email, user.role, role.value)
    if user.role != role.value:
        record_event(None, "role", user.role, role.value, subject=user)
    user.role = role.value
    return user


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
        raise AccountError("Your password is not right; your account was not deleted.")
    account_deleting.send(user)
    log.info("account deleted: id=%r", user.id)
    db.session.delete(user)
    db.session.flush()


def respondent_choices() -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in RespondentType]


def _confirmation_text(user: User) -> str:
    token = tokens.make_token(tokens.CONFIRM_EMAIL, {"user": user.id, "email": user.email})
    link = url_for("auth.confirm_email", token=token, _external=True)
    return (
        f"Hello {user.display_name},\n\nPlease confirm your email address to finish registering with Consult:\n\n"
        f"{link}\n\nThe link works for three days. If you did not register, ignore this message.\n"
    )


def _already_registered_text(user: User) -> str:
    link = url_for("auth.request_reset", _external=True)
    return (
        f"Hello {user.display_name},\n\nSomeone (perhaps you) tried to register with Consult using this email "
        f"address, but you already have an account. Log in, or if you forgot your password, reset it here:\n\n"
        f"{link}\n\nIf this was not you, you can ignore this message.\n"
    )


def _reset_text(user: User, link: str) -> str:
    return (
        f"Hello {user.display_name},\n\nUse this link to choose a new password for Consult:\n\n{link}\n\n"
        "The link works for one hour and only once. If you did not ask for it, ignore this message: "
        "your password has not changed.\n"
    )
