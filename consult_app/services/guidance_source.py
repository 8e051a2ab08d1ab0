"""Parsing a guidance source file: YAML front matter, then sections split at `##` headings.

Pure functions over text: nothing here touches the database, so a bad file is refused before any write.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from flask_babel import gettext, ngettext

from consult_app.i18n import DEFAULT_LANGUAGE, LANGUAGES
from consult_app.models.document import KEY_MAX, SLUG_MAX, SOURCE_PATH_MAX, TITLE_MAX
from consult_app.models.types import is_storable
from consult_app.services.consultation_details import DETAIL_KEYS, ConsultationDetails, check_details
from consult_app.services.guidance_errors import GuidanceError
from consult_app.text import NestingError, Removal, render_guidance

__all__ = ["GuidanceError", "ParsedDocument", "ParsedSection", "parse_bytes", "parse_file", "parse_text", "slugify"]

FRONT_MATTER_FENCE = "---"
# A translation says `language: fr`, `translation_of: <the original's slug>` and, while some of its sections are
# still in the original's words, `translation: partial` (the other value, the default, is `complete`).
TRANSLATION_KEYS = {"language", "translation_of", "translation"}
TRANSLATION_STATES = ("complete", "partial")
KNOWN_KEYS = {"title", "slug", "summary", "consultation", *DETAIL_KEYS, *TRANSLATION_KEYS}
CONSULTATION_KEYS = {"opens", "closes"}
SUMMARY_MAX = 2000
MIN_YEAR, MAX_YEAR = 2, 9998
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# `v<N>` addresses an older version of the document and `responses` its summary of responses, so a section may
# not be called either (its page would be hidden behind theirs).
RESERVED_KEY = re.compile(r"^(?:v\d+|responses)$")
HEADING = re.compile(r"^##(?:[ \t]+(?P<text>.*?))?[ \t]*$")
EXPLICIT_KEY = re.compile(r"^(?P<title>.*?)[ \t]*\{#(?P<key>[^}]*)\}$")
FENCE = re.compile(r"^[ ]{0,3}(```|~~~)")


@dataclass
class ParsedSection:
    key: str
    number: int
    title: str
    source_md: str
    html: str
    line: int


@dataclass
class ParsedDocument:
    path: str
    slug: str
    title: str
    summary: str
    opens_at: datetime | None
    closes_at: datetime | None
    source: str
    preamble_md: str
    preamble_html: str
    sections: list[ParsedSection]
    warnings: list[str] = field(default_factory=list)
    # Who runs the consultation, why, what follows: front matter only, like the summary (not in content_hash).
    details: ConsultationDetails = field(default_factory=ConsultationDetails)
    # The language of the text, and for a translation its original's slug and whether some sections are not yet
    # translated; `translation_line` is the line of `translation_of:` (2 when absent), for messages.
    language: str = DEFAULT_LANGUAGE
    translation_of: str | None = None
    translation_partial: bool = False
    translation_line: int = 2

    @property
    def content_hash(self) -> str:
        """Identifies the text people read; front-matter dates and summary are not part of it."""
        parts = [self.title, self.preamble_md, [(s.key, s.title, s.source_md) for s in self.sections]]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens: 'Bias & fairness' -> 'bias-fairness'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def parse_file(path: Path) -> ParsedDocument:
    """Read and parse one source file; raise GuidanceError naming the file and line."""
    shown = _display_path(path)
    try:
        data = path.read_bytes()
    except (OSError, ValueError) as error:  # ValueError: a path with a NUL in it
        raise GuidanceError(
            shown,
            None,
            gettext("cannot read the file (%(reason)s)", reason=getattr(error, "strerror", None) or error),
        ) from None
    return parse_bytes(data, shown, default_slug=slugify(path.stem))


def parse_bytes(data: bytes, path: str, default_slug: str = "") -> ParsedDocument:
    """Decode UTF-8 (with or without a byte-order mark) and parse; `path` is only used in messages. The
    command line's files and the web's uploads both come through here."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise GuidanceError(path, line, gettext("the file is not valid UTF-8; save it as UTF-8")) from None
    return parse_text(text, path, default_slug=default_slug)


