"""The mail service: queueing in the outbox, mail templates, and the transport (console, a real SMTP server on
loopback, bad configuration). The worker that empties the outbox is tested in test_outbox.py."""

import logging
import smtplib
import ssl
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from jinja2 import DictLoader

from consult_app.extensions import db
from consult_app.models import OutboxMail
from consult_app.services import accounts, outbox
from consult_app.services.mail import (
    MailConfigurationError,
    MailDeliveryError,
    check_mail_url,
    render_mail,
    send_mail,
    send_template,
    transmit,
)
from tests.factories import make_user
from tests.smtp import free_port, running_server

PASSWORD = "p@ss:w/rd %zz"  # every character that needs URL-encoding in the user-info part
SUBJECT = "Café \N{EN DASH} données"
BODY = f"Bonjour Ada,\n\n{SUBJECT} ✓\n"
MAIL_TEMPLATES = Path(__file__).resolve().parents[2] / "consult_app" / "templates" / "mail"


def mail_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "consult.mail"]


def queued() -> list[tuple[str, str, str]]:
    rows = db.session.scalars(db.select(OutboxMail).order_by(OutboxMail.id))
    return [(row.recipient, row.subject, row.status) for row in rows]


@pytest.fixture
def no_smtp(monkeypatch):
    """Fail the test if anything opens an SMTP connection."""

    def refuse(*args, **kwargs):
        raise AssertionError("an SMTP connection was opened")

    monkeypatch.setattr(smtplib, "SMTP", refuse)
    monkeypatch.setattr(smtplib, "SMTP_SSL", refuse)


# --- queueing -----------------------------------------------------------------------------------------------


def test_send_mail_only_queues_in_the_callers_transaction(app, smtp_server):
    app.config["MAIL_URL"] = smtp_server.url
    with app.app_context():
        assert send_mail("ada@example.org", SUBJECT, BODY) is True
        db.session.commit()
        assert queued() == [("ada@example.org", SUBJECT, "pending")]
    assert smtp_server.messages == []  # nothing is sent before the worker runs


def test_a_rolled_back_change_queues_nothing(app_context):
    user = make_user(email="rev@example.org")
    accounts.request_password_reset(user.email)
    send_mail("ada@example.org", "Hello", "Hi")
    assert len(queued()) == 2  # in the transaction...
    db.session.rollback()
    assert queued() == []  # ...and gone with it
    assert outbox.deliver_all_due().attempted == 0


def test_mail_templates_give_subject_and_body(app_context):
    user = make_user(email="rev@example.org", name="Ada <Lovelace> & Co")
    subject, body = render_mail("mail/reset_password.txt", user=user, link="http://localhost/x?a=1&b=2")
    assert subject == "Reset your password"
    # Plain text: nothing is HTML-escaped, and the body ends with one line break.
    assert body.startswith("Hello Ada <Lovelace> & Co,\n\n") and "\nhttp://localhost/x?a=1&b=2\n" in body
    assert body.endswith("has not changed.\n") and not body.endswith("\n\n")
    assert send_template(user.email, "mail/reset_password.txt", user=user, link="http://localhost/x") is True
    assert queued() == [("rev@example.org", "Reset your password", "pending")]


def test_every_mail_template_starts_with_its_subject():
    names = sorted(path.name for path in MAIL_TEMPLATES.glob("*.txt"))
    assert names, f"no mail templates in {MAIL_TEMPLATES}"
    for name in names:
        first, blank = (MAIL_TEMPLATES / name).read_text(encoding="utf-8").splitlines()[:2]
        assert first.startswith("Subject: ") and blank == "", name


def test_a_template_without_a_subject_line_is_refused(app_context, monkeypatch):
    monkeypatch.setattr(app_context.jinja_env, "loader", DictLoader({"mail/x.txt": "Hello"}))
    with pytest.raises(ValueError, match="must start with a 'Subject: ' line"):
        render_mail("mail/x.txt")


# --- console:// ---------------------------------------------------------------------------------------------


