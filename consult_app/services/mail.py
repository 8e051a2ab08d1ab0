"""Sending mail: one plain-text message at a time, to the transport named by MAIL_URL.

`console://` (the default) logs each message on the `consult.mail` logger instead of sending it.
`smtp://[user:pass@]host[:port][?starttls=true]` (port 25) and `smtps://...` (TLS from the start, port 465)
deliver through smtplib; user and password are URL-encoded in the address.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

log = logging.getLogger("consult.mail")

DEFAULT_FROM = "Consult <no-reply@localhost>"
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
TIMEOUT_SECONDS = 10
STARTTLS_WORDS = {"true": True, "false": False}


class MailConfigurationError(ValueError):
    """MAIL_URL names no transport this service can use."""


class MailDeliveryError(RuntimeError):
    """The SMTP server could not be reached or refused the message (already logged; never shows the password)."""


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


def send_mail(to: str, subject: str, body: str) -> None:
    """Send `body` as a plain-text UTF-8 message from MAIL_FROM to `to`, through MAIL_URL.

    Raises ValueError for a line break in `to` or `subject`, MailConfigurationError for a bad MAIL_URL
    and MailDeliveryError when delivery fails. Needs an app context."""
    for name, value in (("to", to), ("subject", subject)):
        if "\r" in value or "\n" in value:
            raise ValueError(f"mail {name} must not contain a line break")
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


def _deliver(transport: _Transport, message: EmailMessage) -> None:
    # smtplib's own default context does not check certificates; this one does.
    context = ssl.create_default_context()
    try:
        if transport.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(transport.host, transport.port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            smtp = smtplib.SMTP(transport.host, transport.port, timeout=TIMEOUT_SECONDS)
        with smtp:
            if transport.starttls:
                smtp.starttls(context=context)
            if transport.username:
                smtp.login(transport.username, transport.password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        reason = f"could not send mail to {message['To']} via {transport.host}:{transport.port}: {error}"
        if transport.password:  # smtplib never quotes it, but a server's reply might
            reason = reason.replace(transport.password, "***")
        log.error("%s", reason)
        raise MailDeliveryError(reason) from None
