"""Template filters and globals: how dates and consultation states are shown."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from consult_app.models import ConsultationState, Document


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


def consultation_status(document: Document) -> str:
    """One sentence on where the consultation stands, for the home and document pages."""
    state = document.consultation_state()
    if state is ConsultationState.OPEN:
        return f"Open for comments until {local_time(document.closes_at)}"
    if state is ConsultationState.UPCOMING:
        return f"Opens for comments on {local_time(document.opens_at)}"
    if state is ConsultationState.CLOSED:
        return f"Consultation closed on {local_time(document.closes_at)}"
    return "Not open for comments"


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
    app.add_template_global(consultation_status, "consultation_status")
    app.add_template_global(ConsultationState, "ConsultationState")
