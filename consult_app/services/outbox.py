"""Delivering the outbox: claim the mail that is due, send it, record the result; retry with backoff.

Any number of workers, on any number of machines, may run `deliver_due` at once. A worker claims rows by
setting `claimed_until` in a transaction of its own and commits before it sends, so no other worker can take
them: on PostgreSQL the candidate rows are selected `FOR UPDATE SKIP LOCKED`, so workers pass over each
other's rows instead of waiting; each claim is also a compare-and-set, which is what keeps workers apart on
SQLite (no row locks, but a single writer). A claim runs out after CLAIM_SECONDS, which is how the mail of a worker
that died comes back; a worker does not send a mail whose claim ran out under it. The one case that can
send a mail twice is a worker dying after the SMTP server took a mail and before recording it.

Unlike the rest of services/, these functions commit: each step must be on record before the next one
(the claim before sending, each result as it comes), and they run in the worker, never in a request.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from consult_app.extensions import db
from consult_app.models.mail import ERROR_MAX, MailStatus, OutboxMail
from consult_app.models.types import utcnow
from consult_app.services import mail
from consult_app.signals import mail_delivering

log = logging.getLogger("consult.mail")

BATCH_SIZE = 20
MAX_ATTEMPTS = 8  # 1 + 2 + 4 + ... + 60 minutes: about two hours of trying before a mail is given up
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# Sending one mail takes at most a few SMTP timeouts; a batch's claim outlasts every mail in it many times.
CLAIM_SECONDS = 60 + BATCH_SIZE * mail.TIMEOUT_SECONDS * 3
# Sent mail is kept a week, as a record of what was sent (and the per-recipient limit counts the last hour);
# mail given up on a month, for an operator to look into. Then both go: they hold addresses.
KEEP_SENT = timedelta(days=7)
KEEP_DEAD = timedelta(days=30)
PURGE_EVERY_SECONDS = 3600


@dataclass
class Delivery:
    """What one call of deliver_due did."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0  # claims that ran out before their turn (left for the next claim)

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.dead


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: FIRST_RETRY, doubling, at most LONGEST_RETRY."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


def deliver_due(batch: int = BATCH_SIZE) -> Delivery:
    """Claim up to `batch` due mails, send them and record each result. Needs an app context.

    Raises MailConfigurationError for a bad MAIL_URL before claiming anything, so that a configuration
    mistake costs no mail its attempts."""
    mail.check_mail_url(current_app.config["MAIL_URL"])
    mail_delivering.send(current_app._get_current_object())  # digests built from the database (response_mail.py)
    result = Delivery()
    for mail_id, claimed_until in _claim(batch):
        if utcnow() >= claimed_until:
            result.skipped += 1
            continue
        outcome = _send_one(mail_id)
        setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def deliver_all_due() -> Delivery:
    """deliver_due, batch after batch, until no mail is due (what `flask mail deliver` does once)."""
    total = Delivery()
    while True:
        result = deliver_due()
        for outcome in ("sent", "retried", "dead", "skipped"):
            setattr(total, outcome, getattr(total, outcome) + getattr(result, outcome))
        if result.attempted + result.skipped < BATCH_SIZE:
            return total


