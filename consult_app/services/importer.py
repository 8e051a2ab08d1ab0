"""Reading an edited response log back: the drafting team's dispositions and responses, from a spreadsheet.

Three steps, shared by the web pages and `flask import dispositions`:

- `parse(data)` reads the bytes a spreadsheet saved (UTF-8 with or without BOM, UTF-16 with BOM; CRLF, LF or
  CR line ends; comma, semicolon or tab; columns in any order). It touches no database. A file that cannot be
  read at all raises ImportFileError; every problem with a row is a RowError with the physical line the row
  starts on. Rows with neither disposition nor response are "no answer yet" and skipped: an import never
  removes a disposition.
- `plan(parsed, moderator)` compares the rows with the database: rows naming no comment (or a withdrawn one,
  or one the importing moderator wrote) become errors, rows that differ from the comment become Changes, the
  rest are counted as unchanged.
- `apply(moderator, plan, override)` writes the changes through moderation.set_disposition, all or nothing.

Conflicts. The export writes each comment's `responded_at`. When the database's responded_at (as export.iso
writes it) differs from the file's, the comment was answered in the app after the export and the file would
silently overwrite that answer: the change is a conflict, applied only when its reference is in `override`.
A file without a responded_at column cannot tell an old answer from a new one, so there every change to a
comment that already has a disposition is a conflict (first answers are not); Plan.has_responded_at says so.

A Plan carries the state each comment was in when it was made, so it can travel to a later request (the web
pages sign it into the form) and apply() can refuse everything if any comment changed since the dry run.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Comment, CommentStatus, Disposition, User
from consult_app.models.comment import RESPONSE_MAX
from consult_app.permissions import can_moderate, can_respond
from consult_app.services import moderation
from consult_app.services.export import FORMULA_STARTS, iso

MAX_ROWS = 300_000
REQUIRED = ("reference", "disposition", "response")
RESPONDED_AT = "responded_at"
DELIMITERS = (",", ";", "\t")
BATCH = 1000  # ids per IN (...): well under SQLite's and PostgreSQL's parameter limits
SAVE_AS = "Save it from the spreadsheet as “CSV UTF-8 (comma delimited)”."
# Files people upload by mistake, recognised by their first bytes.
SIGNATURES = {
    b"PK\x03\x04": "a spreadsheet workbook (.xlsx, .ods) or another zip file",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
    b"%PDF": "a PDF document",
}
DISPOSITIONS = tuple(member.value for member in Disposition)


class ImportFileError(ValueError):
    """The file as a whole cannot be read; nothing in it is used. The message says why."""


class ApplyError(ValueError):
    """apply() refused; nothing may be committed. `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RowError:
    line: int
    reference: str
    message: str


@dataclass(frozen=True)
class Row:
    line: int
    reference: str  # normalised: C-000042
    comment_id: int
    disposition: str
    response: str
    responded_at: str | None  # None when the file has no responded_at column


@dataclass
class ParsedFile:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    has_responded_at: bool = True
    unanswered: int = 0


@dataclass(frozen=True)
class Change:
    """One comment whose answer the file changes; `before_*` and `database_responded_at` are the database's
    state when the plan was made, `file_responded_at` what the file says it was at export."""

    line: int
    reference: str
    comment_id: int
    before_disposition: str  # "" when the comment had none
    before_response: str
    after_disposition: str
    after_response: str
    conflict: bool
    file_responded_at: str
    database_responded_at: str


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unchanged: int = 0
    unanswered: int = 0
    has_responded_at: bool = True

    @property
    def conflicts(self) -> list[Change]:
        return [change for change in self.changes if change.conflict]

    @property
    def ready(self) -> list[Change]:
        """The changes applied without asking."""
        return [change for change in self.changes if not change.conflict]


# --- parse --------------------------------------------------------------------------------------------------


def parse(data: bytes) -> ParsedFile:
    """Read a response log CSV as saved by a spreadsheet. Raises ImportFileError for an unreadable file,
    missing columns or more than MAX_ROWS rows; row problems are in the result's `errors`."""
    text = _decode(data)
    delimiter, header = _header(text)
    columns = {name: header.index(name) for name in (*REQUIRED, RESPONDED_AT) if name in header}
    parsed = ParsedFile(has_responded_at=RESPONDED_AT in columns)
    seen: dict[int, int] = {}
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line, count = 1, 0
    try:
        next(reader)
        line = reader.line_num + 1
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue  # a blank line, or the empty rows some spreadsheets save after the data
            count += 1
            if count > MAX_ROWS:
                raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows: split it into smaller files.")
            _add_row(parsed, seen, _read_row(record, start, len(header), columns))
    except csv.Error as error:
        raise ImportFileError(f"Line {line}: this is not valid CSV ({error}); is a quote left open?") from None
    return parsed


def _decode(data: bytes) -> str:
    for signature, what in SIGNATURES.items():
        if data.startswith(signature):
            raise ImportFileError(f"This is {what}, not a CSV file. {SAVE_AS}")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError("The file starts like UTF-16 text but is not valid UTF-16.") from None
    else:
        if b"\x00" in data:
            raise ImportFileError("This is not a CSV file: it contains binary data.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data[: error.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
            raise ImportFileError(f"The file is not UTF-8 text (see line {line}). {SAVE_AS}") from None
    if "\x00" in text:
        raise ImportFileError("This is not a CSV file: it contains binary data.")
    if not text.strip():
        raise ImportFileError("The file is empty.")
    return text


def _header(text: str) -> tuple[str, list[str]]:
    """The delimiter that makes the first line a header naming `reference`, and that header's names."""
    delimiter, names = max(
        ((delimiter, _first_record(text, delimiter)) for delimiter in DELIMITERS),
        key=lambda candidate: ("reference" in candidate[1], sum(name in candidate[1] for name in REQUIRED)),
    )
    missing = [name for name in REQUIRED if name not in names]
    if len(missing) == len(REQUIRED):
        raise ImportFileError(
            "The first line is not the response log's header: it should name the columns reference, "
            "disposition and response, as the exported file does."
        )
    if missing:
        raise ImportFileError(f"The file has no {' or '.join(repr(name) for name in missing)} column.")
    for name in (*REQUIRED, RESPONDED_AT):
        if names.count(name) > 1:
            raise ImportFileError(f"The header names the column {name!r} more than once.")
    return delimiter, names


def _first_record(text: str, delimiter: str) -> list[str]:
    try:
        return [cell.strip().lower() for cell in next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))]
    except (csv.Error, StopIteration):
        return []


def _unguard(cell: str) -> str:
    """Undo export.neutralise: drop the ' it wrote before a cell that a spreadsheet would run as a formula, or
    that began with ' itself."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def _read_row(record: list[str], line: int, width: int, columns: dict[str, int]) -> Row | RowError | None:
    """One record as a Row, a RowError, or None for a row without an answer."""
    reference_index = columns["reference"]
    raw_reference = record[reference_index].strip()[:40] if reference_index < len(record) else ""
    if len(record) != width:
        return RowError(line, raw_reference, f"The row has {len(record)} fields; the header has {width}.")
    cell = {name: _unguard(record[index]).strip() for name, index in columns.items()}
    disposition, response = cell["disposition"], cell["response"]
    if not disposition and not response:
        return None
    comment_id = Comment.id_from_reference(cell["reference"])
    if comment_id is None:
        shown = f"{raw_reference!r} is not a" if raw_reference else "The row has no"
        return RowError(line, raw_reference, f"{shown} comment reference (like C-000042).")
    reference = f"C-{comment_id:06d}"
    if not disposition:
        return RowError(line, reference, "The row has a response but no disposition.")
    if disposition not in DISPOSITIONS:
        known = ", ".join(DISPOSITIONS)
        return RowError(line, reference, f"Unknown disposition {disposition[:40]!r} (use one of: {known}).")
    if len(response) > RESPONSE_MAX:
        return RowError(line, reference, f"The response is longer than {RESPONSE_MAX:,} characters.")
    return Row(line, reference, comment_id, disposition, response, cell.get(RESPONDED_AT))


def _add_row(parsed: ParsedFile, seen: dict[int, int], row: Row | RowError | None) -> None:
    if row is None:
        parsed.unanswered += 1
    elif isinstance(row, RowError):
        parsed.errors.append(row)
    elif row.comment_id in seen:
        first = seen[row.comment_id]
        message = f"{row.reference} is on line {first} and again on line {row.line}: keep one of them."
        parsed.errors.append(RowError(row.line, row.reference, message))
    else:
        seen[row.comment_id] = row.line
        parsed.rows.append(row)


# --- plan ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _State:
    disposition: str
    response: str
    responded_at: str
    status: str
    author_id: int | None


def plan(parsed: ParsedFile, moderator: User | None = None) -> Plan:
    """Compare each parsed row with its comment; nothing is written. With the `moderator` who imports, a change
    to a comment they wrote is a row error (nobody answers their own comment); a dry run without one cannot
    tell, and apply() refuses such a change anyway."""
    states = _states([row.comment_id for row in parsed.rows])
    result = Plan(errors=list(parsed.errors), unanswered=parsed.unanswered, has_responded_at=parsed.has_responded_at)
    for row in parsed.rows:
        state = states.get(row.comment_id)
        if state is None:
            result.errors.append(RowError(row.line, row.reference, f"There is no comment {row.reference}."))
        elif (state.disposition, _lines(state.response)) == (row.disposition, _lines(row.response)):
            result.unchanged += 1
        elif state.status == CommentStatus.WITHDRAWN.value:
            message = f"{row.reference} was withdrawn by its author: its disposition cannot change."
            result.errors.append(RowError(row.line, row.reference, message))
        elif moderator is not None and not can_respond(moderator, state):
            message = f"{row.reference} is your own comment: another moderator must record its disposition."
            result.errors.append(RowError(row.line, row.reference, message))
        else:
            result.changes.append(_change(row, state, parsed.has_responded_at))
    result.errors.sort(key=lambda error: error.line)
    return result


def _lines(text: str) -> str:
    # Browsers send CRLF from a textarea and spreadsheets save LF: line ends alone are not a change.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _change(row: Row, state: _State, has_responded_at: bool) -> Change:
    file_moment = _moment(row.responded_at or "")
    # See the module docstring: without responded_at, overwriting any existing answer needs an override.
    conflict = file_moment != state.responded_at if has_responded_at else bool(state.disposition)
    return Change(
        row.line, row.reference, row.comment_id, state.disposition, state.response, row.disposition, row.response,
        conflict, file_moment, state.responded_at,
    )  # fmt: skip


def _moment(value: str) -> str:
    """A time from the file in export.iso form, so a spreadsheet's '2026-11-28 14:35:00' still matches."""
    try:
        moment = datetime.fromisoformat(value.strip())
        return iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    except (ValueError, OverflowError):  # OverflowError: 9999-12-31T23:59:59-05:00 has no UTC moment
        return value.strip()


def _states(ids: list[int]) -> dict[int, _State]:
    states = {}
    for start in range(0, len(ids), BATCH):
        statement = select(
            Comment.id, Comment.disposition, Comment.response, Comment.responded_at, Comment.status, Comment.author_id
        ).where(Comment.id.in_(ids[start : start + BATCH]))
        for record in db.session.execute(statement):
            states[record.id] = _State(
                record.disposition or "", record.response, iso(record.responded_at), record.status, record.author_id
            )
    return states


# --- apply --------------------------------------------------------------------------------------------------


def apply(moderator: User, plan: Plan, override: set[str]) -> int:
    """Apply the plan as `moderator`, all or nothing: every ready change, and the conflicts named in `override`.

    Refuses (ApplyError) when the plan has any row error, `override` names a reference that is not a conflict,
    or a comment to change is no longer in the state the plan saw (someone answered it since the dry run).
    Each change goes through moderation.set_disposition, so it is one audit event under `moderator`.
    Returns how many comments changed. Only flushes: the caller commits, or rolls back on ApplyError.
    """
    if not can_moderate(moderator):
        raise ApplyError("Only moderators record dispositions.", 403)
    if plan.errors:
        rows = "1 row of the file has" if len(plan.errors) == 1 else f"{len(plan.errors):,} rows of the file have"
        raise ApplyError(f"Nothing was applied: {rows} problems.", 400)
    stray = sorted(set(override) - {change.reference for change in plan.conflicts})
    if stray:
        raise ApplyError(f"Nothing was applied: {', '.join(stray[:5])} is not a conflict in this import.", 400)
    chosen = [change for change in plan.changes if not change.conflict or change.reference in override]
    comments = _locked([change.comment_id for change in chosen])
    moved = [change for change in chosen if _moved(change, comments.get(change.comment_id))]
    if moved:
        names = ", ".join(change.reference for change in moved[:10]) + (" and others" if len(moved) > 10 else "")
        raise ApplyError(
            f"Nothing was applied: {names} changed in the app after the dry run. "
            "Upload the file again to see the new plan."
        )
    applied = 0
    for change in chosen:
        try:
            applied += moderation.set_disposition(
                moderator, comments[change.comment_id], change.after_disposition, change.after_response
            )
        except moderation.ModerationError as error:
            raise ApplyError(f"Nothing was applied: {error}", error.status) from None
    return applied


def _locked(ids: list[int]) -> dict[int, Comment]:
    """The comments, re-read from the database (not the session's copies) and locked where the database can
    (FOR UPDATE on PostgreSQL), so nobody changes them between our check and our write."""
    comments = {}
    for start in range(0, len(ids), BATCH):
        statement = (
            select(Comment)
            .where(Comment.id.in_(ids[start : start + BATCH]))
            .order_by(Comment.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        comments.update((comment.id, comment) for comment in db.session.scalars(statement))
    return comments


def _moved(change: Change, comment: Comment | None) -> bool:
    if comment is None or comment.status == CommentStatus.WITHDRAWN.value:
        return True
    now = (comment.disposition or "", comment.response, iso(comment.responded_at))
    return now != (change.before_disposition, change.before_response, change.database_responded_at)