def parse_text(text: str, path: str, default_slug: str = "") -> ParsedDocument:
    """Parse source text; `path` is only used in messages."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise GuidanceError(
            path, line, gettext("the file contains a NUL character (U+0000): is it really a text file?")
        )
    meta, body_start = _front_matter(lines, path)
    fields = _check_front_matter(meta, lines, path, default_slug)
    preamble, sections, warnings = _sections(lines, body_start, path)
    return ParsedDocument(
        path=path,
        source=text,
        preamble_md=preamble[0],
        preamble_html=preamble[1],
        sections=sections,
        warnings=warnings,
        **fields,
    )


def _display_path(path: Path) -> str:
    """The path as given, relative to the working folder when inside it. It is stored (Document.source_path),
    so a file name that is not UTF-8 is shown with U+FFFD for the bytes that are not, and a path too long for
    the column keeps its end."""
    try:
        shown = str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        shown = str(path)
    if not is_storable(shown):
        shown = os.fsencode(shown).decode("utf-8", "replace").replace("\x00", "\ufffd")
    return shown if len(shown) <= SOURCE_PATH_MAX else "..." + shown[3 - SOURCE_PATH_MAX :]


def _front_matter(lines: list[str], path: str) -> tuple[dict, int]:
    """Return the YAML mapping and the index of the first body line."""
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        raise GuidanceError(path, 1, gettext("missing front matter: the file must start with a line '---'"))
    for index in range(1, len(lines)):
        if lines[index].strip() in (FRONT_MATTER_FENCE, "..."):
            break
    else:
        raise GuidanceError(path, 1, gettext("the front matter is not closed by a line '---'"))
    import yaml  # deferred: PyYAML is needed only to load guidance, not at every start-up

    try:
        meta = yaml.safe_load("\n".join(lines[1:index]))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(error, "problem", None) or "not valid YAML"  # PyYAML's own words, in English
        raise GuidanceError(
            path, line, gettext("front matter is not valid YAML: %(problem)s", problem=problem)
        ) from None
    except (ValueError, OverflowError) as error:
        # PyYAML builds dates and numbers itself and lets their errors out: "opens: 2026-02-30" is a ValueError.
        raise GuidanceError(
            path, 2, gettext("a value in the front matter cannot be read: %(error)s", error=error)
        ) from None
    except RecursionError:
        raise GuidanceError(path, 2, gettext("the front matter is nested too deeply")) from None
    if not isinstance(meta, dict):
        raise GuidanceError(path, 2, gettext("the front matter must be a set of 'key: value' lines"))
    return meta, index + 1


def _key_line(lines: list[str], key: str) -> int:
    """The line of `key:` in the front matter (2 when it is absent): for messages only."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*:")
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == FRONT_MATTER_FENCE:
            break
        if pattern.match(line):
            return number
    return 2


def _check_front_matter(meta: dict, lines: list[str], path: str, default_slug: str) -> dict:
    unknown = sorted(str(key) for key in meta if key not in KNOWN_KEYS)
    if unknown:
        raise GuidanceError(
            path,
            _key_line(lines, unknown[0]),
            gettext(
                "unknown front matter key '%(key)s' (known: %(known)s)",
                key=unknown[0],
                known=", ".join(sorted(KNOWN_KEYS)),
            ),
        )
    title = _text_field(meta, "title", TITLE_MAX, lines, path, required=True)
    summary = _text_field(meta, "summary", SUMMARY_MAX, lines, path, required=False)
    slug = _text_field(meta, "slug", SLUG_MAX, lines, path, required=False) or default_slug or slugify(title)
    if len(slug) > SLUG_MAX:  # one made from a long file name or title
        raise GuidanceError(
            path,
            _key_line(lines, "slug"),
            ngettext(
                "slug '%(slug)s...' is longer than %(num)d character; add a shorter 'slug:'",
                "slug '%(slug)s...' is longer than %(num)d characters; add a shorter 'slug:'",
                SLUG_MAX,
                slug=slug[:40],
            ),
        )
    if not SLUG_PATTERN.match(slug):
        raise GuidanceError(
            path,
            _key_line(lines, "slug"),
            gettext(
                "slug '%(slug)s' must be lower-case letters, digits and single hyphens, e.g. 'ml-ethics'", slug=slug
            ),
        )
    opens_at, closes_at = _consultation(meta.get("consultation"), lines, path)
    details = check_details(meta, "\n".join(lines[1 : _front_matter_end(lines)]), path)
    return {
        "slug": slug,
        "title": title,
        "summary": summary,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "details": details,
        **_translation(meta, slug, lines, path),
    }


