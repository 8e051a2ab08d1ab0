"""Where a consultation stands for someone reading about it: its state, the days left, its timeline's next step.

Days are counted in calendar days of CONSULT_TIMEZONE, the zone every date on the site is shown in, so that
"closes in 3 days" agrees with the closing date printed beside it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from consult_app.models import ConsultationState, Document
from consult_app.models.types import utcnow


@dataclass(frozen=True)
class Step:
    """One dated step of a consultation's timeline."""

    when: str  # as written in the front matter: a day (2027-09-30) or a month (2027-09)
    text: str
    first_day: date
    last_day: date
    is_past: bool
    is_next: bool

    @property
    def is_month(self) -> bool:
        return len(self.when) == len("2027-09")


@dataclass(frozen=True)
class Outlook:
    state: ConsultationState
    # Calendar days until the consultation opens (upcoming) or closes (open); None otherwise.
    days_left: int | None
    steps: list[Step]

    @property
    def next_step(self) -> Step | None:
        return next((step for step in self.steps if step.is_next), None)


def local_today(now: datetime | None = None) -> date:
    """Today's date where the site's dates are shown (CONSULT_TIMEZONE)."""
    return (now or utcnow()).astimezone(ZoneInfo(current_app.config["CONSULT_TIMEZONE"])).date()


def outlook(document: Document, now: datetime | None = None) -> Outlook:
    """The state of `document`'s consultation at `now`, the days until its next change, and its timeline with the
    steps already past and the next one marked."""
    state = document.consultation_state(now)  # the model's clock when `now` is None, as on every other page
    now = now or utcnow()
    today = local_today(now)
    target = {ConsultationState.UPCOMING: document.opens_at, ConsultationState.OPEN: document.closes_at}.get(state)
    days_left = (local_today(target) - today).days if target is not None else None
    return Outlook(state, days_left, _steps(document.timeline or [], today))


def _steps(timeline: list[dict[str, str]], today: date) -> list[Step]:
    steps: list[Step] = []
    next_found = False
    for entry in timeline:
        first, last = _days(entry["date"])
        is_past = last < today
        is_next = not is_past and not next_found
        next_found = next_found or is_next
        steps.append(Step(entry["date"], entry["step"], first, last, is_past, is_next))
    return steps


def _days(when: str) -> tuple[date, date]:
    """The first and last day a step's date covers: the day itself, or the whole month."""
    if len(when) == len("2027-09"):
        year, month = int(when[:4]), int(when[5:7])
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    day = date.fromisoformat(when)
    return day, day
