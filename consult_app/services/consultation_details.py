"""The optional "about this consultation" fields of a guidance file's front matter, checked.

Who runs the consultation (`organiser`, `contact`), why (`why`), what becomes of the responses
(`how_responses_are_used`), what follows it (`what_happens_next`) and its `timeline` of dated steps:

    timeline:
      - date: 2027-06-30
        step: Consultation closes
      - date: 2027-09          # a month, when only the month is known
        step: Summary of responses published

Pure functions over the parsed YAML, like the rest of guidance_source: a bad value is a GuidanceError naming
the file and the line of the value (found in YAML's own node tree, so a step deep in the list is named exactly).
The messages are in the reader's language (an administrator's upload; English on the command line); the
front matter's own words ('timeline', 'date', 'step') stay as they are written in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext, ngettext

from consult_app.models.document import CONTACT_MAX, ORGANISER_MAX
from consult_app.models.types import is_storable
from consult_app.services.guidance_errors import GuidanceError

PROSE_KEYS = ("why", "how_responses_are_used", "what_happens_next")
DETAIL_KEYS = frozenset({"organiser", "contact", "timeline", *PROSE_KEYS})
PROSE_MAX = 3000
STEP_MAX = 300
STEPS_MAX = 20
STEP_KEYS = frozenset({"date", "step"})
MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
# Four-digit years, so that the ISO texts sort in date order.
MIN_STEP_YEAR, MAX_STEP_YEAR = 1000, 9998


@dataclass
class ConsultationDetails:
    organiser: str = ""
    contact: str = ""
    why: str = ""
    how_responses_are_used: str = ""
    what_happens_next: str = ""
    # [{"date": "2027-09-30" or "2027-09", "step": "..."}], in date order: stored as it is (JSON).
    timeline: list[dict[str, str]] = field(default_factory=list)


class _Lines:
    """Lines of values in the front matter, for messages: YAML's node tree keeps where each value starts."""

    def __init__(self, front_matter: str) -> None:
        import yaml  # deferred: PyYAML is needed only to load guidance, not at every start-up

        try:
            self.root = yaml.compose(front_matter, Loader=yaml.SafeLoader)
        except yaml.YAMLError:  # not reached: the same text was loaded already; line 2 is then the fallback
            self.root = None

    @staticmethod
    def _value(node, key: str):
        import yaml  # deferred (see __init__)

        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == key:
                    return key_node, value_node
        return None, None

    def key(self, key: str) -> int:
        key_node, _ = self._value(self.root, key)
        return key_node.start_mark.line + 2 if key_node is not None else 2

    def item(self, key: str, index: int, item_key: str | None = None) -> int:
        """The line of timeline step `index` (or of its `item_key` value)."""
        import yaml  # deferred (see __init__)

        _, sequence = self._value(self.root, key)
        if not isinstance(sequence, yaml.SequenceNode) or index >= len(sequence.value):
            return self.key(key)
        node = sequence.value[index]
        if item_key is not None:
            _, value = self._value(node, item_key)
            node = value if value is not None else node
        return node.start_mark.line + 2


def check_details(meta: dict, front_matter: str, path: str) -> ConsultationDetails:
    """The details present in `meta` (the loaded front matter, whose text is `front_matter`), checked;
    raise GuidanceError naming `path` and the line of the first bad value."""
    lines = _Lines(front_matter)
    details = ConsultationDetails(
        organiser=_line_of_text(meta, "organiser", ORGANISER_MAX, lines, path),
        contact=_contact(meta.get("contact"), lines, path),
        timeline=_timeline(meta.get("timeline"), lines, path),
    )
    for key in PROSE_KEYS:
        setattr(details, key, _prose(meta, key, lines, path))
    return details


def _text(value: object, key: str, line: int, path: str) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise GuidanceError(path, line, gettext("'%(key)s' must be text", key=key))
    text = str(value)
    if not is_storable(text):
        # models.types.UNSTORABLE, in a whole sentence of the reader's language.
        raise GuidanceError(
            path,
            line,
            gettext(
                "'%(key)s' contains the NUL character (U+0000) or a lone surrogate (bytes that are not UTF-8)", key=key
            ),
        )
    return text


def _line_of_text(meta: dict, key: str, limit: int, lines: _Lines, path: str) -> str:
    if meta.get(key) is None:
        return ""
    text = " ".join(_text(meta[key], key, lines.key(key), path).split())
    if len(text) > limit:
        raise GuidanceError(path, lines.key(key), _too_long(key, limit))
    return text


