"""The response log: every comment as one row, streamed from the database (CSV or JSON).

Rows are read in batches with a server-side cursor where the database has one, so memory stays flat
however many comments there are. The CSV follows RFC 4180 and neutralises spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import ARRAY, Integer, Text, and_, any_, case, cast, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from consult_app.extensions import db
from consult_app.models import Comment, CommentStatus, Document, Section, Theme, User, Version, comment_themes
from consult_app.models.comment import DELETED_ACCOUNT
from consult_app.services.themes import SEPARATOR as THEME_SEPARATOR

COLUMNS = (
    "reference",
    "document",
    "version",
    "section_number",
    "section_key",
    "section_title",
    "parent_reference",
    "kind",
    "quote",
    "comment",
    "publication",
    "status",
    "submitted_at",
    "author_name",
    "author_email",
    "organisation",
    "respondent_type",
    "country",
    "moderated_by",
    "moderated_at",
    "moderation_reason",
    "disposition",
    "response",
    "responded_by",
    "responded_at",
    # Appended after the columns of the first release (PRODUCT.md): theme names, separated by THEME_SEPARATOR.
    "themes",
    # The interface language the comment was written in (en, fr, ru); "en" for comments from before languages.
    "language",
)
# A spreadsheet runs a cell that starts with one of these as a formula; a leading ' makes it text. A value that
# starts with ' itself gets one more, so that the importer can always take the guard off again: without it,
# "'-' means no data" would come back from a spreadsheet as "-' means no data".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "'")
BATCH = 2000  # rows per fetch, per theme query and per chunk of CSV: 2,000 was about 10 % faster than 1,000
BOM = "\ufeff"
_in_column_order = itemgetter(*COLUMNS)


class ExportError(ValueError):
    """A filter value that names nothing; the message says which."""


@dataclass(frozen=True)
class ExportFilters:
    document: str = ""
    status: str = ""
    section: str = ""


def check_filters(filters: ExportFilters) -> None:
    """Raise ExportError for an unknown status or document, before any output is sent."""
    if filters.status and filters.status not in set(CommentStatus):
        known = ", ".join(status.value for status in CommentStatus)
        raise ExportError(f"Unknown status '{filters.status}' (use one of: {known}).")
    if filters.document and db.session.scalar(select(Document.id).where(Document.slug == filters.document)) is None:
        raise ExportError(f"There is no document '{filters.document}'.")


def count_rows(filters: ExportFilters) -> int:
    statement = _filtered(select(func.count(Comment.id)).select_from(Comment), filters)
    return db.session.scalar(statement)


def rows(filters: ExportFilters) -> Iterator[dict[str, str]]:
    """Every matching comment as a dict of COLUMNS, oldest first, fetched in batches."""
    for batch, themes in _batches(filters):
        for record in batch:
            yield _as_row(record, themes.get(record[0], ""))


def _batches(filters: ExportFilters, query=None, id_at: int = 0) -> Iterator[tuple[list, dict[int, str]]]:
    """The rows of `query` (_row_query by default), BATCH at a time, each batch with the theme names of its
    comments (whose ids are the rows' item `id_at`)."""
    statement = _filtered(_row_query() if query is None else query, filters).execution_options(yield_per=BATCH)
    # On the session's connection, not through the ORM: the rows are plain columns, and the ORM's bookkeeping
    # for each row was about a quarter of the export's time.
    connection = db.session.connection()
    result = connection.execute(statement)
    try:
        for batch in result.partitions():
            yield batch, _theme_names(connection, [record[id_at] for record in batch])
    finally:
        # A download the client abandoned stops here: close PostgreSQL's server-side cursor at once.
        result.close()


def csv_text(
    filters: ExportFilters, *, bom: bool = False, progress: Callable[[int], None] | None = None
) -> Iterator[str]:
    """The response log CSV of `filters`, the same text as csv_chunks(rows(filters)), a batch of rows at a time;
    `progress(n)` is told each batch's row count. The downloads and the CLI use this one: no dict per row and
    one writerows per batch (with the timestamps formatted by the database) took the export of 20,000 comments on
    PostgreSQL from 1.8 to 0.9 s."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM if bom else "")
    writer.writerow(COLUMNS)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        yield _drain(buffer)
        yield from _copied_rows(connection, filters, progress)
        return
    for batch, themes in _batches(filters, _csv_query(), _CSV_ID):
        # Every cell comes from the database as the CSV shows it, formula guard included (_csv_query), but the
        # themes, which a few comments have: a row is written as it came, less the comment id at its end.
        writer.writerows(
            row[:_CSV_ID]
            if (names := themes.get(row[_CSV_ID])) is None
            else (*row[:_THEMES], neutralise(names), *row[_THEMES + 1 : _CSV_ID])
            for row in batch
        )
        if progress is not None:
            progress(len(batch))
        yield _drain(buffer)
    yield _drain(buffer)


def _copied_rows(connection, filters: ExportFilters, progress: Callable[[int], None] | None) -> Iterator[str]:
    """The rows of the CSV, BATCH at a time, written by PostgreSQL's COPY ... TO STDOUT (FORMAT csv) from
    _copy_query: the same text as Python's csv writer would make (the same quoting: a cell with a comma, a double
    quote, CR or LF is quoted, quotes doubled), but for the line ends, LF from COPY, which become CRLF. COPY sends
    each row as one message ending in its LF (a line break inside a cell is inside quotes), so each row's last
    byte is that LF. The Python rows cost about four times what COPY does (driver conversion of every cell)."""
    ids, themes = _every_comments_themes(connection)
    compiled = _filtered(_copy_query(ids, themes), filters).compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    driver = connection.connection.driver_connection
    encoding = driver.info.encoding
    with driver.cursor() as cursor, cursor.copy(f"COPY ({compiled}) TO STDOUT (FORMAT csv)", compiled.params) as copy:
        rows: list = []
        for row in copy:
            rows.append(row[:-1])
            if len(rows) == BATCH:
                yield _crlf_lines(rows, encoding)
                if progress is not None:
                    progress(len(rows))
                rows = []
        if rows:
            yield _crlf_lines(rows, encoding)
            if progress is not None:
                progress(len(rows))


def _crlf_lines(rows: list, encoding: str) -> str:
    return (b"\r\n".join(rows) + b"\r\n").decode(encoding)


def _every_comments_themes(connection) -> tuple[list[int], list[str]]:
    """Every tagged comment's id and its themes cell (names sorted as _theme_names sorts them), as two lists."""
    statement = select(comment_themes.c.comment_id, Theme.name).join(Theme, Theme.id == comment_themes.c.theme_id)
    names: dict[int, list[str]] = {}
    for comment_id, name in connection.execute(statement):
        names.setdefault(comment_id, []).append(name)
    ids = list(names)
    return ids, [THEME_SEPARATOR.join(sorted(names[comment_id], key=str.casefold)) for comment_id in ids]