def _translation(meta: dict, slug: str, lines: list[str], path: str) -> dict:
    """`language`, `translation_of` and `translation`, checked on their own; whether the original exists and has
    the same sections is for the loader (services/guidance.py), which sees the database and the other files."""
    language = _text_field(meta, "language", 100, lines, path, required=False).lower() or DEFAULT_LANGUAGE
    if language not in LANGUAGES:
        raise GuidanceError(
            path,
            _key_line(lines, "language"),
            gettext(
                "unknown language '%(language)s': use one of %(codes)s (%(names)s)",
                language=language,
                codes=", ".join(LANGUAGES),
                names=", ".join(LANGUAGES.values()),
            ),
        )
    original = _text_field(meta, "translation_of", SLUG_MAX, lines, path, required=False) or None
    line = _key_line(lines, "translation_of")
    if original is not None and not SLUG_PATTERN.match(original):
        raise GuidanceError(
            path,
            line,
            gettext("'translation_of' must be the slug of the original document, not '%(value)s'", value=original),
        )
    if original == slug:
        raise GuidanceError(
            path,
            line,
            gettext("'translation_of' names this document itself ('%(slug)s'): name the original", slug=slug),
        )
    state = _text_field(meta, "translation", 20, lines, path, required=False)
    if state and state not in TRANSLATION_STATES:
        raise GuidanceError(
            path,
            _key_line(lines, "translation"),
            gettext("'translation' must be 'partial' or 'complete', not '%(value)s'", value=state),
        )
    if state and original is None:
        raise GuidanceError(
            path,
            _key_line(lines, "translation"),
            gettext("'translation' is only for a translation: add 'translation_of:' with the original's slug"),
        )
    return {
        "language": language,
        "translation_of": original,
        "translation_partial": state == "partial",
        "translation_line": line,
    }


def _front_matter_end(lines: list[str]) -> int:
    """The index of the line closing the front matter (`_front_matter` found that there is one)."""
    return next(index for index in range(1, len(lines)) if lines[index].strip() in (FRONT_MATTER_FENCE, "..."))


def _text_field(meta: dict, key: str, limit: int, lines: list[str], path: str, *, required: bool) -> str:
    value = meta.get(key)
    if value is None:
        if required:
            raise GuidanceError(path, 2, gettext("the front matter has no '%(key)s'", key=key))
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise GuidanceError(path, _key_line(lines, key), gettext("'%(key)s' must be text", key=key))
    value = " ".join(str(value).split())
    if not is_storable(value):  # YAML escapes can write "\0" or "\ud800"
        # models.types.UNSTORABLE, in a whole sentence of the reader's language.
        message = "'%(key)s' contains the NUL character (U+0000) or a lone surrogate (bytes that are not UTF-8)"
        raise GuidanceError(path, _key_line(lines, key), gettext(message, key=key))
    if required and not value:
        raise GuidanceError(path, _key_line(lines, key), gettext("'%(key)s' is empty", key=key))
    if len(value) > limit:
        too_long = ngettext(
            "'%(key)s' is longer than %(num)d character", "'%(key)s' is longer than %(num)d characters", limit, key=key
        )
        raise GuidanceError(path, _key_line(lines, key), too_long)
    return value


def _consultation(block: object, lines: list[str], path: str) -> tuple[datetime | None, datetime | None]:
    if block is None:
        return None, None
    line = _key_line(lines, "consultation")
    if not isinstance(block, dict):
        raise GuidanceError(path, line, gettext("'consultation' must contain 'opens' and 'closes'"))
    unknown = sorted(str(key) for key in block if key not in CONSULTATION_KEYS)
    if unknown or not block.keys() >= CONSULTATION_KEYS:
        raise GuidanceError(path, line, gettext("'consultation' must contain exactly 'opens' and 'closes'"))
    opens = _timestamp(block["opens"], "opens", _key_line(lines, "opens"), path)
    closes = _timestamp(block["closes"], "closes", _key_line(lines, "closes"), path)
    if closes <= opens:
        raise GuidanceError(path, _key_line(lines, "closes"), gettext("the consultation closes before it opens"))
    return opens, closes


