"""The outbox worker: delivery, retries with backoff, giving up, claims, concurrent workers, the CLI, and the
delivery thread of development servers. Mail goes to a real SMTP server on loopback (tests/smtp.py)."""

import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, update

from consult_app.extensions import db
from consult_app.models import MailStatus, OutboxMail
from consult_app.models.types import utcnow
from consult_app.services import outbox
from consult_app.services.mail import MailConfigurationError, send_mail
from tests.conftest import PROJECT_ROOT, make_app
from tests.smtp import free_port, running_server
from tests.support.databases import is_postgres


def queue(count: int = 1, to: str = "ada@example.org") -> list[int]:
    """Queue `count` mails (subjects "mail 0", "mail 1", ...) to `to` and commit; returns their ids."""
    for number in range(count):
        send_mail(to, f"mail {number}", f"Body {number}\n")
    db.session.commit()
    return list(db.session.scalars(db.select(OutboxMail.id).order_by(OutboxMail.id)))


def let_time_pass() -> None:
    """Make every pending mail due now, as if its retry time had come."""
    db.session.execute(update(OutboxMail).values(next_attempt_at=utcnow()))
    db.session.commit()


def row(mail_id: int) -> OutboxMail:
    db.session.expire_all()
    return db.session.get(OutboxMail, mail_id)


@pytest.fixture
def many_per_hour(app):
    """These tests send many mails to one address: the per-recipient limit is tested in test_auth.py."""
    app.config["MAIL_PER_RECIPIENT_PER_HOUR"] = 1000
    return app


# --- delivery and failures ----------------------------------------------------------------------------------


def test_delivery_sends_each_due_mail_once_and_records_it(app, mailbox, caplog):
    caplog.set_level(logging.INFO, logger="consult.mail")
    with app.app_context():
        [mail_id] = queue()
        result = outbox.deliver_due()
        assert (result.sent, result.retried, result.dead) == (1, 0, 0)
        sent = row(mail_id)
        assert (sent.status, sent.attempts, sent.claimed_until, sent.last_error) == ("sent", 1, None, "")
        assert sent.sent_at is not None
        assert (sent.recipient, sent.subject, sent.body) == ("ada@example.org", "mail 0", "")  # links not kept
        assert outbox.deliver_due().attempted == 0  # a sent mail is never sent again
    assert [message["Subject"] for message in mailbox.deliver(1)] == ["mail 0"]
    logged = [record.getMessage() for record in caplog.records if record.name == "consult.mail"]
    assert logged == [f"mail {mail_id}: sent (attempt 1)"]


def test_mail_waits_in_the_outbox_while_the_smtp_server_is_down_and_goes_when_it_is_back(app, caplog):
    port = free_port()
    with running_server(port=port) as before:  # a real server, then stopped: nothing listens on its port
        app.config["MAIL_URL"] = before.url
    with app.app_context():
        [mail_id] = queue()
        result = outbox.deliver_due()
        assert (result.sent, result.retried) == (0, 1)
        waiting = row(mail_id)
        assert (waiting.status, waiting.attempts, waiting.claimed_until) == ("pending", 1, None)
        assert f"127.0.0.1:{port}" in waiting.last_error
        assert timedelta(seconds=55) < waiting.next_attempt_at - utcnow() <= timedelta(minutes=1)
        assert outbox.deliver_due().attempted == 0  # not due again before its retry time
        with running_server(port=port) as after:
            let_time_pass()
            assert outbox.deliver_due().sent == 1
            [message] = after.wait_for(1)
        assert message["Subject"] == "mail 0" and row(mail_id).status == "sent"


def test_retries_back_off_then_the_mail_is_given_up(app, caplog):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"
    caplog.set_level(logging.INFO, logger="consult.mail")
    delays = []
    with app.app_context():
        [mail_id] = queue()
        for _ in range(outbox.MAX_ATTEMPTS):
            before = utcnow()
            outbox.deliver_due()
            delays.append(round((row(mail_id).next_attempt_at - before).total_seconds() / 60))
            let_time_pass()
        dead = row(mail_id)
        assert (dead.status, dead.attempts, dead.sent_at) == ("dead", outbox.MAX_ATTEMPTS, None)
        assert outbox.deliver_due().attempted == 0  # given up: never tried again
    # Minutes: doubling from one, at most sixty; the last attempt schedules nothing.
    assert delays[:-1] == [1, 2, 4, 8, 16, 32, 60]
    logged = [record for record in caplog.records if record.name == "consult.mail"]
    assert len(logged) == outbox.MAX_ATTEMPTS  # one line per attempt
    assert all(record.getMessage().startswith(f"mail {mail_id}: failed attempt ") for record in logged)
    assert logged[-1].levelno == logging.ERROR and "giving up" in logged[-1].getMessage()
    assert not any("ada@example.org" in record.getMessage() for record in logged)


