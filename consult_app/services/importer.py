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

Themes. When the file has a `themes` column (the export writes one), each row's cell is the comment's whole
set of themes: names of its document's themes separated by ";", in any case and order. An edited cell tags
and untags the comment (through services/themes.py, so each change is an audit event); an emptied cell
removes every theme. A name the document's frame does not have is a row error, never a new theme: a typo
must not grow the code frame, which moderators keep on the themes page. A file without the column leaves
every comment's themes as they are. A row without an answer but with changed themes is a change too.

Every other column (the text, the author, `language` ...) is the log's record of the comment and is never read
back: a file with or without it imports the same, and an edited cell there changes nothing.

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

from flask_babel import format_decimal, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Comment, CommentStatus, Disposition, User
from consult_app.models.comment import RESPONSE_MAX
from consult_app.permissions import can_moderate, can_respond
from consult_app.services import moderation, themes
from consult_app.services.export import FORMULA_STARTS, iso

MAX_ROWS = 300_000
REQUIRED = ("reference", "disposition", "response")
RESPONDED_AT = "responded_at"
THEMES = "themes"
OPTIONAL = (RESPONDED_AT, THEMES)
DELIMITERS = (",", ";", "\t")
BATCH = 1000  # ids per IN (...): well under SQLite's and PostgreSQL's parameter limits
SAVE_AS = _l("Save it from the spreadsheet as “CSV UTF-8 (comma delimited)”.")
# Files people upload by mistake, recognised by their first bytes.
SIGNATURES = {
    b"PK\x03\x04": _l("This is a spreadsheet workbook (.xlsx, .ods) or another zip file, not a CSV file."),
    b"\xd0\xcf\x11\xe0": _l("This is an old Excel workbook (.xls), not a CSV file."),
    b"%PDF": _l("This is a PDF document, not a CSV file."),
}
DISPOSITIONS = tuple(member.value for member in Disposition)


class ImportFileError(ValueError):
    """The file as a whole cannot be read; nothing in it is used. The message says why."""