def _claim(batch: int) -> list[tuple[int, datetime]]:
    """Claim up to `batch` due mails until now + CLAIM_SECONDS, and commit; returns (id, claimed until)."""
    now = utcnow()
    until = now + timedelta(seconds=CLAIM_SECONDS)
    claimable = (
        OutboxMail.status == MailStatus.PENDING.value,
        OutboxMail.next_attempt_at <= now,
        or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until <= now),
    )
    # PostgreSQL: the rows stay locked until the commit, and other workers skip them rather than wait.
    candidates = (
        select(OutboxMail.id)
        .where(*claimable)
        .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    claimed = []
    try:
        for mail_id in db.session.scalars(candidates).all():
            # Compare-and-set: on SQLite, which has no row locks, another worker may have claimed it since the
            # select; the update re-checks under the database's write lock and changes nothing if so.
            taken = db.session.execute(
                update(OutboxMail).where(OutboxMail.id == mail_id, *claimable).values(claimed_until=until)
            )
            if taken.rowcount == 1:
                claimed.append(mail_id)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        raise
    return [(mail_id, until) for mail_id in claimed]


def _send_one(mail_id: int) -> str:
    """Send one claimed mail and record the result; returns "sent", "retried" or "dead"."""
    row = db.session.get(OutboxMail, mail_id)
    row.attempts += 1
    try:
        mail.transmit(row.recipient, row.subject, row.body)
    except mail.MailDeliveryError as error:
        outcome = _failed(row, str(error))
    except Exception as error:  # one mail that cannot be sent (a bug, an odd address) must not stop the worker
        outcome = _failed(row, f"{type(error).__name__}: {error}")
    else:
        # The body may hold a sign-in link (reset, confirmation): once sent, the record keeps only who, what, when.
        row.status, row.sent_at, row.last_error, row.body = MailStatus.SENT.value, utcnow(), "", ""
        outcome = "sent"
        log.info("mail %d: sent (attempt %d)", row.id, row.attempts)
    row.claimed_until = None
    db.session.commit()
    return outcome


def _failed(row: OutboxMail, reason: str) -> str:
    reason = reason.replace(row.recipient, "<recipient>")  # the log is no place for addresses
    row.last_error = reason[:ERROR_MAX]
    if row.attempts >= MAX_ATTEMPTS:
        row.status = MailStatus.DEAD.value
        log.error("mail %d: failed attempt %d, giving up: %s", row.id, row.attempts, reason)
        return "dead"
    delay = retry_delay(row.attempts)
    row.next_attempt_at = utcnow() + delay
    log.warning("mail %d: failed attempt %d, next in %d s: %s", row.id, row.attempts, delay.total_seconds(), reason)
    return "retried"


def status_counts() -> dict[str, int]:
    """How many mails are in each state (every state, zero included), and how many pending ones are due."""
    counts = {status.value: 0 for status in MailStatus}
    counts.update(db.session.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all())
    due = select(func.count()).where(
        OutboxMail.status == MailStatus.PENDING.value, OutboxMail.next_attempt_at <= utcnow()
    )
    return {**counts, "due": db.session.scalar(due) or 0}


def purge_old() -> int:
    """Delete sent mail older than KEEP_SENT and dead mail older than KEEP_DEAD; the caller commits."""
    now = utcnow()
    statement = delete(OutboxMail).where(
        or_(
            (OutboxMail.status == MailStatus.SENT.value) & (OutboxMail.created_at < now - KEEP_SENT),
            (OutboxMail.status == MailStatus.DEAD.value) & (OutboxMail.created_at < now - KEEP_DEAD),
        )
    )
    return db.session.execute(statement).rowcount


# --- running continuously -----------------------------------------------------------------------------------


def watch(interval: float, stop: threading.Event) -> None:
    """Deliver until `stop` is set: at once again after a full batch, otherwise every `interval` seconds;
    purge old mail every hour. A database failure is logged and waited out, so the worker outlives a
    database restart."""
    purged_at = float("-inf")
    while not stop.is_set():
        result = Delivery()
        try:
            result = deliver_due()
            if time.monotonic() - purged_at > PURGE_EVERY_SECONDS:
                purge_old()
                db.session.commit()
                purged_at = time.monotonic()
        except SQLAlchemyError as error:
            db.session.rollback()
            log.error("mail delivery: the database failed: %s", str(error).splitlines()[0])
        finally:
            db.session.remove()
        if result.attempted + result.skipped < BATCH_SIZE:
            stop.wait(interval)


class DeliveryThread(threading.Thread):
    """A daemon thread delivering one app's outbox every MAIL_DELIVERY_INTERVAL seconds: development and the
    browser tests' servers, where mail should arrive without a second process."""

    def __init__(self, app: Flask) -> None:
        super().__init__(name="mail-delivery", daemon=True)
        self.app = app
        self.stopping = threading.Event()

    def run(self) -> None:
        with self.app.app_context():
            watch(self.app.config["MAIL_DELIVERY_INTERVAL"], self.stopping)

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        self.join(timeout)
