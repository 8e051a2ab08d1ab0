"""Changing an account's email address.

The person asks with the new address and their password. A link, signed and carrying the account, the old
and the new address, goes to the NEW address (so only its owner can complete the change) and a notice to the
OLD one (so a hijacked session cannot move the account away unnoticed). Following the link changes the
address, once: afterwards the account's address is no longer the link's old one, so the link is spent.
The change ends every other session of the account. Callers commit.
"""

from __future__ import annotations

import logging

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from consult_app import links
from consult_app.extensions import db
from consult_app.i18n import mail_language
from consult_app.models import User
from consult_app.models.types import utcnow
from consult_app.services import mail, sessions, tokens
from consult_app.services.accounts import AccountError, find_by_email, normalise_email, user_in

log = logging.getLogger("consult.security")
LINK_NOT_VALID = _l(
    "This link is not valid, has expired or has already been used. "
    "Ask for a new one from your account page to change your email address."
)


class AddressTakenError(AccountError):
    """The new address belongs to another account by the time the link is followed."""


def request_change(user: User, new_email: str, password: str) -> None:
    """Mail a confirmation link to `new_email` and a notice to the account's address.

    Raises AccountError for a wrong password or the address the account already has. Whether another account
    uses `new_email` is not said here (that would tell anyone with an account who else has one): the owner of
    that address gets a mail saying so instead of a link."""
    if not user.check_password(password):
        raise AccountError(gettext("Your password is not right; your email address was not changed."))
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError(gettext("That is already your email address."))
    owner = find_by_email(new_email)
    language = mail_language(user)  # each mail in its reader's language
    if owner is not None:
        mail.send_template(new_email, "mail/change_email_taken.txt", language=mail_language(owner))
    else:
        token = tokens.make_token(tokens.CHANGE_EMAIL, {"user": user.id, "old": user.email, "new": new_email})
        link = links.external_url("auth.change_email", token=token)
        mail.send_template(new_email, "mail/change_email_confirm.txt", language=language, user=user, link=link)
    mail.send_template(user.email, "mail/change_email_notice.txt", language=language, user=user, new_email=new_email)
    log.info("email change asked: user=%r", user.id)


def pending_change(token: str) -> tuple[User, str]:
    """(account, new address) of a change link, changing nothing; AccountError when the link is forged, cut
    short, expired, made for something else, already used, or for an account that is gone or deactivated."""
    payload = tokens.read_token(tokens.CHANGE_EMAIL, token) or {}
    user, new_email = user_in(payload), payload.get("new")
    if user is None or not user.active or not isinstance(new_email, str) or user.email != payload.get("old"):
        raise AccountError(str(LINK_NOT_VALID))
    return user, new_email


def change_email(token: str, keep_session: str | None = None) -> User:
    """Carry out the change a link asks for; every session of the account ends except the one `keep_session`
    opens (the person's own, when they follow the link while logged in). AddressTakenError when another
    account took the new address in the meantime."""
    user, new_email = pending_change(token)
    taken = AddressTakenError(
        gettext(
            "Another account already uses %(email)s, so your email address was not changed. "
            "Log in with your current address, or choose another one on your account page.",
            email=new_email,
        )
    )
    if find_by_email(new_email) is not None:
        raise taken
    user.email = new_email
    user.email_confirmed_at = utcnow()  # following the link proved the new address
    try:
        db.session.flush()
    except IntegrityError:  # taken by another account a moment ago; the caller rolls back
        raise taken from None
    sessions.end_all(user, keep=keep_session)
    log.info("email changed: user=%r", user.id)
    return user