class ApplyError(ValueError):
    """apply() refused; nothing may be committed. `status` is the HTTP status to answer with; `field` says what
    check() refused ("file": rows with problems, "override": a reference that is not a conflict)."""

    def __init__(self, message: str, status: int = 409, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


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
    disposition: str  # "" (with response "") when the row gives no answer, only themes
    response: str
    responded_at: str | None  # None when the file has no responded_at column
    themes: tuple[str, ...] | None = None  # the theme names of the cell; None when the file has no themes column


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
    # Themes: names as the frame spells them; ids to tag with. Equal before and after when the file leaves
    # them alone; then the change is only the answer (and for a themes-only change, the answer stays).
    before_themes: tuple[str, ...] = ()
    after_themes: tuple[str, ...] = ()
    before_theme_ids: tuple[int, ...] = ()
    after_theme_ids: tuple[int, ...] = ()

    @property
    def answer_changes(self) -> bool:
        return (self.before_disposition, self.before_response) != (self.after_disposition, self.after_response)

    @property
    def themes_change(self) -> bool:
        return set(self.before_theme_ids) != set(self.after_theme_ids)


@dataclass(frozen=True)
class Applied:
    answers: int  # comments whose disposition or response changed
    themes: int  # comments whose themes changed

    def words(self) -> str:
        """'2 dispositions updated', with '; themes changed on 3 comments' when any did."""
        answers = ngettext("%(num)d disposition updated", "%(num)d dispositions updated", self.answers)
        if not self.themes:
            return answers
        return ngettext(
            "%(answers)s; themes changed on %(num)d comment",
            "%(answers)s; themes changed on %(num)d comments",
            self.themes,
            answers=answers,
        )


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
    columns = {name: header.index(name) for name in (*REQUIRED, *OPTIONAL) if name in header}
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
                raise ImportFileError(
                    gettext(
                        "The file has more than %(count)s rows: split it into smaller files.",
                        count=format_decimal(MAX_ROWS),
                    )
                )
            _add_row(parsed, seen, _read_row(record, start, len(header), columns))
    except csv.Error as error:
        raise ImportFileError(
            gettext("Line %(line)d: this is not valid CSV (%(error)s); is a quote left open?", line=line, error=error)
        ) from None
    return parsed


def _decode(data: bytes) -> str:
    for signature, what in SIGNATURES.items():
        if data.startswith(signature):
            raise ImportFileError(f"{what} {SAVE_AS}")  # two sentences, each translated whole
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(gettext("The file starts like UTF-16 text but is not valid UTF-16.")) from None
    else:
        if b"\x00" in data:
            raise ImportFileError(gettext("This is not a CSV file: it contains binary data."))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data[: error.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
            raise ImportFileError(
                gettext("The file is not UTF-8 text (see line %(line)d). %(save_as)s", line=line, save_as=SAVE_AS)
            ) from None
    if "\x00" in text:
        raise ImportFileError(gettext("This is not a CSV file: it contains binary data."))
    if not text.strip():
        raise ImportFileError(gettext("The file is empty."))
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
            gettext(
                "The first line is not the response log's header: it should name the columns reference, "
                "disposition and response, as the exported file does."
            )
        )
    if missing:
        # Column names are codes of the file, the same in every language; at most two are missing here.
        shown = [repr(name) for name in missing]
        if len(shown) == 1:
            raise ImportFileError(gettext("The file has no %(column)s column.", column=shown[0]))
        raise ImportFileError(
            gettext("The file has no %(first)s or %(second)s column.", first=shown[0], second=shown[-1])
        )
    for name in (*REQUIRED, *OPTIONAL):
        if names.count(name) > 1:
            raise ImportFileError(gettext("The header names the column %(name)s more than once.", name=repr(name)))
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
        return RowError(
            line,
            raw_reference,
            ngettext(
                "The row has %(fields)d fields; the header has %(num)d.",
                "The row has %(fields)d fields; the header has %(num)d.",
                width,
                fields=len(record),
            ),
        )
    cell = {name: _unguard(record[index]).strip() for name, index in columns.items()}
    disposition, response = cell["disposition"], cell["response"]
    names = _theme_names(cell[THEMES]) if THEMES in cell else None
    if not disposition and not response and names is None:
        return None
    comment_id = Comment.id_from_reference(cell["reference"])
    if comment_id is None:
        if raw_reference:
            message = gettext("%(value)s is not a comment reference (like C-000042).", value=repr(raw_reference))
        else:
            message = gettext("The row has no comment reference (like C-000042).")
        return RowError(line, raw_reference, message)
    reference = Comment.reference_of(comment_id)
    if not disposition and not response:
        return Row(line, reference, comment_id, "", "", cell.get(RESPONDED_AT), names)  # themes only
    if not disposition:
        return RowError(line, reference, gettext("The row has a response but no disposition."))
    if disposition not in DISPOSITIONS:
        known = ", ".join(DISPOSITIONS)
        return RowError(
            line,
            reference,
            gettext(
                "Unknown disposition %(value)s (use one of: %(known)s).", value=repr(disposition[:40]), known=known
            ),
        )
    if len(response) > RESPONSE_MAX:
        return RowError(
            line,
            reference,
            gettext("The response is longer than %(count)s characters.", count=format_decimal(RESPONSE_MAX)),
        )
    return Row(line, reference, comment_id, disposition, response, cell.get(RESPONDED_AT), names)


def _theme_names(cell: str) -> tuple[str, ...]:
    """The names in a themes cell, each once (whatever its case), without blanks: "a; ;A;b" is ("a", "b")."""
    names = {}
    for name in cell.split(themes.SEPARATOR):
        name = " ".join(name.split())
        if name:
            names.setdefault(themes.name_key(name), name)
    return tuple(names.values())


def _add_row(parsed: ParsedFile, seen: dict[int, int], row: Row | RowError | None) -> None:
    if row is None:
        parsed.unanswered += 1
    elif isinstance(row, RowError):
        parsed.errors.append(row)
    elif row.comment_id in seen:
        first = seen[row.comment_id]
        message = gettext(
            "%(reference)s is on line %(first)d and again on line %(line)d: keep one of them.",
            reference=row.reference,
            first=first,
            line=row.line,
        )
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
    document_id: int
    theme_ids: tuple[int, ...] = ()
    theme_names: tuple[str, ...] = ()


def plan(parsed: ParsedFile, moderator: User | None = None) -> Plan:
    """Compare each parsed row with its comment; nothing is written. With the `moderator` who imports, a change
    to the answer of a comment they wrote is a row error (nobody answers their own comment); a dry run without
    one cannot tell, and apply() refuses such a change anyway."""
    states = _states([row.comment_id for row in parsed.rows])
    frames = _frames({state.document_id for state in states.values()})
    result = Plan(errors=list(parsed.errors), unanswered=parsed.unanswered, has_responded_at=parsed.has_responded_at)
    for row in parsed.rows:
        state = states.get(row.comment_id)
        wanted = None if state is None else _wanted_themes(row, frames.get(state.document_id, {}))
        if state is None:
            result.errors.append(
                RowError(
                    row.line, row.reference, gettext("There is no comment %(reference)s.", reference=row.reference)
                )
            )
            continue
        if isinstance(wanted, RowError):
            result.errors.append(wanted)
            continue
        answer = bool(row.disposition) and (state.disposition, _lines(state.response)) != (
            row.disposition,
            _lines(row.response),
        )
        retag = wanted is not None and {theme.id for theme in wanted} != set(state.theme_ids)
        if not answer and not retag:
            if row.disposition:
                result.unchanged += 1
            else:
                result.unanswered += 1
        elif answer and state.status == CommentStatus.WITHDRAWN.value:
            message = gettext(
                "%(reference)s was withdrawn by its author: its disposition cannot change.", reference=row.reference
            )
            result.errors.append(RowError(row.line, row.reference, message))
        elif answer and moderator is not None and not can_respond(moderator, state):
            message = gettext(
                "%(reference)s is your own comment: another moderator must record its disposition.",
                reference=row.reference,
            )
            result.errors.append(RowError(row.line, row.reference, message))
        else:
            result.changes.append(_change(row, state, parsed.has_responded_at, answer, wanted))
    result.errors.sort(key=lambda error: error.line)
    return result


def _lines(text: str) -> str:
    # Browsers send CRLF from a textarea and spreadsheets save LF: line ends alone are not a change.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _wanted_themes(row: Row, frame: dict[str, themes.Theme]) -> tuple[themes.Theme, ...] | RowError | None:
    """The themes the row's cell names, from its comment's document's frame; None when the file has no themes
    column; a RowError naming the names the frame does not have (they are never created: see the docstring)."""
    if row.themes is None:
        return None
    unknown = [name for name in row.themes if themes.name_key(name) not in frame]
    if unknown:
        shown = ", ".join(f"“{name[:80]}”" for name in unknown[:3])
        if len(unknown) > 3:
            message = gettext(
                "The comment’s document has no theme %(names)s and others: add them on the themes page first, "
                "or correct the names.",
                names=shown,
            )
        else:
            message = ngettext(
                "The comment’s document has no theme %(names)s: add it on the themes page first, or correct the name.",
                "The comment’s document has no theme %(names)s: add them on the themes page first, or correct the "
                "names.",
                len(unknown),
                names=shown,
            )
        return RowError(row.line, row.reference, message)
    return tuple(sorted((frame[themes.name_key(name)] for name in row.themes), key=lambda theme: theme.name_key))


def _change(row: Row, state: _State, has_responded_at: bool, answer: bool, wanted) -> Change:
    file_moment = _moment(row.responded_at or "")
    # See the module docstring: without responded_at, overwriting any existing answer needs an override.
    conflict = answer and (file_moment != state.responded_at if has_responded_at else bool(state.disposition))
    after = (row.disposition, row.response) if answer else (state.disposition, state.response)
    after_ids = state.theme_ids if wanted is None else tuple(theme.id for theme in wanted)
    after_names = state.theme_names if wanted is None else tuple(theme.name for theme in wanted)
    return Change(
        row.line, row.reference, row.comment_id, state.disposition, state.response, *after,
        conflict, file_moment, state.responded_at,
        before_themes=state.theme_names, after_themes=after_names,
        before_theme_ids=state.theme_ids, after_theme_ids=after_ids,
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
        batch = ids[start : start + BATCH]
        statement = select(
            Comment.id, Comment.disposition, Comment.response, Comment.responded_at, Comment.status,
            Comment.author_id, Comment.document_id,
        ).where(Comment.id.in_(batch))  # fmt: skip
        tagged = themes.themes_of(batch)
        for record in db.session.execute(statement):
            frame = tagged.get(record.id, [])
            states[record.id] = _State(
                record.disposition or "", record.response, iso(record.responded_at), record.status, record.author_id,
                record.document_id, tuple(theme.id for theme in frame), tuple(theme.name for theme in frame),
            )  # fmt: skip
    return states


def _frames(document_ids: set[int]) -> dict[int, dict[str, themes.Theme]]:
    """Each document's themes by name_key: what a themes cell may name."""
    frames: dict[int, dict[str, themes.Theme]] = {document_id: {} for document_id in document_ids}
    if document_ids:
        for theme in db.session.scalars(select(themes.Theme).where(themes.Theme.document_id.in_(document_ids))):
            frames[theme.document_id][theme.name_key] = theme
    return frames


# --- apply --------------------------------------------------------------------------------------------------


def check(plan: Plan, override: set[str]) -> list[Change]:
    """The changes apply() writes: every ready change, and the conflicts named in `override`. Raises ApplyError
    (400) when the plan has any row error (`field` "file"), or when `override` names a reference that is not a
    conflict (`field` "override"). The command line asks this before it looks for an account to apply as."""
    if plan.errors:
        message = ngettext(
            "Nothing was applied: %(count)s row of the file has problems.",
            "Nothing was applied: %(count)s rows of the file have problems.",
            len(plan.errors),
            count=format_decimal(len(plan.errors)),
        )
        raise ApplyError(message, 400, field="file")
    stray = sorted(set(override) - {change.reference for change in plan.conflicts})
    if stray:
        message = ngettext(
            "Nothing was applied: %(references)s is not a conflict in this import.",
            "Nothing was applied: %(references)s are not conflicts in this import.",
            len(stray[:5]),
            references=", ".join(stray[:5]),
        )
        raise ApplyError(message, 400, field="override")
    return [change for change in plan.changes if not change.conflict or change.reference in override]


def apply(moderator: User, plan: Plan, override: set[str]) -> Applied:
    """Apply the plan as `moderator`, all or nothing: the changes check() returns.

    Refuses (ApplyError) what check() refuses, and everything when a comment to change is no longer in the
    state the plan saw (someone answered or retagged it since the dry run). Each answer goes through
    moderation.set_disposition and each change of themes through themes.set_themes, so every change is an
    audit event under `moderator`. Only flushes: the caller commits, or rolls back on ApplyError.
    """
    if not can_moderate(moderator):
        raise ApplyError(gettext("Only moderators record dispositions."), 403)
    chosen = check(plan, override)
    comments = _locked([change.comment_id for change in chosen])
    tagged = themes.themes_of([change.comment_id for change in chosen if change.themes_change])
    moved = [change for change in chosen if _moved(change, comments.get(change.comment_id), tagged)]
    if moved:
        names = ", ".join(change.reference for change in moved[:10])
        if len(moved) > 10:
            message = gettext(
                "Nothing was applied: %(references)s and others changed in the app after the dry run. "
                "Upload the file again to see the new plan.",
                references=names,
            )
        else:
            message = gettext(
                "Nothing was applied: %(references)s changed in the app after the dry run. "
                "Upload the file again to see the new plan.",
                references=names,
            )
        raise ApplyError(message)
    answers = retagged = 0
    for change in chosen:
        comment = comments[change.comment_id]
        try:
            if change.answer_changes:
                answers += moderation.set_disposition(
                    moderator, comment, change.after_disposition, change.after_response
                )
            if change.themes_change:
                retagged += themes.set_themes(comment, change.after_theme_ids, moderator)
        except (moderation.ModerationError, themes.ThemeError) as error:
            raise ApplyError(gettext("Nothing was applied: %(reason)s", reason=error), error.status) from None
    return Applied(answers, retagged)


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


def _moved(change: Change, comment: Comment | None, tagged: dict[int, list[themes.Theme]]) -> bool:
    """Whether what the change is about changed since the dry run: the answer, the themes, or both."""
    if comment is None:
        return True
    if change.answer_changes:
        now = (comment.disposition or "", comment.response, iso(comment.responded_at))
        answer_then = (change.before_disposition, change.before_response, change.database_responded_at)
        if comment.status == CommentStatus.WITHDRAWN.value or now != answer_then:
            return True
    if change.themes_change:
        now_ids = {theme.id for theme in tagged.get(comment.id, [])}
        return now_ids != set(change.before_theme_ids)
    return False
