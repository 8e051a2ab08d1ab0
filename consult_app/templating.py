"""Template filters and globals: how dates and consultation states are shown."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton
from flask import Flask, current_app
from flask_babel import format_decimal, gettext, ngettext

from consult_app.i18n import current_language
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
from consult_app.services.guidance import other_languages

# Babel's locale for dates per interface language (English dates the British way: "30 June 2027").
DATE_LOCALES = {"en": "en_GB", "fr": "fr", "ru": "ru"}


def local_time(value: datetime | None, style: str = "datetime") -> str:
    """A UTC timestamp shown in CONSULT_TIMEZONE, in the reader's language: '30 June 2027, 17:00 UTC',
    '30 juin 2027, 17:00 UTC', '30 июня 2027 г., 17:00 UTC' (or only the date)."""
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["CONSULT_TIMEZONE"])
    local = value.astimezone(zone)
    day = format_date(local.date(), format="long", locale=date_locale())
    if style == "date":
        return day
    return f"{day}, {local:%H:%M} {local.tzname()}"


def date_locale() -> Locale:
    """Babel's locale for dates in the current language; English dates are written the British way."""
    return Locale.parse(DATE_LOCALES.get(current_language(), "en_GB"))


def age(value: datetime | None) -> str:
    """How long ago, in words a queue can show in little room: "today", "1 day", "12 days", "3 weeks"."""
    if value is None:
        return ""
    days = (utcnow() - value).days
    if days < 1:
        return gettext("today")
    if days < 14:
        return ngettext("%(num)d day", "%(num)d days", days)
    return ngettext("%(num)d week", "%(num)d weeks", days // 7)


def consultation_status(document: Document) -> str:
    """One sentence on where the consultation stands, for the home and document pages."""
    facts = outlook(document)
    state = facts.state
    if state is ConsultationState.OPEN:
        return gettext(
            "Open for comments until %(date)s (%(left)s)", date=local_time(document.closes_at), left=_days_left(facts)
        )
    if state is ConsultationState.UPCOMING:
        return gettext(
            "Opens for comments on %(date)s (%(when)s)",
            date=local_time(document.opens_at),
            when=_days_to_opening(facts),
        )
    if state is ConsultationState.CLOSED:
        return gettext("Consultation closed on %(date)s", date=local_time(document.closes_at))
    return gettext("Not open for comments")


def _days_left(facts: Outlook) -> str:
    if facts.days_left == 0:
        return gettext("closes today")
    return ngettext("%(num)d day left", "%(num)d days left", facts.days_left)


def _days_to_opening(facts: Outlook) -> str:
    if facts.days_left == 0:
        return gettext("today")
    if facts.days_left == 1:
        return gettext("tomorrow")
    return ngettext("in %(num)d day", "in %(num)d days", facts.days_left)


def step_date(step: Step) -> str:
    """'30 September 2027', or 'September 2027' for a step planned only to the month."""
    if step.is_month:
        return format_skeleton("yMMMM", step.first_day, locale=date_locale())
    return format_date(step.first_day, format="long", locale=date_locale())


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
    # Numbers over 999 in the reader's way of writing them ("10,000", "10 000", "10 000").
    app.add_template_global(format_decimal, "format_decimal")
    app.add_template_filter(age, "age")
    app.add_template_global(consultation_status, "consultation_status")
    app.add_template_global(outlook, "consultation_outlook")
    app.add_template_filter(step_date, "step_date")
    app.add_template_filter(paragraphs, "paragraphs")
    app.add_template_global(ConsultationState, "ConsultationState")
    app.add_template_global(other_languages, "other_languages")  # reading/_translations.html
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
