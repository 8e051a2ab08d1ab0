"""The mail outbox: messages written in the transaction that caused them and delivered later by a worker."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consult_app.extensions import db
from consult_app.models.types import UTCDateTime, sql_values, utcnow

RECIPIENT_MAX = 254
SUBJECT_MAX = 300
ERROR_MAX = 500


class MailStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its first attempt or for a retry
    SENT = "sent"
    DEAD = "dead"  # gave up after too many failed attempts; kept for an operator to look at


class OutboxMail(db.Model):
    """One plain-text message. A row is written by `services.mail.send_mail` and only ever changed by the
    delivery worker (`services.outbox`), which claims it for a while (`claimed_until`) before sending so
    that two workers never send it twice."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(MailStatus)})", name="status"),
        # The worker's question: pending rows whose time has come.
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
        # The per-recipient limit: mails to one address in the last hour.
        Index("ix_mail_outbox_recipient", "recipient", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(RECIPIENT_MAX))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=MailStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(ERROR_MAX), default="")

    def __repr__(self) -> str:
        return f"<OutboxMail {self.id} {self.status}>"