def _timestamp(value: object, name: str, line: int, path: str) -> datetime:
    """A YAML timestamp, date or ISO 8601 text; naive times are taken as UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise GuidanceError(path, line, _not_a_moment(name)) from None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, datetime):
        raise GuidanceError(path, line, _not_a_moment(name))
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00:00-05:00 is after the last moment a datetime can hold
        raise GuidanceError(path, line, gettext("'%(key)s' is out of the range of dates", key=name)) from None
    # A day inside the ends of the calendar, so that the date can be shown in any time zone (CONSULT_TIMEZONE).
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise GuidanceError(
            path,
            line,
            gettext("'%(key)s' must be in the years %(first)d to %(last)d", key=name, first=MIN_YEAR, last=MAX_YEAR),
        )
    return value


def _not_a_moment(key: str) -> str:
    return gettext("'%(key)s' is not a date and time such as 2026-10-26T09:00:00Z", key=key)


def _heading_positions(lines: list[str], start: int) -> list[int]:
    """Indexes of `##` heading lines, ignoring lines inside fenced code blocks."""
    positions, fence = [], None
    for index in range(start, len(lines)):
        marker = FENCE.match(lines[index])
        if marker:
            fence = None if fence == marker.group(1) else (fence or marker.group(1))
        elif fence is None and HEADING.match(lines[index]):
            positions.append(index)
    return positions


def _sections(lines: list[str], start: int, path: str) -> tuple[tuple[str, str], list[ParsedSection], list[str]]:
    positions = _heading_positions(lines, start)
    if not positions:
        raise GuidanceError(path, start + 1, "no sections: the text needs at least one '## ' heading")
    warnings: list[str] = []
    preamble_md = "\n".join(lines[start : positions[0]]).strip()
    preamble_html = _render(preamble_md, lines, start, positions[0], path, warnings) if preamble_md else ""
    sections: list[ParsedSection] = []
    seen: dict[str, int] = {}
    for number, index in enumerate(positions, start=1):
        end = positions[number] if number < len(positions) else len(lines)
        title, key = _heading(lines[index], index + 1, path)
        if key in seen:
            raise GuidanceError(
                path,
                index + 1,
                gettext("duplicate section key '%(key)s' (first used on line %(line)d)", key=key, line=seen[key]),
            )
        seen[key] = index + 1
        source_md = "\n".join(lines[index + 1 : end]).strip("\n")
        html = _render(source_md, lines, index, end, path, warnings)
        sections.append(ParsedSection(key, number, title, source_md, html, index + 1))
    return (preamble_md, preamble_html), sections, warnings


def _heading(line: str, number: int, path: str) -> tuple[str, str]:
    text = (HEADING.match(line).group("text") or "").rstrip("#").strip()
    explicit = EXPLICIT_KEY.match(text)
    title = explicit.group("title").rstrip("#").strip() if explicit else text
    if not title:
        raise GuidanceError(path, number, gettext("a section heading has no title"))
    if len(title) > TITLE_MAX:
        raise GuidanceError(
            path,
            number,
            ngettext(
                "section title is longer than %(num)d character",
                "section title is longer than %(num)d characters",
                TITLE_MAX,
            ),
        )
    key = explicit.group("key").strip() if explicit else slugify(title)
    if not key:
        raise GuidanceError(
            path, number, gettext("cannot make a key from the title '%(title)s'; add one: {#key}", title=title)
        )
    if len(key) > KEY_MAX or not KEY_PATTERN.match(key):
        raise GuidanceError(
            path,
            number,
            ngettext(
                "section key '%(key)s' must be at most %(num)d lower-case letter, digit, hyphen or underscore",
                "section key '%(key)s' must be at most %(num)d lower-case letters, digits, hyphens or underscores",
                KEY_MAX,
                key=key,
            ),
        )
    if RESERVED_KEY.match(key):
        raise GuidanceError(
            path,
            number,
            gettext("section key '%(key)s' is reserved for the document's own addresses; choose another", key=key),
        )
    return title, key


def _render(source_md: str, lines: list[str], start: int, end: int, path: str, warnings: list[str]) -> str:
    try:
        rendered = render_guidance(source_md)
    except NestingError as error:
        if error.line:
            where = _file_line(source_md, lines, start, error.line)
            message = gettext(
                "the Markdown is nested too deeply to be shown: %(error)s from line %(line)d", error=error, line=where
            )
        else:
            message = gettext("the Markdown is nested too deeply to be shown: %(error)s", error=error)
        raise GuidanceError(path, start + 1, message) from None
    found = sorted((_find_line(lines, start, end, removal), removal.description) for removal in rendered.removed)
    warnings.extend(
        gettext("%(path)s:%(line)d: removed %(what)s; it will not be shown", path=path, line=line, what=description)
        for line, description in found
    )
    return rendered.html


def _file_line(source_md: str, lines: list[str], start: int, line: int) -> int:
    """The file's line number of line `line` (from 1) of a section's (or the preamble's) stripped Markdown."""
    body = start + 1 if HEADING.match(lines[start]) else start
    first_in_file = next(index for index in range(body, len(lines)) if lines[index].strip())
    first_in_source = next(number for number, text in enumerate(source_md.split("\n")) if text.strip())
    return first_in_file + 1 + (line - 1 - first_in_source)


def _find_line(lines: list[str], start: int, end: int, removal: Removal) -> int:
    needle = removal.needle.lower()
    for index in range(start, end):
        if needle in lines[index].lower():
            return index + 1
    return start + 1