def _prose(meta: dict, key: str, lines: _Lines, path: str) -> str:
    """Paragraphs separated by blank lines (write them with `key: |`); spaces inside a paragraph are tidied."""
    if meta.get(key) is None:
        return ""
    text = _text(meta[key], key, lines.key(key), path)
    paragraphs = [" ".join(part.split()) for part in re.split(r"\n[ \t]*\n", text)]
    text = "\n\n".join(part for part in paragraphs if part)
    if len(text) > PROSE_MAX:
        raise GuidanceError(path, lines.key(key), _too_long(key, PROSE_MAX))
    return text


def _too_long(key: str, limit: int) -> str:
    return ngettext(
        "'%(key)s' is longer than %(num)d character", "'%(key)s' is longer than %(num)d characters", limit, key=key
    )


def _contact(value: object, lines: _Lines, path: str) -> str:
    if value is None:
        return ""
    line = lines.key("contact")
    address = _text(value, "contact", line, path).strip()
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        message = gettext("'contact' must be an email address (%(error)s)", error=str(error))
        raise GuidanceError(path, line, message) from None
    if len(address) > CONTACT_MAX:
        raise GuidanceError(path, line, _too_long("contact", CONTACT_MAX))
    return address


def _timeline(value: object, lines: _Lines, path: str) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        raise GuidanceError(
            path, lines.key("timeline"), gettext("'timeline' must be a list of steps, each with 'date' and 'step'")
        )
    if len(value) > STEPS_MAX:
        message = ngettext("'timeline' has more than %(num)d step", "'timeline' has more than %(num)d steps", STEPS_MAX)
        raise GuidanceError(path, lines.key("timeline"), message)
    steps = [_step(item, index, lines, path) for index, item in enumerate(value)]
    for index in range(1, len(steps)):
        if steps[index]["date"] < steps[index - 1]["date"]:
            raise GuidanceError(
                path,
                lines.item("timeline", index, "date"),
                gettext(
                    "timeline step %(later)d (%(later_date)s) comes before step %(earlier)d (%(earlier_date)s): "
                    "list the steps in date order",
                    later=index + 1,
                    later_date=steps[index]["date"],
                    earlier=index,
                    earlier_date=steps[index - 1]["date"],
                ),
            )
    return steps


def _step(item: object, index: int, lines: _Lines, path: str) -> dict[str, str]:
    line = lines.item("timeline", index)
    if not isinstance(item, dict) or set(item) != STEP_KEYS:
        message = gettext("timeline step %(number)d must have exactly 'date' and 'step'", number=index + 1)
        raise GuidanceError(path, line, message)
    when = _step_date(item["date"], index, lines.item("timeline", index, "date"), path)
    step_line = lines.item("timeline", index, "step")
    text = " ".join(_text(item["step"], "step", step_line, path).split())
    if not text:
        message = gettext("timeline step %(number)d says nothing: write what happens", number=index + 1)
        raise GuidanceError(path, step_line, message)
    if len(text) > STEP_MAX:
        message = ngettext(
            "timeline step %(number)d is longer than %(num)d character",
            "timeline step %(number)d is longer than %(num)d characters",
            STEP_MAX,
            number=index + 1,
        )
        raise GuidanceError(path, step_line, message)
    return {"date": when, "step": text}


def _step_date(value: object, index: int, line: int, path: str) -> str:
    """ISO text of a day (2027-09-30) or a month (2027-09). YAML reads an unquoted day as a date and a month as
    text; a time of day is refused, since a step is planned for a day, not a minute."""
    problem = gettext(
        "timeline step %(number)d: 'date' must be a day such as 2027-09-30 or a month such as 2027-09", number=index + 1
    )
    if isinstance(value, datetime) or not isinstance(value, date | str):
        raise GuidanceError(path, line, problem)
    text = value.isoformat() if isinstance(value, date) else value.strip()
    try:
        if month := MONTH.match(text):
            day = date(int(month.group(1)), int(month.group(2)), 1)
        elif DAY.match(text):
            day = date.fromisoformat(text)
        else:
            raise ValueError(text)
    except ValueError:  # also a month 13 or a 30 February
        raise GuidanceError(path, line, problem) from None
    if not MIN_STEP_YEAR <= day.year <= MAX_STEP_YEAR:
        problem = gettext(
            "timeline step %(number)d: 'date' must be in the years %(first)d to %(last)d",
            number=index + 1,
            first=MIN_STEP_YEAR,
            last=MAX_STEP_YEAR,
        )
        raise GuidanceError(path, line, problem)
    return text
