"""Mail: queued in the outbox with the change that caused it, delivered later through the transport MAIL_URL names.

`send_mail` and `send_template` only add a row to the outbox (`models.mail.OutboxMail`) in the current
transaction: a change that is rolled back mails nothing, and no request waits for an SMTP server. The
worker in `services.outbox` sends the rows with `transmit`.

`console://` (the default) logs each message on the `consult.mail` logger instead of sending it.
`smtp://[user:pass@]host[:port][?starttls=true]` (port 25) and `smtps://...` (TLS from the start, port 465)
deliver through smtplib; user and password are URL-encoded in the address.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from sqlalchemy import delete, func, select, text

from consult_app.extensions import db
from consult_app.i18n import current_language, in_language
from consult_app.models.mail import RECIPIENT_MAX, SUBJECT_MAX, OutboxMail
from consult_app.models.types import utcnow
from consult_app.signals import account_deleting

log = logging.getLogger("consult.mail")

DEFAULT_FROM = "Consult <no-reply@localhost>"
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
TIMEOUT_SECONDS = 10
STARTTLS_WORDS = {"true": True, "false": False}
SUBJECT_PREFIX = "Subject: "
RATE_WINDOW = timedelta(hours=1)


class MailConfigurationError(ValueError):
    """MAIL_URL names no transport this service can use."""


class MailDeliveryError(RuntimeError):
    """The SMTP server could not be reached or refused the message (the reason never shows the password)."""


@dataclass(frozen=True)
class _Transport:
    scheme: str
    host: str = ""
    port: int = 0
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False


def check_mail_url(url: str) -> None:
    """Raise MailConfigurationError if `url` is not a usable MAIL_URL; send nothing."""
    _parse(url)


# --- queueing -----------------------------------------------------------------------------------------------


def send_mail(to: str, subject: str, body: str) -> bool:
    """Queue a plain-text UTF-8 message from MAIL_FROM to `to` in the outbox; the caller commits.

    Returns False, queueing nothing, when `to` already had MAIL_PER_RECIPIENT_PER_HOUR mails in the last hour.
    Raises ValueError for a line break in `to` or `subject`, or either being too long. Needs an app context."""
    for name, value in (("to", to), ("subject", subject)):
        if "\r" in value or "\n" in value:
            raise ValueError(f"mail {name} must not contain a line break")
    if len(to) > RECIPIENT_MAX or len(subject) > SUBJECT_MAX:
        raise ValueError(f"mail address or subject too long (at most {RECIPIENT_MAX} and {SUBJECT_MAX} characters)")
    recent = _recent_mails_to(to)
    limit = current_app.config["MAIL_PER_RECIPIENT_PER_HOUR"]
    if recent >= limit:
        # The count, not the address: the log is read by more people than the outbox.
        log.warning("mail not queued: its recipient already had %d mails in the last hour (limit %d)", recent, limit)
        return False
    db.session.add(OutboxMail(recipient=to, subject=subject, body=body))
    db.session.flush()
    return True


def send_template(to: str, template: str, *, language: str | None = None, **context) -> bool:
    """Queue the mail that `template` (under templates/, e.g. "mail/reset_password.txt") renders with `context`.

    The template's first line is "Subject: ...", then a blank line, then the body. Subject and body are
    written in `language`: the recipient's (`i18n.mail_language(user)`), so a moderator working in English
    still tells a Russian reviewer in Russian; None means the current request's language (English outside a
    request), for an address with no account or a mail that answers what someone just did ("you already have
    an account"). As send_mail otherwise."""
    subject, body = render_mail(template, language=language, **context)
    return send_mail(to, subject, body)


def render_mail(template: str, *, language: str | None = None, **context) -> tuple[str, str]:
    """(subject, body) of a mail template, in `language` (see send_template). Rendered without the page context
    processors, which read the request: mail is also written from the command line and the mail worker."""
    with in_language(language or current_language()):
        # Templates name stored codes themselves (`label(...)`), so those words are in the mail's language too:
        # a label made by the caller beforehand would be in the language of whoever caused the mail.
        rendered = current_app.jinja_env.get_template(template).render(**context)
    first, _, rest = rendered.partition("\n")
    if not first.startswith(SUBJECT_PREFIX) or not rest.startswith("\n"):
        raise ValueError(f"mail template {template} must start with a 'Subject: ' line and a blank line")
    return first.removeprefix(SUBJECT_PREFIX).strip(), rest[1:].rstrip("\n") + "\n"


def _recent_mails_to(to: str) -> int:
    """Mails queued for `to` in the last RATE_WINDOW, in any state. On PostgreSQL a transaction-scoped lock
    per address makes concurrent requests for one address count one after the other, so the limit holds
    exactly across processes; SQLite has a single writer."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(to.encode()).digest()[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    since = utcnow() - RATE_WINDOW
    statement = select(func.count()).where(OutboxMail.recipient == to, OutboxMail.created_at > since)
    return db.session.scalar(statement) or 0


@account_deleting.connect
def _forget_mail_to(user) -> None:
    """A deleted account's address leaves the outbox with it: mail still waiting is not sent to someone who has
    left, and the record of sent mail (kept for a few days) no longer names them."""
    db.session.execute(delete(OutboxMail).where(OutboxMail.recipient == user.email))


# --- the transport ------------------------------------------------------------------------------------------


def transmit(to: str, subject: str, body: str) -> None:
    """Send one message now, through MAIL_URL (the outbox worker's job; everything else queues).

    Raises MailConfigurationError for a bad MAIL_URL and MailDeliveryError when delivery fails."""
    transport = _parse(current_app.config["MAIL_URL"])
    message = _build(current_app.config.get("MAIL_FROM", DEFAULT_FROM), to, subject, body)
    if transport.scheme == "console":
        # The body as text, not as the encoded wire form, so a developer can read it (and follow its links).
        log.info("From: %s\nTo: %s\nSubject: %s\n\n%s", message["From"], to, subject, body)
    else:
        _deliver(transport, message)


def _parse(url: str) -> _Transport:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise MailConfigurationError(f"MAIL_URL is malformed: {error}") from None
    if parts.scheme == "console":
        if parts.netloc or parts.path or parts.query:
            raise MailConfigurationError("MAIL_URL console:// takes nothing after the scheme")
        return _Transport("console")
    if parts.scheme not in DEFAULT_PORTS:
        raise MailConfigurationError(f"MAIL_URL scheme {parts.scheme!r} is not one of console://, smtp://, smtps://")
    if not parts.hostname:
        raise MailConfigurationError(f"MAIL_URL {parts.scheme}:// needs a host, as in {parts.scheme}://host:port")
    if port == 0 or parts.path not in ("", "/"):
        raise MailConfigurationError("MAIL_URL needs a port from 1 to 65535 and no path")
    username, password = unquote(parts.username or ""), unquote(parts.password or "")
    if not (username + password).isascii():  # smtplib sends AUTH as ASCII and would fail at the first mail
        raise MailConfigurationError("MAIL_URL user and password must be ASCII (URL-encoded if need be)")
    starttls = _starttls(parts.scheme, parts.query)
    return _Transport(parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme], username, password, starttls)


def _starttls(scheme: str, query: str) -> bool:
    options = parse_qs(query, keep_blank_values=True)
    # Refuse unknown options: a misspelt `starttls` would otherwise send in clear text without a word.
    if set(options) - {"starttls"} or len(options.get("starttls", [])) > 1:
        raise MailConfigurationError("MAIL_URL accepts one option only: ?starttls=true")
    value = options.get("starttls", ["false"])[0].lower()
    if value not in STARTTLS_WORDS or (STARTTLS_WORDS[value] and scheme == "smtps"):
        raise MailConfigurationError("MAIL_URL starttls must be true or false, and smtps:// is already TLS")
    return STARTTLS_WORDS[value]


def _build(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(usegmt=True)
    # The sender's domain, because make_msgid's default (socket.getfqdn) can wait seconds on DNS.
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "localhost")
    message.set_content(body, charset="utf-8")
    return message


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """smtplib's own default context does not check certificates; this one does. Made once per process:
    loading the system's certificates takes a tenth of a second, longer than sending a mail."""
    return ssl.create_default_context()


def _deliver(transport: _Transport, message: EmailMessage) -> None:
    try:
        if transport.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(transport.host, transport.port, timeout=TIMEOUT_SECONDS, context=_tls_context())
        else:
            smtp = smtplib.SMTP(transport.host, transport.port, timeout=TIMEOUT_SECONDS)
        with smtp:
            if transport.starttls:
                smtp.starttls(context=_tls_context())
            if transport.username:
                smtp.login(transport.username, transport.password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        # The worker logs the reason: no address in it (a server's reply may quote the recipient), no password
        # (smtplib never quotes it, but a server's reply might).
        reason = f"via {transport.host}:{transport.port}: {error}".replace(str(message["To"]), "<recipient>")
        if transport.password:
            reason = reason.replace(transport.password, "***")
        raise MailDeliveryError(reason) from None