def test_console_logs_the_whole_message_and_sends_nothing(app, caplog, no_smtp):
    app.config["MAIL_URL"] = "console://"
    app.config.pop("MAIL_FROM", None)
    caplog.set_level(logging.INFO, logger="consult.mail")
    with app.app_context():
        transmit("ada@example.org", SUBJECT, BODY)
    [record] = mail_records(caplog)
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        f"From: Consult <no-reply@localhost>\nTo: ada@example.org\nSubject: {SUBJECT}\n\n{BODY}"
    )


# --- smtp:// on loopback ------------------------------------------------------------------------------------


def test_smtp_delivers_a_plain_text_utf8_message(app, mailbox):
    app.config["MAIL_FROM"] = "Consult team <consult@example.org>"
    with app.app_context():
        send_mail("ada@example.org", SUBJECT, BODY)
        db.session.commit()
    [message] = mailbox.deliver(1)
    assert message["To"] == "ada@example.org"
    assert message["From"] == "Consult team <consult@example.org>"
    assert message["Subject"] == SUBJECT
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    assert message.get_content() == BODY
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@example.org>")
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None


def test_credentials_are_url_decoded_and_sent(app):
    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=True)

    # AUTH over plain text is fine on loopback; aiosmtpd only offers it when told TLS is not required.
    with running_server(authenticator=authenticator, auth_require_tls=False) as server:
        app.config["MAIL_URL"] = (
            f"smtp://{quote('ada@example.org', safe='')}:{quote(PASSWORD, safe='')}@127.0.0.1:{server.port}"
        )
        with app.app_context():
            transmit("bob@example.org", "Hello", "Hi")
        [message] = server.wait_for(1)
    assert seen == [(b"ada@example.org", PASSWORD.encode())]
    assert message["To"] == "bob@example.org"


def refusing(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=False, handled=False)


@pytest.mark.parametrize(
    "server_options",
    [{}, {"authenticator": refusing, "auth_require_tls": False}],
    ids=["server-without-auth", "server-refusing-the-password"],
)
def test_failed_log_in_is_a_delivery_error_that_never_shows_the_password_or_address(app, caplog, server_options):
    caplog.set_level(logging.DEBUG, logger="consult.mail")
    with running_server(**server_options) as server:
        app.config["MAIL_URL"] = f"smtp://ada:{quote(PASSWORD, safe='')}@127.0.0.1:{server.port}"
        with app.app_context():
            with pytest.raises(MailDeliveryError) as caught:
                transmit("bob@example.org", "Hello", "Hi")
            # Through the worker: one log line, naming the mail's id but neither the address nor the password.
            send_mail("bob@example.org", "Hello", "Hi")
            db.session.commit()
            assert outbox.deliver_all_due().retried == 1
        assert server.messages == []
    assert f"127.0.0.1:{server.port}" in str(caught.value)
    [record] = mail_records(caplog)
    assert record.levelno == logging.WARNING and record.getMessage().startswith("mail ")
    for secret in (PASSWORD, quote(PASSWORD, safe=""), "bob@example.org"):
        assert secret not in str(caught.value) and secret not in repr(caught.value)
        assert secret not in record.getMessage()


def test_nothing_listening_is_a_delivery_error(app):
    port = free_port()
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
    with app.app_context(), pytest.raises(MailDeliveryError, match=f"127.0.0.1:{port}"):
        transmit("ada@example.org", "Hello", "Hi")


@pytest.mark.parametrize("scheme, query", [("smtps", ""), ("smtp", "?starttls=true")])
def test_tls_asked_of_a_server_without_tls_is_a_delivery_error(app, smtp_server, scheme, query):
    app.config["MAIL_URL"] = f"{scheme}://127.0.0.1:{smtp_server.port}{query}"
    with app.app_context(), pytest.raises(MailDeliveryError):
        transmit("ada@example.org", "Hello", "Hi")
    assert smtp_server.messages == []


# --- how the address is read ---------------------------------------------------------------------------------


class RecordingSMTP:
    """Stands in for smtplib.SMTP and SMTP_SSL to show how the service connects."""

    calls: list[tuple] = []

    def __init__(self, host, port, timeout, context=None):
        self.calls.append((type(self).__name__, host, port, timeout, context))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return None

    def starttls(self, context):
        self.calls.append(("starttls", context))

    def login(self, user, password):
        self.calls.append(("login", user, password))

    def send_message(self, message):
        self.calls.append(("send", message["To"]))