def test_a_mail_that_cannot_even_be_built_fails_alone_and_the_rest_goes(app, mailbox):
    """An address that no mail header can hold (a bug upstream, or old data): that mail fails and is retried,
    the worker carries on with the next, and the address stays out of the recorded error."""
    with app.app_context():
        send_mail("odd@example.org", "broken", "Body\n")
        db.session.commit()
        db.session.execute(update(OutboxMail).values(recipient="odd@example.org\nBcc: eve@example.org"))
        queue(1)
        result = outbox.deliver_due()
        assert (result.sent, result.retried) == (1, 1)
        [broken] = db.session.scalars(db.select(OutboxMail).where(OutboxMail.status == "pending")).all()
        assert broken.last_error.startswith("ValueError") and "example.org" not in broken.last_error
    assert [message["Subject"] for message in mailbox.deliver(1)] == ["mail 0"]


def test_retry_delays_double_up_to_an_hour():
    assert [outbox.retry_delay(n) for n in (1, 2, 3, 7, 8, 30)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(hours=1),
        timedelta(hours=1),
        timedelta(hours=1),
    ]


def test_a_bad_mail_url_costs_no_mail_an_attempt(app):
    with app.app_context():
        [mail_id] = queue()
        app.config["MAIL_URL"] = "smtp://host:notaport"
        with pytest.raises(MailConfigurationError):
            outbox.deliver_due()
        untouched = row(mail_id)
        assert (untouched.status, untouched.attempts, untouched.claimed_until) == ("pending", 0, None)


def test_a_claim_keeps_other_workers_off_until_it_runs_out(app, mailbox):
    """A worker that claimed a mail and died: the mail waits for the claim to run out, then goes once."""
    with app.app_context():
        queue()
        claimed_by_a_dead_worker = utcnow() + timedelta(minutes=5)
        db.session.execute(update(OutboxMail).values(claimed_until=claimed_by_a_dead_worker))
        db.session.commit()
        assert outbox.deliver_due().attempted == 0
        db.session.execute(update(OutboxMail).values(claimed_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert outbox.deliver_due().sent == 1
    assert len(mailbox.deliver(1)) == 1


def test_a_claim_that_ran_out_before_its_turn_is_not_sent(app, mailbox, monkeypatch):
    """A batch so slow that a claim ran out: another worker may have that mail now, so this one leaves it."""
    monkeypatch.setattr(outbox, "CLAIM_SECONDS", 0)
    with app.app_context():
        [mail_id] = queue()
        result = outbox.deliver_due()
        assert (result.skipped, result.attempted) == (1, 0)
        assert row(mail_id).attempts == 0
    assert mailbox.messages == []


def test_full_batches_are_followed_at_once_by_the_next(many_per_hour, mailbox):
    with many_per_hour.app_context():
        queue(outbox.BATCH_SIZE * 2 + 3)
        result = outbox.deliver_all_due()
        assert result.sent == outbox.BATCH_SIZE * 2 + 3
    assert len(mailbox.deliver(outbox.BATCH_SIZE * 2 + 3)) == outbox.BATCH_SIZE * 2 + 3


# --- several workers at once --------------------------------------------------------------------------------


def test_concurrent_workers_send_every_mail_exactly_once(many_per_hour, mailbox):
    """Four workers race over 50 mails in batches of 3 (on PostgreSQL with FOR UPDATE SKIP LOCKED, on SQLite by
    compare-and-set under its single writer): every mail arrives exactly once."""
    app, total, workers = many_per_hour, 50, 4
    statements: list[str] = []

    def record(connection, cursor, statement, *args) -> None:
        statements.append(statement)

    with app.app_context():
        queue(total)
        event.listen(db.engine, "before_cursor_execute", record)
    start = threading.Barrier(workers)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                start.wait()
                while outbox.deliver_due(batch=3).attempted:
                    pass
        except BaseException as error:  # reported by the test below
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    subjects = sorted(str(message["Subject"]) for message in mailbox.server.wait_for(total))
    assert subjects == sorted(f"mail {number}" for number in range(total))
    with app.app_context():
        assert outbox.status_counts() == {"pending": 0, "sent": total, "dead": 0, "due": 0}
        event.remove(db.engine, "before_cursor_execute", record)
    if is_postgres(str(app.config["SQLALCHEMY_DATABASE_URI"])):
        assert any("FOR UPDATE SKIP LOCKED" in statement for statement in statements)


# --- the command line ---------------------------------------------------------------------------------------


def test_mail_deliver_and_status_commands(app, runner, mailbox):
    with app.app_context():
        queue(2)
    status = runner.invoke(args=["mail", "status"])
    assert status.exit_code == 0 and status.output.split() == ["pending", "2", "sent", "0", "dead", "0", "due", "2"]
    delivered = runner.invoke(args=["mail", "deliver"])
    assert delivered.exit_code == 0, delivered.output
    assert delivered.output == "Sent 2, to retry later 0, given up 0; removed 0 old.\n"
    assert len(mailbox.deliver(2)) == 2
    assert runner.invoke(args=["mail", "status"]).output.split()[:4] == ["pending", "0", "sent", "2"]


def test_the_watching_worker_delivers_and_stops_cleanly_on_sigterm(app, smtp_server, database_url):
    """`flask mail deliver --watch` as a service runs it: its own process, mail delivered as it comes, and a
    clean exit when systemd stops it."""
    environment = {**os.environ, "CONSULT_ENV": "testing", "DATABASE_URL": database_url, "MAIL_URL": smtp_server.url}
    environment.pop("TEST_DATABASE_URL", None)
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "mail", "deliver", "--watch", "--interval", "0.2"]
    worker = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stderr=subprocess.PIPE, text=True)
    try:
        with app.app_context():
            queue()
        [message] = smtp_server.wait_for(1, timeout=20)
        assert message["Subject"] == "mail 0"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert "Traceback" not in worker.stderr.read()
    worker.stderr.close()


