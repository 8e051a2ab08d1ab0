"""The API's JSON, as marshmallow schemas: they describe every answer and parameter in the OpenAPI document
(api/spec.py, through apispec), shape what services/public_api.py returns into JSON, and read query parameters.

Every field of an answer is always present (`required`); `allow_none` fields are null when there is nothing to
say. Parameters are strict, so that a mistyped or doubtful query is a 400 that says why rather than a silent
default: unknown names, repeated names, numbers with signs or leading zeros, dates without a time zone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from marshmallow import Schema, ValidationError, fields, validate

from consult_app.i18n import LANGUAGES
from consult_app.models import CommentKind, ConsultationState, Disposition, RespondentType
from consult_app.models.document import KEY_MAX, SLUG_MAX
from consult_app.services.guidance_source import KEY_PATTERN, SLUG_PATTERN
from consult_app.services.public_api import DEFAULT_LIMIT, DELETED_ACCOUNT, MAX_LIMIT, NOT_ANSWERED

CURSOR_PATTERN = re.compile(r"^C-[0-9]{6,10}$")


def _described(text: str, **metadata) -> dict:
    return {"description": text, **metadata}


def _required(field_class, description: str, **kwargs):
    return field_class(required=True, metadata=_described(description), **kwargs)


def _nullable(field_class, description: str, **kwargs):
    return field_class(required=True, allow_none=True, metadata=_described(description), **kwargs)


def _iso(description: str, nullable: bool = False):
    make = _nullable if nullable else _required
    return make(fields.DateTime, description, format="iso")


# --- answers ------------------------------------------------------------------------------------------------


class DocumentLinksSchema(Schema):
    self = _required(fields.String, "This document in the API.")
    html = _required(fields.String, "The document's page.")
    comments = _required(fields.String, "Its published comments in the API.")
    statistics = _required(fields.String, "Its figures in the API.")


class ConsultationSchema(Schema):
    opens_at = _iso("When comments open (UTC); null when no consultation is scheduled.", nullable=True)
    closes_at = _iso("When comments close (UTC); null when no consultation is scheduled.", nullable=True)
    state = _required(
        fields.String,
        "Where the consultation stands now.",
        validate=validate.OneOf([s.value for s in ConsultationState]),
    )


class DocumentSummarySchema(Schema):
    slug = _required(fields.String, "The document's name in addresses.")
    title = _required(fields.String, "Its title.")
    summary = _required(fields.String, "One paragraph about it (may be empty).")
    language = _required(fields.String, "The language of its text.", validate=validate.OneOf(list(LANGUAGES)))
    translation_of = _nullable(fields.String, "For a translation, the slug of the document it translates; else null.")
    partial_translation = _required(fields.Boolean, "A translation some of whose sections are not translated yet.")
    consultation = fields.Nested(ConsultationSchema, required=True)
    current_version = _required(fields.Integer, "The number of the version people read now.")
    links = fields.Nested(DocumentLinksSchema, required=True)


class DocumentListSchema(Schema):
    documents = fields.List(fields.Nested(DocumentSummarySchema), required=True, metadata=_described("By title."))


class HtmlLinkSchema(Schema):
    html = _required(fields.String, "Where a person reads it.")


class TextSchema(Schema):
    html = _required(fields.String, "Sanitised HTML, as the pages show it.")
    text = _required(fields.String, "The same as plain text, whitespace collapsed.")


class SectionSchema(Schema):
    number = _required(fields.Integer, "Its place in the version: 1, 2, ...")
    key = _required(fields.String, "Its stable name, which comments refer to.")
    title = _required(fields.String, "Its heading.")
    html = _required(fields.String, "Its text as sanitised HTML.")
    text = _required(fields.String, "Its text as plain text, whitespace collapsed.")
    links = fields.Nested(HtmlLinkSchema, required=True)


class CurrentSectionSchema(SectionSchema):
    comments = _required(fields.Integer, "How many published comments it has.")


class VersionLinksSchema(Schema):
    self = _required(fields.String, "This version in the API.")
    html = _required(fields.String, "Its page.")


class VersionReferenceSchema(Schema):
    number = _required(fields.Integer, "1 for the first load, then one more for each change of the text.")
    title = _required(fields.String, "The document's title in this version.")
    loaded_at = _iso("When this version was loaded (UTC).")
    links = fields.Nested(VersionLinksSchema, required=True)


class DocumentSchema(DocumentSummarySchema):
    preamble = fields.Nested(TextSchema, required=True, metadata=_described("The text before the first section."))
    sections = fields.List(fields.Nested(CurrentSectionSchema), required=True)
    versions = fields.List(fields.Nested(VersionReferenceSchema), required=True, metadata=_described("Oldest first."))


class SegmentSchema(Schema):
    op = _required(
        fields.String, "same, del (only before) or ins (only after).", validate=validate.OneOf(["same", "del", "ins"])
    )
    text = _required(fields.String, "The words.")


class DiffLineSchema(Schema):
    kind = _required(
        fields.String,
        "same, removed, added, changed (word by word), or gap (unchanged lines left out).",
        validate=validate.OneOf(["same", "removed", "added", "changed", "gap"]),
    )
    segments = fields.List(fields.Nested(SegmentSchema), required=True)


class ChangeSchema(Schema):
    key = _required(fields.String, "The section's key.")
    title = _required(fields.String, "Its title in the current version (or in this one, if it was removed).")
    status = _required(
        fields.String,
        "What became of it in the current version.",
        validate=validate.OneOf(["unchanged", "changed", "added", "removed"]),
    )
    lines = fields.List(
        fields.Nested(DiffLineSchema),
        required=True,
        metadata=_described("For a changed section, its source's lines that differ, with one line of context."),
    )


class VersionSchema(VersionReferenceSchema):
    document = _required(fields.String, "The document's slug.")
    current = _required(fields.Boolean, "Whether this is the version people read now.")
    preamble = fields.Nested(TextSchema, required=True)
    sections = fields.List(fields.Nested(SectionSchema), required=True)
    changes = fields.List(
        fields.Nested(ChangeSchema),
        required=True,
        metadata=_described(
            "Per section, what changed from this version to the current one (empty for the current one)."
        ),
    )


class AuthorSchema(Schema):
    type = _required(
        fields.String,
        "named: name and organisation are shown; anonymous: only the respondent type; deleted: the account is gone.",
        validate=validate.OneOf(["named", "anonymous", "deleted"]),
    )
    name = _nullable(fields.String, "The author's name (named comments only).")
    organisation = _nullable(fields.String, "Their organisation, if they gave one (named comments only).")
    respondent_type = _nullable(
        fields.String,
        "How they respond (anonymous comments only).",
        validate=validate.OneOf([t.value for t in RespondentType]),
    )


class CommentSchema(Schema):
    reference = _required(fields.String, "The number people quote, e.g. C-000042.")
    section = _required(fields.String, "The key of the section it is about.")
    version = _required(fields.Integer, "The version it was written on.")
    parent = _nullable(fields.String, "For a reply, the reference of the comment it answers.")
    kind = _required(fields.String, "What kind of comment.", validate=validate.OneOf([k.value for k in CommentKind]))
    quote = _nullable(fields.String, "The passage of the section it quotes, if any.")
    html = _required(fields.String, "The comment as sanitised HTML.")
    text = _required(fields.String, "The comment as plain text, whitespace collapsed.")
    language = _required(
        fields.String,
        "The language of the interface it was written in (en for comments from before languages existed).",
        validate=validate.OneOf(list(LANGUAGES)),
    )
    author = fields.Nested(AuthorSchema, required=True)
    published_at = _iso("When a moderator approved it (UTC).")
    disposition = _nullable(
        fields.String,
        "The drafting team's answer, once recorded.",
        validate=validate.OneOf([d.value for d in Disposition]),
    )
    response = _nullable(fields.String, "The drafting team's response text, if they wrote one.")
    responded_at = _iso("When the answer was last recorded (UTC).", nullable=True)
    links = fields.Nested(HtmlLinkSchema, required=True)


class CommentPageLinksSchema(Schema):
    self = _required(fields.String, "This page.")
    next = _nullable(fields.String, "The next page; null on the last one.")


class CommentPageSchema(Schema):
    document = _required(fields.String, "The document's slug.")
    comments = fields.List(fields.Nested(CommentSchema), required=True, metadata=_described("In reference order."))
    next_cursor = _nullable(fields.String, "The cursor parameter for the next page; null on the last one.")
    links = fields.Nested(CommentPageLinksSchema, required=True)


def _counts_schema(name: str, keys: list[str], description: str) -> type[Schema]:
    """An object with one count per key, every key present."""
    schema = Schema.from_dict({key: fields.Integer(required=True) for key in keys}, name=name)
    schema.__doc__ = description
    return schema


KindCountsSchema = _counts_schema("KindCounts", [k.value for k in CommentKind], "Published comments per kind.")
RespondentCountsSchema = _counts_schema(
    "RespondentTypeCounts",
    [*(t.value for t in RespondentType), DELETED_ACCOUNT],
    f"Published comments per respondent type of their authors; {DELETED_ACCOUNT}: accounts since deleted.",
)
DispositionCountsSchema = _counts_schema(
    "DispositionCounts",
    [*(d.value for d in Disposition), NOT_ANSWERED],
    f"Published comments per disposition; {NOT_ANSWERED}: not answered yet.",
)


class SectionCountSchema(Schema):
    key = _nullable(fields.String, "The section's key; null for the row of sections removed from the document.")
    number = _nullable(fields.Integer, "Its number; null for the removed sections.")
    title = _required(fields.String, "Its title.")
    comments = _required(fields.Integer, "Its published comments.")


class StatisticsLinksSchema(Schema):
    document = _required(fields.String, "The document in the API.")
    html = _required(fields.String, "The document's page.")


class StatisticsSchema(Schema):
    document = _required(fields.String, "The document's slug.")
    published_comments = _required(fields.Integer, "Published comments, replies included.")
    sections = fields.List(
        fields.Nested(SectionCountSchema),
        required=True,
        metadata=_described("Per section of the current version, then the removed sections if they have any."),
    )
    kinds = fields.Nested(KindCountsSchema, required=True)
    respondent_types = fields.Nested(RespondentCountsSchema, required=True)
    dispositions = fields.Nested(DispositionCountsSchema, required=True)
    links = fields.Nested(StatisticsLinksSchema, required=True)


class ParameterErrorSchema(Schema):
    parameter = _required(fields.String, "The query parameter at fault.")
    detail = _required(fields.String, "What is wrong with it.")


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = _required(fields.String, "Always about:blank: the status says what kind of problem it is.")
    title = _required(fields.String, "The status's name.")
    status = _required(fields.Integer, "The HTTP status.")
    detail = _required(fields.String, "What went wrong, for a person.")
    instance = _required(fields.String, "The path asked for.")
    errors = fields.List(
        fields.Nested(ParameterErrorSchema), metadata=_described("For a 400 about parameters, one entry per parameter.")
    )


# --- query parameters ---------------------------------------------------------------------------------------

DIGITS = re.compile(r"0|[1-9][0-9]{0,9}")
RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))", re.ASCII
)


class QueryInteger(fields.Integer):
    """A whole number as written in a query: digits only (no sign, spaces or leading zeros), at most ten."""

    default_error_messages = {"invalid": "Write a whole number, in digits only."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not DIGITS.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Rfc3339DateTime(fields.DateTime):
    """An RFC 3339 date and time with its offset (Z for UTC); read as UTC. A time before or after anything the
    calendar can hold once its offset is applied (year 1 at +01:00) is read as the first or last moment."""

    default_error_messages = {"invalid": "Write a date and time with its zone, such as 2026-11-01T00:00:00Z."}

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = parse_rfc3339(value) if isinstance(value, str) else None
        if parsed is None:
            raise self.make_error("invalid")
        return parsed


def parse_rfc3339(text: str) -> datetime | None:
    match = RFC3339.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, zulu, sign, offset_hours, offset_minutes = match.groups()[6:]
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        # A leap second (:60) is read as the end of the second before: the database knows no leap seconds.
        local = datetime(year, month, day, hour, minute, min(second, 59), microsecond)
    except ValueError:
        return None
    offset = timedelta()
    if not zulu:
        if int(offset_hours) > 23 or int(offset_minutes) > 59:
            return None
        offset = timedelta(hours=int(offset_hours), minutes=int(offset_minutes)) * (1 if sign == "+" else -1)
    try:
        return (local - offset).replace(tzinfo=UTC)
    except OverflowError:
        return (datetime.min if offset > timedelta() else datetime.max).replace(tzinfo=UTC)


class QuerySchema(Schema):
    error_messages = {"unknown": "This address takes no parameter of that name."}


class NoParametersSchema(QuerySchema):
    """Addresses that take no query parameters."""


class CommentQuerySchema(QuerySchema):
    section = fields.String(
        validate=[
            validate.Length(max=KEY_MAX, error=f"A section key has at most {KEY_MAX} characters."),
            validate.Regexp(KEY_PATTERN, error="A section key is lower-case letters, digits, - and _."),
        ],
        metadata=_described(
            "Only comments on this section (its key; a section removed from the document still has its comments)."
        ),
    )
    kind = fields.String(
        validate=validate.OneOf([k.value for k in CommentKind], error="Choose one of: {choices}."),
        metadata=_described("Only comments of this kind."),
    )
    since = Rfc3339DateTime(
        metadata=_described("Only comments published at or after this time, e.g. 2026-11-01T00:00:00Z.")
    )
    cursor = fields.String(
        validate=validate.Regexp(CURSOR_PATTERN, error="Use the next_cursor of the previous page, e.g. C-000042."),
        metadata=_described("Where the page starts: the next_cursor of the previous page (the comments after it)."),
    )
    limit = QueryInteger(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT, error=f"Ask for 1 to {MAX_LIMIT} comments a page."),
        metadata=_described(f"Comments per page, 1 to {MAX_LIMIT}.", default=DEFAULT_LIMIT),
    )


def cursor_position(cursor: str | None) -> int:
    """The comment number a cursor (the reference of the last comment of a page) stands for; 0 for none."""
    return int(cursor[2:]) if cursor else 0


def load_query(schema: Schema, arguments: dict[str, list[str]]) -> dict:
    """The query's parameters, checked; raise ValidationError with a message per parameter name."""
    repeated = {name: ["Give this parameter once."] for name, values in arguments.items() if len(values) > 1}
    if repeated:
        raise ValidationError(repeated)
    return schema.load({name: values[0] for name, values in arguments.items()})


# The OpenAPI pattern strings of what appears in addresses.
SLUG_PARAMETER = {"type": "string", "pattern": SLUG_PATTERN.pattern, "maxLength": SLUG_MAX}
