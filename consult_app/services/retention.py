"""How long an idle account's personal data is kept (CONSULT_RETENTION), and the purge that applies it.

The period is written as a number and a unit: "24 months", "2 years", "18 months", "52 weeks", "400 days".
An account is idle when nobody has logged in to it (`User.last_login_at`, or `created_at` if never) for longer
than that. `flask --app wsgi accounts purge` deletes idle reviewers' accounts exactly as a person deleting their
own account would (`signals.account_deleting`: published comments keep their text under "Deleted account",
pending ones are withdrawn), so both paths remove the same data. Moderator and admin accounts are never deleted
by the purge (`permissions.may_expire_when_idle`); it lists the idle ones for a person to decide.
"""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from consult_app.extensions import db
from consult_app.models import User
from consult_app.models.types import utcnow
from consult_app.permissions import may_expire_when_idle
from consult_app.signals import account_deleting

log = logging.getLogger("consult.security")

PERIOD = re.compile(r"^(\d{1,6}) ?(day|week|month|year)s?$", re.ASCII | re.IGNORECASE)
# The fewest days each unit can be, for the bounds below.
SHORTEST_DAYS = {"day": 1, "week": 7, "month": 28, "year": 365}
LONGEST = timedelta(days=100 * 366)
EXAMPLE = "such as '24 months', '2 years' or '400 days'"


class RetentionError(ValueError):
    """CONSULT_RETENTION is not a period this service can apply."""


@dataclass(frozen=True)
class Retention:
    count: int
    unit: str  # day | week | month | year

    def __str__(self) -> str:
        return f"{self.count} {self.unit}{'' if self.count == 1 else 's'}"

    @property
    def shortest(self) -> timedelta:
        return timedelta(days=self.count * SHORTEST_DAYS[self.unit])

    def cutoff(self, now: datetime) -> datetime:
        """The moment `now` minus the period: months and years in calendar months (31 March minus one month is
        28 or 29 February), so that "24 months" means what a reader of the privacy notice expects."""
        if self.unit in ("day", "week"):
            return now - timedelta(days=self.count * SHORTEST_DAYS[self.unit])
        months = self.count * (12 if self.unit == "year" else 1)
        year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
        day = min(now.day, calendar.monthrange(year, month + 1)[1])
        return now.replace(year=year, month=month + 1, day=day)


def parse_retention(text: str, at_least: timedelta = timedelta(0)) -> Retention:
    """The period `text` names; RetentionError with a sentence naming CONSULT_RETENTION otherwise, also when the
    period could be shorter than `at_least` or is longer than 100 years."""
    match = PERIOD.match(" ".join(str(text).split()))
    if match is None:
        raise RetentionError(f"CONSULT_RETENTION={text!r} is not a period {EXAMPLE}")
    retention = Retention(int(match.group(1)), match.group(2).lower())
    if retention.count < 1 or retention.shortest > LONGEST:
        raise RetentionError(f"CONSULT_RETENTION={text!r} must be at least one day and at most 100 years")
    if retention.shortest <= at_least:
        raise RetentionError(
            f"CONSULT_RETENTION={text!r} must be longer than {at_least.days} days, how long one log-in can last: "
            "someone who stays logged in would otherwise look idle"
        )
    return retention


@dataclass(frozen=True)
class IdleAccount:
    id: int
    email: str
    role: str
    last_active: datetime


@dataclass
class PurgeReport:
    cutoff: datetime
    deleted: list[IdleAccount] = field(default_factory=list)  # or, in a dry run, to be deleted
    kept: list[IdleAccount] = field(default_factory=list)  # idle staff accounts, left for a person to decide


def last_active(user: User) -> datetime:
    return user.last_login_at or user.created_at


def idle_accounts(cutoff: datetime) -> list[User]:
    """Accounts nobody has logged in to since before `cutoff` (or, never logged in, made before it), oldest id first."""
    never_logged_in = and_(User.last_login_at.is_(None), User.created_at < cutoff)
    return list(
        db.session.scalars(select(User).where(or_(User.last_login_at < cutoff, never_logged_in)).order_by(User.id))
    )


def purge_idle_accounts(retention: Retention, now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Delete the reviewers' accounts idle for longer than `retention` (none with `dry_run`); the caller commits.

    Each goes as in `accounts.delete_account`: the receivers of `signals.account_deleting` first, in this
    transaction, then the account row."""
    report = PurgeReport(retention.cutoff(now or utcnow()))
    for user in idle_accounts(report.cutoff):
        idle = IdleAccount(user.id, user.email, user.role, last_active(user))
        if not may_expire_when_idle(user):
            report.kept.append(idle)
            continue
        report.deleted.append(idle)
        if not dry_run:
            account_deleting.send(user)
            log.info("account deleted after %s idle: id=%r", retention, user.id)
            db.session.delete(user)
    db.session.flush()
    return report