@pytest.mark.parametrize(
    "arguments, complaint",
    [
        (["--interval", "soon"], "'soon' is not a valid float"),
        (["--interval", "0"], "--interval"),
        (["--interval", "-5"], "--interval"),
        (["--everything"], "No such option"),
    ],
)
def test_bad_deliver_arguments_are_usage_errors(runner, arguments, complaint):
    result = runner.invoke(args=["mail", "deliver", "--watch", *arguments])
    assert result.exit_code == 2 and complaint in result.output
    assert "Traceback" not in result.output


def test_old_sent_and_dead_mail_is_purged(app):
    with app.app_context():
        ids = queue(4)
        long_ago = utcnow() - timedelta(days=31)
        states = [(MailStatus.SENT, long_ago), (MailStatus.DEAD, long_ago), (MailStatus.SENT, utcnow()),
                  (MailStatus.PENDING, long_ago)]  # fmt: skip
        for mail_id, (state, created) in zip(ids, states, strict=True):
            db.session.execute(
                update(OutboxMail).where(OutboxMail.id == mail_id).values(status=state.value, created_at=created)
            )
        assert outbox.purge_old() == 2
        db.session.commit()
        left = db.session.scalars(db.select(OutboxMail.id).order_by(OutboxMail.id)).all()
        assert left == ids[2:]  # recent sent mail stays a week; pending mail is never purged


# --- the delivery thread ------------------------------------------------------------------------------------


def test_the_delivery_thread_starts_with_the_first_request_only_once(database_url, smtp_server):
    app = make_app(database_url, MAIL_DELIVERY_THREAD=True, MAIL_DELIVERY_INTERVAL=0.05, MAIL_URL=smtp_server.url)
    started = app.extensions["consult_mail_delivery"]
    # Commands (db upgrade, demo, ...) create the app without serving: no thread until a request comes. (Other
    # apps of this test run, such as the browser tests' live sites, may have delivery threads of their own.)
    assert started == [] and not any(getattr(thread, "app", None) is app for thread in threading.enumerate())
    try:
        clients = [threading.Thread(target=app.test_client().get, args=("/healthz",)) for _ in range(4)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        assert len(started) == 1 and started[0].is_alive()
        with app.app_context():
            queue()
        [message] = smtp_server.wait_for(1)  # delivered by the thread, nobody else
        assert message["Subject"] == "mail 0"
    finally:
        for thread in started:
            thread.stop()
        with app.app_context():
            db.session.execute(db.delete(OutboxMail))
            db.session.commit()
    assert not started[0].is_alive()
