"""The `smtp_server` fixture: a real SMTP server on loopback (aiosmtpd) that keeps every message it receives.

Registered for the whole suite through `pytest_plugins` in tests/conftest.py. The app only queues mail in
its outbox; the `mailbox` fixture points the test's app at a fresh server, and `mailbox.deliver(n)` runs the
outbox worker once (what `flask mail deliver` does) and returns the messages once `n` have arrived.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from consult_app.services import outbox

HOST = "127.0.0.1"


def free_port() -> int:
    """A loopback TCP port that nothing listens on at this moment."""
    # aiosmtpd 1.4.6 cannot take port 0: Controller.start() probes the port it was given, so it would
    # probe port 0 and fail. Asking the OS for a port first leaves a tiny race, which in practice never loses.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that parses and keeps each message; `url` is the MAIL_URL that reaches it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"smtp://{HOST}:{port}"
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        # SMTP carries CRLF line ends; back to "\n" so a body reads as the text that was passed to send_mail.
        raw = envelope.original_content.replace(b"\r\n", b"\n")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[EmailMessage]:
        """All messages so far, once at least `count` have arrived; AssertionError after `timeout` seconds."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(f"expected {count} message(s) within {timeout} s, got {len(self.messages)}")
            return list(self.messages)


@contextmanager
def running_server(port: int | None = None, **smtp_options: Any) -> Iterator[Mailbox]:
    """Serve a new Mailbox on `port` (default: a free loopback port); `smtp_options` go to aiosmtpd's SMTP class."""
    mailbox = Mailbox(port or free_port())
    controller = Controller(mailbox, hostname=HOST, port=mailbox.port, **smtp_options)
    try:
        controller.start()
    except BaseException:
        # stop() ends the thread and, if it ran, its loop; close() covers a failed bind, where the loop never ran
        # (left open, it would raise ResourceWarning when collected).
        controller.stop(no_assert=True)
        controller.loop.close()
        raise
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    """A fresh loopback SMTP server for one test (plain SMTP, no AUTH offered)."""
    with running_server() as mailbox:
        yield mailbox


class AppMailbox:
    """An SMTP server that one app's mail goes to, with the outbox worker run on demand."""

    def __init__(self, app: Flask, server: Mailbox) -> None:
        self.app, self.server = app, server
        app.config["MAIL_URL"] = server.url

    @property
    def messages(self) -> list[EmailMessage]:
        return self.server.messages

    def deliver(self, count: int = 1, timeout: float = 5.0) -> list[EmailMessage]:
        """Deliver the app's due mail now, then return every message received, once `count` have arrived."""
        with self.app.app_context():
            outbox.deliver_all_due()
        return self.server.wait_for(count, timeout)


@pytest.fixture
def mailbox(app, smtp_server) -> AppMailbox:
    """The test app's mail, read from a real SMTP server: `mailbox.deliver(n)`."""
    return AppMailbox(app, smtp_server)
