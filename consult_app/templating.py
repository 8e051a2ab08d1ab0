"""Template filters and globals: how dates and consultation states are shown."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from consult_app.labels import NO_DISPOSITION, choices, label, section_label
from consult_app.models import ConsultationState, Document
from consult_app.models.types import utcnow
from consult_app.permissions import (
    can_administer,
    can_decide,
    can_manage_account,
    can_moderate,
    can_respond,
    may_edit,
    may_withdraw,
    open_to_replies,
)
from consult_app.services.consultation import Outlook, Step, outlook


def local_time(value: datetime | None, style: str = "datetime") -> str:
    """A UTC timestamp shown in CONSULT_TIMEZONE: '30 June 2027, 17:00 UTC' (or only the date)."""
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["CONSULT_TIMEZONE"])
    local = value.astimezone(zone)
    day = f"{local.day} {local:%B %Y}"
    if style == "date":
        return day
    return f"{day}, {local:%H:%M} {local.tzname()}"


def age(value: datetime | None) -> str:
    """How long ago, in words a queue can show in little room: "today", "1 day", "12 days", "3 weeks"."""
    if value is None:
        return ""
    days = (utcnow() - value).days
    if days < 1:
        return "today"
    if days < 14:
        return f"{days} day{'' if days == 1 else 's'}"
    return f"{days // 7} weeks"


def consultation_status(document: Document) -> str:
    """One sentence on where the consultation stands, for the home and document pages."""
    facts = outlook(document)
    state = facts.state
    if state is ConsultationState.OPEN:
        return f"Open for comments until {local_time(document.closes_at)} ({_days_left(facts)})"
    if state is ConsultationState.UPCOMING:
        return f"Opens for comments on {local_time(document.opens_at)} ({_days_to_opening(facts)})"
    if state is ConsultationState.CLOSED:
        return f"Consultation closed on {local_time(document.closes_at)}"
    return "Not open for comments"


def _days_left(facts: Outlook) -> str:
    if facts.days_left == 0:
        return "closes today"
    return "1 day left" if facts.days_left == 1 else f"{facts.days_left} days left"


def _days_to_opening(facts: Outlook) -> str:
    if facts.days_left == 0:
        return "today"
    return "tomorrow" if facts.days_left == 1 else f"in {facts.days_left} days"


def step_date(step: Step) -> str:
    """'30 September 2027', or 'September 2027' for a step planned only to the month."""
    if step.is_month:
        return f"{step.first_day:%B %Y}"
    return f"{step.first_day.day} {step.first_day:%B %Y}"


def paragraphs(text: str) -> list[str]:
    """The paragraphs of a front-matter text (services/consultation_details.py separates them by a blank line)."""
    return [part for part in (text or "").split("\n\n") if part]


def field_attributes(field, required: bool = False) -> dict[str, object]:
    """ARIA attributes tying a form field to its hint and error message (see templates/_forms.html)."""
    described_by = [f"{field.id}-hint"] if field.description else []
    attributes: dict[str, object] = {}
    if field.errors:
        described_by.append(f"{field.id}-error")
        attributes["aria-invalid"] = "true"
    if described_by:
        attributes["aria-describedby"] = " ".join(described_by)
    if required:
        attributes["required"] = True
    return attributes


def register_template_helpers(app: Flask) -> None:
    app.add_template_global(field_attributes, "field_attributes")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(age, "age")
    app.add_template_global(consultation_status, "consultation_status")
    app.add_template_global(outlook, "consultation_outlook")
    app.add_template_filter(step_date, "step_date")
    app.add_template_filter(paragraphs, "paragraphs")
    app.add_template_global(ConsultationState, "ConsultationState")
    # Stored codes are shown through labels.py only: label("disposition", comment.disposition).
    app.add_template_global(label, "label")
    app.add_template_global(section_label, "section_label")
    app.add_template_global(choices, "label_choices")
    app.add_template_global(NO_DISPOSITION, "NO_DISPOSITION")
    # Templates ask the permission predicates rather than restate a rule (see permissions.py).
    app.add_template_global(can_decide, "can_decide")
    app.add_template_global(can_respond, "can_respond")
    for predicate in (can_administer, can_manage_account, can_moderate, may_edit, may_withdraw, open_to_replies):
        app.add_template_global(predicate, predicate.__name__)