def csv_chunks(records: Iterable[dict[str, str]], *, bom: bool = False) -> Iterator[str]:
    """The CSV text in pieces of about BATCH rows: header first, CRLF line ends, formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM if bom else "")
    writer.writerow(COLUMNS)
    for number, record in enumerate(records, start=1):
        # neutralise() inlined: this line runs once per cell, 27 times per comment.
        writer.writerow(["'" + v if v.startswith(FORMULA_STARTS) else v for v in _in_column_order(record)])
        if number % BATCH == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def json_chunks(records: Iterable[dict[str, str]]) -> Iterator[str]:
    """A JSON array of row objects, streamed; values exactly as stored (no formula guard: not a spreadsheet)."""
    yield "["
    for number, record in enumerate(records):
        yield ("," if number else "") + "\n" + json.dumps(record, ensure_ascii=False)
    yield "\n]\n"


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


class _Record(NamedTuple):
    """One row of _row_query, read by name: _row_query selects exactly these fields, in this order, so the two
    cannot drift apart. (A named tuple's fields are read as fast as a plain tuple's items; SQLAlchemy's own
    Row looked up by name was a third of the export's time.)"""

    comment_id: int
    section_key: str
    parent_id: int | None
    kind: str
    quote: str
    body_md: str
    publication: str
    status: str
    created_at: str  # the timestamps as export text (iso()), made by the database: see _IsoText
    moderated_at: str | None
    moderation_reason: str | None
    moderation_note: str
    disposition: str | None
    response: str
    responded_at: str | None
    slug: str
    version: int
    section_number: int | None
    section_title: str | None
    author_id: int | None
    display_name: str | None
    email: str | None
    organisation: str | None
    respondent_type: str | None
    country: str | None
    moderator_name: str | None
    responder_name: str | None
    language: str


def _row_query():
    """Plain columns, not ORM objects: nothing accumulates in the session while 200,000 rows stream past."""
    author, moderator, responder = _AUTHOR, _MODERATOR, _RESPONDER
    columns = {
        "comment_id": Comment.id,
        "section_key": Comment.section_key,
        "parent_id": Comment.parent_id,
        "kind": Comment.kind,
        "quote": Comment.quote,
        "body_md": Comment.body_md,
        "publication": Comment.publication,
        "status": Comment.status,
        "created_at": _IsoText(Comment.created_at),
        "moderated_at": _IsoText(Comment.moderated_at),
        "moderation_reason": Comment.moderation_reason,
        "moderation_note": Comment.moderation_note,
        "disposition": Comment.disposition,
        "response": Comment.response,
        "responded_at": _IsoText(Comment.responded_at),
        "slug": Document.slug,
        "version": Version.number,
        "section_number": Section.number,
        "section_title": Section.title,
        "author_id": author.id,
        "display_name": author.display_name,
        "email": author.email,
        "organisation": author.organisation,
        "respondent_type": author.respondent_type,
        "country": author.country,
        "moderator_name": moderator.display_name,
        "responder_name": responder.display_name,
        "language": Comment.language,
    }
    return _joined(select(*(columns[name].label(name) for name in _Record._fields)))


_AUTHOR, _MODERATOR, _RESPONDER = aliased(User), aliased(User), aliased(User)


def _joined(statement):
    """`statement` (columns of a comment, its document, version, section, author, moderator and responder) with
    the joins that bring them, in the export's order."""
    section = and_(Section.version_id == Comment.version_id, Section.key == Comment.section_key)
    return (
        statement
        .join(Document, Comment.document_id == Document.id)
        .join(Version, Comment.version_id == Version.id)
        .outerjoin(Section, section)
        .outerjoin(_AUTHOR, Comment.author_id == _AUTHOR.id)
        .outerjoin(_MODERATOR, Comment.moderated_by_id == _MODERATOR.id)
        .outerjoin(_RESPONDER, Comment.responded_by_id == _RESPONDER.id)
        .order_by(Comment.created_at, Comment.id)
    )  # fmt: skip


def _csv_query():
    """The CSV's cells in the order of COLUMNS, made by the database exactly as _cells() and the formula guard
    make them in Python, then the comment's id (for its themes, which are added per batch: the "themes" cell
    here is empty). Python then only writes the rows: a function call per row and a guard per cell were about
    half of the CSV export's time in Python on SQLite."""
    cells = _csv_cells(literal(""))
    return _joined(select(*(cell.label(f"c{number}") for number, cell in enumerate(cells.values())), Comment.id))


def _copy_query(tagged_ids: list[int], tagged_themes: list[str]):
    """The CSV's cells for PostgreSQL's COPY: the themes joined from the given lists (comment id, its themes'
    cell text), and every empty cell NULL, which COPY writes as nothing, as Python's csv writer writes "" (COPY
    writes an empty string as a quoted "")."""
    tagged = (
        func.unnest(cast(literal(tagged_ids), ARRAY(Integer)), cast(literal(tagged_themes), ARRAY(Text)))
        .table_valued("comment_id", "names")
        .render_derived(name="tagged")
    )
    cells = _csv_cells(_guard(func.coalesce(tagged.c.names, "")))
    columns = (func.nullif(cell, "").label(f"c{number}") for number, cell in enumerate(cells.values()))
    return _joined(select(*columns)).outerjoin(tagged, tagged.c.comment_id == Comment.id)


def _csv_cells(themes) -> dict:
    """Each CSV cell of a comment as SQL, by column name, in the order of COLUMNS; `themes` is the themes cell."""
    author, moderator, responder = _AUTHOR, _MODERATOR, _RESPONDER
    has_author = author.id.is_not(None)
    reason, note = Comment.moderation_reason, Comment.moderation_note
    cells = {
        "reference": _Reference(Comment.id),
        "document": _guard(Document.slug),
        "version": cast(Version.number, Text),
        "section_number": func.coalesce(cast(Section.number, Text), ""),
        "section_key": _guard(Comment.section_key),
        "section_title": _guard(func.coalesce(Section.title, "")),
        "parent_reference": case((Comment.parent_id.is_not(None), _Reference(Comment.parent_id)), else_=""),
        "kind": _guard(Comment.kind),
        "quote": _guard(Comment.quote),
        "comment": _guard(Comment.body_md),
        "publication": _guard(Comment.publication),
        "status": _guard(Comment.status),
        "submitted_at": _IsoText(Comment.created_at),
        "author_name": _guard(case((has_author, func.coalesce(author.display_name, "")), else_=DELETED_ACCOUNT)),
        "author_email": _guard(case((has_author, func.coalesce(author.email, "")), else_="")),
        "organisation": _guard(case((has_author, func.coalesce(author.organisation, "")), else_="")),
        "respondent_type": _guard(case((has_author, func.coalesce(author.respondent_type, "")), else_="")),
        "country": _guard(case((has_author, func.coalesce(author.country, "")), else_="")),
        "moderated_by": _guard(_staff_cell(moderator.display_name, Comment.moderated_at)),
        "moderated_at": func.coalesce(_IsoText(Comment.moderated_at), ""),
        # ": ".join(filter(None, (reason, note))): both when both say something, else whichever does.
        "moderation_reason": _guard(
            case(
                (and_(func.coalesce(reason, "") != "", func.coalesce(note, "") != ""), reason + ": " + note),
                else_=func.coalesce(func.nullif(reason, ""), func.nullif(note, ""), ""),
            )
        ),
        "disposition": _guard(func.coalesce(Comment.disposition, "")),
        "response": _guard(Comment.response),
        "responded_by": _guard(_staff_cell(responder.display_name, Comment.responded_at)),
        "responded_at": func.coalesce(_IsoText(Comment.responded_at), ""),
        "themes": themes,
        "language": _guard(Comment.language),
    }
    if tuple(cells) != COLUMNS:  # a column added to one and not the other: fail at once, not in a spreadsheet
        raise RuntimeError("the export's CSV cells do not match COLUMNS")
    return cells


_THEMES, _CSV_ID = COLUMNS.index("themes"), len(COLUMNS)  # where the themes go, and the id that finds them


def _guard(cell):
    """The formula guard (neutralise()) in SQL: a cell that starts with one of FORMULA_STARTS gets a leading '."""
    return case((func.substr(cell, 1, 1).in_(FORMULA_STARTS), literal("'") + cell), else_=cell)


def _staff_cell(name, acted_at):
    """_staff() in SQL: the name, or DELETED_ACCOUNT when someone acted and their account is gone, or ""."""
    return func.coalesce(name, case((acted_at.is_not(None), DELETED_ACCOUNT), else_=""))


class _Reference(FunctionElement):
    """Comment.reference_of() in SQL: "C-" and the id, at least six digits ("C-000042", "C-1234567")."""

    type = Text()
    inherit_cache = True


@compiles(_Reference, "postgresql")
def _reference_postgresql(element, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"'C-' || CASE WHEN {column} < 1000000 THEN lpad({column}::text, 6, '0') ELSE {column}::text END"


@compiles(_Reference, "sqlite")
def _reference_sqlite(element, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"'C-' || printf('%06d', {column})"


def _filtered(statement, filters: ExportFilters):
    if filters.document:
        statement = statement.where(
            Comment.document_id == select(Document.id).where(Document.slug == filters.document).scalar_subquery()
        )
    if filters.status:
        statement = statement.where(Comment.status == filters.status)
    if filters.section:
        statement = statement.where(Comment.section_key == filters.section)
    return statement


def _theme_names(connection, comment_ids: list[int]) -> dict[int, str]:
    """The theme names of each tagged comment among `comment_ids` (one batch of rows), sorted and joined with
    THEME_SEPARATOR; names never contain it (services/themes.py refuses it). One query per batch: a subquery per
    row nearly doubled the export's time on PostgreSQL, and a join with the names grouped per comment was worse
    still there (a server-side cursor's plan, made for the first rows, aggregated again for each one)."""
    if connection.dialect.name == "postgresql":
        # One array parameter: binding a thousand separate ones cost four times the query itself.
        wanted = comment_themes.c.comment_id == any_(literal(comment_ids, ARRAY(Integer)))
    else:
        wanted = comment_themes.c.comment_id.in_(comment_ids)
    statement = (
        select(comment_themes.c.comment_id, Theme.name).join(Theme, Theme.id == comment_themes.c.theme_id).where(wanted)
    )
    names: dict[int, list[str]] = {}
    for comment_id, name in connection.execute(statement):
        names.setdefault(comment_id, []).append(name)
    return {comment_id: THEME_SEPARATOR.join(sorted(found, key=str.casefold)) for comment_id, found in names.items()}


def _as_row(row, themes: str) -> dict[str, str]:
    return dict(zip(COLUMNS, _cells(row, themes), strict=True))


def _cells(row, themes: str) -> list[str]:
    """One row of _row_query as the export's cells, in the order of COLUMNS (not neutralised)."""
    r = _Record._make(row)
    # A note can come with an approval too (the form offers it with both buttons): never drop it.
    reason = ": ".join(filter(None, (r.moderation_reason, r.moderation_note)))
    has_author = r.author_id is not None
    return [
        Comment.reference_of(r.comment_id),
        r.slug,
        str(r.version),
        "" if r.section_number is None else str(r.section_number),
        r.section_key,
        r.section_title or "",
        Comment.reference_of(r.parent_id) if r.parent_id else "",
        r.kind,
        r.quote,
        r.body_md,
        r.publication,
        r.status,
        _stamp(r.created_at),
        r.display_name if has_author else DELETED_ACCOUNT,
        r.email if has_author else "",
        r.organisation if has_author else "",
        r.respondent_type if has_author else "",
        r.country if has_author else "",
        _staff(r.moderator_name, r.moderated_at),
        _stamp(r.moderated_at),
        reason,
        r.disposition or "",
        r.response,
        _staff(r.responder_name, r.responded_at),
        _stamp(r.responded_at),
        themes,
        r.language,
    ]


class _IsoText(FunctionElement):
    """A UTCDateTime column as iso() writes it, made by the database: the driver's datetimes and their conversion
    back to text were the largest share of the export's time on PostgreSQL."""

    type = Text()
    inherit_cache = True


@compiles(_IsoText, "postgresql")
def _iso_text_postgresql(element, compiler, **kw) -> str:
    # to_char truncates to the second, as iso() does.
    column = compiler.process(element.clauses, **kw)
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


@compiles(_IsoText, "sqlite")
def _iso_text_sqlite(element, compiler, **kw) -> str:
    # SQLite keeps the UTC time as text, "YYYY-MM-DD HH:MM:SS.ffffff" (models/types.py): cut the parts out.
    # Not strftime(), which rounds to the millisecond and so can move 59.9996 s to the next minute.
    column = compiler.process(element.clauses, **kw)
    return f"substr({column}, 1, 10) || 'T' || substr({column}, 12, 8) || 'Z'"


def _stamp(moment: str | datetime | None) -> str:
    """A timestamp cell: the database's text (_IsoText) as it is, a datetime (a row read some other way) by iso()."""
    return moment if isinstance(moment, str) else iso(moment)


def _staff(name: str | None, acted_at: str | datetime | None) -> str:
    """The moderator who acted; when they did (`acted_at`) but their account is gone, DELETED_ACCOUNT."""
    if name is not None:
        return name
    return DELETED_ACCOUNT if acted_at is not None else ""


def iso(moment: datetime | None) -> str:
    """ISO 8601 in UTC with a Z, to the second: 2026-11-28T14:35:00Z."""
    if moment is None:
        return ""
    # isoformat, not strftime: the same text at a third of the cost, for up to three timestamps per comment.
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"