class SMTP(RecordingSMTP):
    pass


class SMTP_SSL(RecordingSMTP):  # noqa: N801 - named as the class it stands in for
    pass


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://mail.example.org", [("SMTP", "mail.example.org", 25, 10, None)]),
        ("smtps://mail.example.org", [("SMTP_SSL", "mail.example.org", 465, 10, "verifying")]),
        (
            "SMTP://u%40x:p%25w@MAIL.example.org:587/?starttls=TRUE",
            [("SMTP", "mail.example.org", 587, 10, None), ("starttls", "verifying"), ("login", "u@x", "p%w")],
        ),
    ],
)
def test_ports_tls_and_credentials_come_from_the_address(app, monkeypatch, url, expected):
    monkeypatch.setattr(RecordingSMTP, "calls", [])
    monkeypatch.setattr(smtplib, "SMTP", SMTP)
    monkeypatch.setattr(smtplib, "SMTP_SSL", SMTP_SSL)
    app.config["MAIL_URL"] = url
    with app.app_context():
        transmit("ada@example.org", "Hello", "Hi")
    calls = [tuple(verifying(part) for part in call) for call in RecordingSMTP.calls]
    assert calls == [*expected, ("send", "ada@example.org")]


def verifying(part):
    """A TLS context that checks certificates and host names reads as "verifying"; others stay as they are."""
    if isinstance(part, ssl.SSLContext):
        return "verifying" if part.verify_mode == ssl.CERT_REQUIRED and part.check_hostname else part
    return part


@pytest.mark.parametrize(
    "url",
    ["console://", "smtp://mail.example.org", "smtps://u:p@mail.example.org:2465", "smtp://h:587?starttls=false"],
)
def test_good_addresses_pass_the_check(url):
    assert check_mail_url(url) is None


@pytest.mark.parametrize(
    "url, reason",
    [
        ("ftp://x", "'ftp' is not one of"),
        ("smtp://", "needs a host"),
        ("smtp://host:notaport", "malformed"),
        ("smtp://user:hunter2@host:notaport", "malformed"),
        ("smtp://host:0", "port from 1 to 65535"),
        ("smtp://host:70000", "malformed"),
        ("smtp://host/inbox", "no path"),
        ("", "'' is not one of"),
        ("console://somewhere", "nothing after the scheme"),
        ("smtp://host?starttsl=true", "one option only"),
        ("smtp://host?starttls=yes", "true or false"),
        ("smtps://host?starttls=true", "already TLS"),
        ("smtp://ad%C3%A4:pw@host", "must be ASCII"),
    ],
)
def test_bad_addresses_are_configuration_errors(app, no_smtp, url, reason):
    with pytest.raises(MailConfigurationError, match=reason) as caught:
        check_mail_url(url)
    assert "hunter2" not in str(caught.value)
    app.config["MAIL_URL"] = url
    with app.app_context(), pytest.raises(MailConfigurationError, match=reason):
        transmit("ada@example.org", "Hello", "Hi")


# --- header injection ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "to, subject",
    [
        ("ada@example.org", "Hello\r\nBcc: eve@example.org"),
        ("ada@example.org", "Hello\nthere"),
        ("ada@example.org\r\nBcc: eve@example.org", "Hello"),
        ("ada@example.org\r", "Hello"),
    ],
)
def test_line_breaks_in_headers_are_refused_and_nothing_is_queued(app, mailbox, to, subject):
    with app.app_context():
        with pytest.raises(ValueError, match="must not contain a line break") as caught:
            send_mail(to, subject, "Hi")
        assert type(caught.value) is ValueError
        send_mail("ada@example.org", "After", "Hi")  # the next message arrives alone: nothing was queued before it
        db.session.commit()
    assert [message["Subject"] for message in mailbox.deliver(1)] == ["After"]


def test_a_subject_or_address_too_long_to_store_is_refused(app_context):
    with pytest.raises(ValueError, match="too long"):
        send_mail("ada@example.org", "s" * 301, "Hi")
    with pytest.raises(ValueError, match="too long"):
        send_mail("a" * 250 + "@example.org", "Hello", "Hi")
    assert queued() == []
