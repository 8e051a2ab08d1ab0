"""Importing the response log: export, edit as a spreadsheet would save it, check (dry run), apply."""

from __future__ import annotations

import codecs
import csv
import io
import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Comment, ModerationEvent, User
from consult_app.services import export, importer, moderation, tokens
from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD, make_comment, make_document, make_user
from tests.markup import dangerous_markup
from tests.support.client import csrf_token

PAYLOAD = '=HYPERLINK("http://evil.example","x")'
EARLIER = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


@pytest.fixture
def log(app_context, tmp_path):
    """Five comments, exported in this order: `first` spans two physical lines of the CSV (its text has a
    line break), so the rows start on lines 2, 4, 5, 6 and 7. `answered` had an answer before the export."""
    document = make_document(tmp_path)
    author = make_user("reviewer", name="Rita Reviewer")
    first = make_comment(author, document, status="approved", body="Please define drift.\nAnd give an example.")
    second = make_comment(author, document, status="approved", body="Second comment")
    answered = make_comment(author, document, status="rejected", body="Answered before the export")
    moderation.set_disposition(make_user("moderator"), answered, "noted", "Thank you.")
    answered.responded_at = EARLIER  # long ago: an answer given during the test is visibly later
    pending = make_comment(author, document, body="Still pending")
    withdrawn = make_comment(author, document, status="withdrawn", body="Never mind")
    db.session.commit()
    return SimpleNamespace(first=first, second=second, answered=answered, pending=pending, withdrawn=withdrawn)


LINES = {"first": 2, "second": 4, "answered": 5, "pending": 6, "withdrawn": 7}


# --- helpers ------------------------------------------------------------------------------------------------


def exported() -> list[dict[str, str]]:
    """The response log as the export writes it, read as a spreadsheet opens it (guards and all)."""
    text = "".join(export.csv_chunks(export.rows(export.ExportFilters())))
    return list(csv.DictReader(io.StringIO(text, newline="")))


def edit(rows: list[dict[str, str]], comment: Comment, **cells: str) -> None:
    next(row for row in rows if row["reference"] == comment.reference).update(cells)


def saved(rows, columns=export.COLUMNS, *, delimiter=",", newline="\r\n", encoding="utf-8", bom=False, quoting=None):
    """The bytes a spreadsheet writes for `rows` (only `columns`, in that order)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer,
        fieldnames=columns,
        delimiter=delimiter,
        lineterminator=newline,
        extrasaction="ignore",
        quoting=csv.QUOTE_MINIMAL if quoting is None else quoting,
    )
    writer.writeheader()
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode(encoding)


def records(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(), newline="")))


def written(table: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(table)
    return buffer.getvalue().encode()


def upload(client, data: bytes, filename: str = "response-log.csv"):
    return client.post("/moderation/import", data={"file": (io.BytesIO(data), filename)})


def plan_token(html: str) -> str:
    match = re.search(r'name="plan" type="hidden" value="([^"]+)"', html)
    assert match, "the page has no apply form"
    return match.group(1)


def apply(client, token: str, override=()):
    return client.post("/moderation/import/apply", data={"plan": token, "override": list(override)})


def answers() -> dict[str, tuple]:
    db.session.expire_all()
    return {c.reference: (c.disposition, c.response, c.responded_by_id) for c in db.session.scalars(select(Comment))}


def answer(comment: Comment) -> tuple:
    return answers()[comment.reference]


def events() -> list[tuple]:
    db.session.expire_all()
    statement = select(ModerationEvent).order_by(ModerationEvent.id)
    return [(e.comment_id, e.from_value, e.to_value, e.reason, e.actor_id) for e in db.session.scalars(statement)]


def error_row(html: str, line: int, reference: str) -> bool:
    return re.search(rf'<th scope="row">{line}</th><td>{re.escape(reference)}</td>', html) is not None


# --- the round trip -----------------------------------------------------------------------------------------

SPREADSHEETS = {
    "as exported": {},
    "UTF-8 with BOM": {"bom": True},
    "LF line ends": {"newline": "\n"},
    "CR line ends": {"newline": "\r", "quoting": csv.QUOTE_ALL},
    "semicolons": {"delimiter": ";"},
    "tabs": {"delimiter": "\t", "newline": "\n"},
    "reordered and dropped columns": {"columns": ("response", "comment", "responded_at", "disposition", "reference")},
    "UTF-16 with BOM (Excel Unicode text)": {"encoding": "utf-16", "delimiter": "\t"},
    "UTF-16 big-endian with BOM": {"encoding": "utf-16-be", "bom": True, "delimiter": ";"},
}


@pytest.mark.parametrize("spreadsheet", SPREADSHEETS.values(), ids=SPREADSHEETS.keys())
def test_round_trip_through_a_spreadsheet(client, log, login_as, spreadsheet):
    uploader = login_as("moderator")
    rows = exported()
    edit(rows, log.first, disposition="accepted", response="We added a definition.\nSee the glossary.")
    edit(rows, log.second, disposition="out_of_scope", response="")
    before, trail = answers(), events()

    check = upload(client, saved(rows, **spreadsheet))
    html = check.get_data(as_text=True)
    assert check.status_code == 200, html
    assert "We added a definition." in html and "Out of scope" in html and "nothing has been saved yet" in html
    assert (answers(), events()) == (before, trail)  # the dry run wrote nothing

    done = apply(client, plan_token(html))
    assert done.status_code == 302 and done.headers["Location"] == "/moderation/import"
    assert "2 dispositions updated." in client.get("/moderation/import").get_data(as_text=True)
    assert answer(log.first) == ("accepted", "We added a definition.\nSee the glossary.", uploader.id)
    assert answer(log.second) == ("out_of_scope", "", uploader.id)
    assert answer(log.answered) == before[log.answered.reference]
    assert events()[len(trail) :] == [
        (log.first.id, None, "accepted", "We added a definition.\nSee the glossary.", uploader.id),
        (log.second.id, None, "out_of_scope", "", uploader.id),
    ]


def test_a_second_export_shows_the_imported_answers(client, log, login_as):
    uploader = login_as("moderator", name="Ursula Uploader")
    rows = exported()
    edit(rows, log.pending, disposition="partially_accepted", response="In part.")
    assert apply(client, plan_token(upload(client, saved(rows)).get_data(as_text=True))).status_code == 302
    row = next(row for row in exported() if row["reference"] == log.pending.reference)
    assert (row["disposition"], row["response"], row["responded_by"]) == (
        "partially_accepted",
        "In part.",
        "Ursula Uploader",
    )
    db.session.expire_all()
    assert row["responded_at"] == export.iso(db.session.get(Comment, log.pending.id).responded_at) != ""
    assert db.session.get(Comment, log.pending.id).responded_by_id == uploader.id


@pytest.mark.parametrize("cell", [export.neutralise(PAYLOAD), PAYLOAD], ids=["with the export's guard", "as typed"])
def test_a_formula_in_a_response_is_stored_as_plain_text(client, log, login_as, cell):
    login_as("moderator")
    rows = exported()
    edit(rows, log.first, disposition="noted", response=cell)
    edit(rows, log.second, disposition="noted", response="'Tis noted.")  # an apostrophe before text stays
    html = upload(client, saved(rows)).get_data(as_text=True)
    assert dangerous_markup(html) == [] and 'href="http://evil.example' not in html
    assert apply(client, plan_token(html)).status_code == 302
    assert answer(log.first)[:2] == ("noted", PAYLOAD)
    assert answer(log.second)[:2] == ("noted", "'Tis noted.")
    row = next(row for row in exported() if row["reference"] == log.first.reference)
    assert row["response"] == "'" + PAYLOAD  # and the next export guards it again


def test_rows_that_change_nothing_are_counted_and_blank_rows_skipped(app_context, log):
    comment = db.session.get(Comment, log.answered.id)
    comment.response = "Thank you.\r\nWe will look again."  # as a browser's textarea sends it
    db.session.commit()
    rows = exported()
    edit(rows, log.answered, response="Thank you.\nWe will look again.")  # as a spreadsheet saves it
    rows += [{}, {}]  # the empty rows some spreadsheets add at the end
    plan = importer.plan(importer.parse(saved(rows)))
    assert (plan.changes, plan.errors, plan.unchanged, plan.unanswered) == ([], [], 1, 4)


# --- conflicts ----------------------------------------------------------------------------------------------


def test_answers_given_in_the_app_after_the_export_are_conflicts(client, log, login_as):
    uploader = login_as("moderator")
    rows = exported()
    other = make_user("moderator")
    moderation.set_disposition(other, db.session.get(Comment, log.second.id), "noted", "Answered in the app.")
    moderation.set_disposition(other, db.session.get(Comment, log.answered.id), "accepted", "Changed in the app.")
    db.session.commit()
    app_time = export.iso(db.session.get(Comment, log.answered.id).responded_at)
    edit(rows, log.first, disposition="accepted", response="From the file.")
    edit(rows, log.second, disposition="not_accepted", response="The file says no.")
    edit(rows, log.answered, disposition="partially_accepted", response="The file says in part.")
    trail = events()

    html = upload(client, saved(rows)).get_data(as_text=True)
    for text in ("Answered in the app.", "The file says no.", "Changed in the app.", "The file says in part."):
        assert text in html
    assert f"Answered in the app: {app_time}" in html and "Answer time in the file: 2026-01-05T09:30:00Z" in html
    assert f'value="{log.second.reference}"' in html and f'value="{log.answered.reference}"' in html
    assert f'value="{log.first.reference}"' not in html  # a first answer is no conflict

    done = apply(client, plan_token(html), override=[log.answered.reference])
    assert done.status_code == 302
    page = client.get("/moderation/import").get_data(as_text=True)
    assert "2 dispositions updated." in page and "1 conflicting row left as in the app." in page
    assert answer(log.first) == ("accepted", "From the file.", uploader.id)
    assert answer(log.second) == ("noted", "Answered in the app.", other.id)  # not overridden: the app's answer
    assert answer(log.answered) == ("partially_accepted", "The file says in part.", uploader.id)
    assert [event[0] for event in events()[len(trail) :]] == [log.first.id, log.answered.id]


def test_without_responded_at_every_change_to_an_answered_comment_is_a_conflict(client, log, login_as):
    login_as("moderator")
    rows = exported()
    edit(rows, log.first, disposition="accepted")
    edit(rows, log.answered, disposition="accepted", response="Better.")
    html = upload(client, saved(rows, ("reference", "disposition", "response"))).get_data(as_text=True)
    assert "has no <code>responded_at</code> column" in html
    plan = importer.plan(importer.parse(saved(rows, ("reference", "disposition", "response"))))
    assert [(c.reference, c.conflict) for c in plan.changes] == [
        (log.first.reference, False),
        (log.answered.reference, True),
    ]
    assert apply(client, plan_token(html)).status_code == 302
    assert answer(log.first)[0] == "accepted" and answer(log.answered)[:2] == ("noted", "Thank you.")


def test_a_change_in_the_app_after_the_dry_run_refuses_the_whole_apply(client, log, login_as):
    login_as("moderator")
    rows = exported()
    edit(rows, log.first, disposition="accepted")
    edit(rows, log.second, disposition="noted")
    token = plan_token(upload(client, saved(rows)).get_data(as_text=True))
    moderation.set_disposition(make_user("moderator"), db.session.get(Comment, log.second.id), "accepted", "Meanwhile.")
    db.session.commit()
    before, trail = answers(), events()
    refused = apply(client, token)
    assert refused.status_code == 409
    assert f"{log.second.reference} changed in the app after the dry run" in refused.get_data(as_text=True)
    assert (answers(), events()) == (before, trail)


def test_a_plan_is_applied_once(client, log, login_as):
    login_as("moderator")
    rows = exported()
    edit(rows, log.first, disposition="accepted")
    token = plan_token(upload(client, saved(rows)).get_data(as_text=True))
    assert apply(client, token).status_code == 302
    trail = events()
    assert apply(client, token).status_code == 409 and events() == trail


# --- problems in rows: nothing is applied -------------------------------------------------------------------


def _unknown(rows, log):
    edit(rows, log.second, reference="C-999999", disposition="noted")
    return LINES["second"], "C-999999", "There is no comment C-999999."


def _malformed(rows, log):
    edit(rows, log.second, reference="X-12", disposition="noted")
    return LINES["second"], "X-12", "'X-12' is not a comment reference"


def _disposition(rows, log):
    edit(rows, log.second, disposition="maybe")
    return LINES["second"], log.second.reference, "Unknown disposition 'maybe' (use one of: accepted,"


def _no_disposition(rows, log):
    edit(rows, log.second, response="An answer without a disposition")
    return LINES["second"], log.second.reference, "The row has a response but no disposition."


def _too_long(rows, log):
    edit(rows, log.second, disposition="noted", response="r" * 10_001)
    return LINES["second"], log.second.reference, "The response is longer than 10,000 characters."


def _withdrawn(rows, log):
    edit(rows, log.withdrawn, disposition="noted")
    return LINES["withdrawn"], log.withdrawn.reference, "was withdrawn by its author"


def _duplicate(rows, log):
    edit(rows, log.second, disposition="noted")
    rows.append(dict(next(row for row in rows if row["reference"] == log.second.reference)))
    return 8, log.second.reference, f"{log.second.reference} is on line 4 and again on line 8"


@pytest.mark.parametrize(
    "problem", [_unknown, _malformed, _disposition, _no_disposition, _too_long, _withdrawn, _duplicate]
)
def test_one_bad_row_among_good_ones_stops_everything(client, log, login_as, problem):
    login_as("moderator")
    rows = exported()
    edit(rows, log.first, disposition="accepted", response="Good row.")
    line, reference, message = problem(rows, log)
    data = saved(rows)
    [error] = importer.plan(importer.parse(data)).errors
    assert (error.line, error.reference) == (line, reference) and message in error.message
    before, trail = answers(), events()
    check = upload(client, data)
    html = check.get_data(as_text=True)
    assert check.status_code == 400
    assert error_row(html, line, reference) and "nothing from it will be applied" in html
    assert 'name="plan"' not in html
    assert (answers(), events()) == (before, trail)


@pytest.mark.parametrize(("change", "count"), [(lambda record: record.append("extra"), 28), (list.pop, 26)])
def test_rows_with_more_or_fewer_fields_than_the_header(client, log, login_as, change, count):
    login_as("moderator")
    table = records(saved(exported()))
    table[2][table[0].index("disposition")] = "noted"
    change(table[2])  # the second comment's row, on line 4
    [error] = importer.parse(written(table)).errors
    assert (error.line, error.reference) == (4, log.second.reference)
    assert error.message == f"The row has {count} fields; the header has {len(export.COLUMNS)}."
    assert upload(client, written(table)).status_code == 400 and answer(log.second)[0] is None


def test_apply_refuses_a_plan_with_row_errors(app_context, log):
    rows = exported()
    edit(rows, log.first, disposition="accepted")
    edit(rows, log.second, disposition="maybe")
    plan = importer.plan(importer.parse(saved(rows)))
    with pytest.raises(importer.ApplyError, match="1 row of the file has problems") as refused:
        importer.apply(make_user("moderator"), plan, set())
    assert refused.value.status == 400 and answer(log.first)[0] is None


def moderators_own_comment(log, moderator_id: int) -> Comment:
    """A comment the moderator wrote, exported on line 8 (after the log's five)."""
    return make_comment(db.session.get(User, moderator_id), log.first.document, status="approved", body="Mine")


def test_a_moderator_cannot_answer_their_own_comment_through_an_import(client, log, login_as):
    me = login_as("moderator")
    own = moderators_own_comment(log, me.id)
    rows = exported()
    edit(rows, log.first, disposition="accepted", response="Fine.")
    edit(rows, own, disposition="accepted", response="I agree with myself.")
    trail = events()
    response = upload(client, saved(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'name="plan"' not in html
    assert error_row(html, 8, own.reference)
    assert f"{own.reference} is your own comment: another moderator must record its disposition." in html
    assert answer(own)[0] is None and answer(log.first)[0] is None and events() == trail
    # Unchanged, the same row is no problem: a moderator may re-import a log in which a colleague answered them.
    moderation.set_disposition(make_user("moderator"), db.session.get(Comment, own.id), "noted", "From a colleague.")
    db.session.commit()
    rows = exported()
    edit(rows, log.first, disposition="accepted", response="Fine.")
    response = upload(client, saved(rows))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert apply(client, plan_token(response.get_data(as_text=True))).status_code == 302
    assert answer(log.first)[:2] == ("accepted", "Fine.") and answer(own)[:2] == ("noted", "From a colleague.")


def test_the_command_line_refuses_a_moderators_own_comment_too(runner, log, tmp_path):
    moderator = make_user("moderator")
    own = moderators_own_comment(log, moderator.id)
    rows = exported()
    edit(rows, own, disposition="accepted", response="I agree with myself.")
    path = tmp_path / "log.csv"
    path.write_bytes(saved(rows))
    result = runner.invoke(args=["import", "dispositions", str(path), "--apply", "--as", moderator.email])
    assert result.exit_code == 1, result.output
    assert f"line 8: {own.reference}: {own.reference} is your own comment" in result.output
    assert "Nothing was applied: 1 row of the file has problems. The rows are listed above." in result.output
    # A dry run without --as cannot tell whose comment it is; applying that plan as the author is still refused.
    plan = importer.plan(importer.parse(saved(rows)))
    assert [change.reference for change in plan.changes] == [own.reference]
    with pytest.raises(importer.ApplyError, match="your own comment") as refused:
        importer.apply(db.session.get(User, moderator.id), plan, set())
    assert refused.value.status == 403
    db.session.rollback()
    assert answer(own)[0] is None


# --- files that cannot be read ------------------------------------------------------------------------------

HEADER = "reference,disposition,response\r\n"
BAD_FILES = {
    "empty": (b"", "The file is empty."),
    "only a BOM": (codecs.BOM_UTF8, "The file is empty."),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "it contains binary data"),
    "NUL bytes": (HEADER.encode() + b"C-000001,noted,\x00\r\n", "it contains binary data"),
    "a workbook": (b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet workbook (.xlsx, .ods)"),
    "Windows-1252": ((HEADER + "C-000001,noted,Très bien\r\n").encode("cp1252"), "not UTF-8 text (see line 2)"),
    "bad UTF-16": (codecs.BOM_UTF16_LE + b"r\x00e", "not valid UTF-16"),
    "no header": (b"Dear team,\nhere are our answers.\n", "The first line is not the response log's header"),
    "missing columns": (b"reference;comment\r\nC-000001;x\r\n", "The file has no 'disposition' or 'response' column."),
    "column twice": (b"reference,disposition,response,response\r\n", "names the column 'response' more than once"),
    "open quote": ((HEADER + 'C-000001,noted,"never closed\r\n').encode(), "Line 2: this is not valid CSV"),
}


@pytest.mark.parametrize(("data", "message"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_files_that_are_not_a_response_log(client, log, login_as, data, message):
    login_as("moderator")
    with pytest.raises(importer.ImportFileError, match=re.escape(message)):
        importer.parse(data)
    response = upload(client, data)
    assert response.status_code == 400
    assert message.replace("'", "&#39;") in response.get_data(as_text=True)


def test_an_upload_without_a_file_is_400(client, log, login_as):
    login_as("moderator")
    response = client.post("/moderation/import", data={})
    assert response.status_code == 400 and "Choose the CSV file to import." in response.get_data(as_text=True)


def test_too_many_rows(client, log, login_as, monkeypatch):
    login_as("moderator")
    monkeypatch.setattr(importer, "MAX_ROWS", 4)
    response = upload(client, saved(exported()))
    assert response.status_code == 400 and "more than 4 rows: split it" in response.get_data(as_text=True)


def test_an_upload_over_10_mb_gets_our_413_page(client, log, login_as):
    login_as("moderator")
    # The multipart body built by hand: given a file, the test client spools it to a temporary file it never closes.
    content = b"reference,disposition,response\r\n" + b"x" * (10 * 1024 * 1024)
    body = (
        b'--boundary\r\nContent-Disposition: form-data; name="file"; filename="log.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + content + b"\r\n--boundary--\r\n"
    )
    response = client.post("/moderation/import", data=body, content_type="multipart/form-data; boundary=boundary")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "What you sent is too large." in html and 'class="site-header"' in html and html.count("<h1>") == 1
    assert answers()[log.first.reference][0] is None


# --- the signed plan ----------------------------------------------------------------------------------------


def _planned(client, log) -> str:
    rows = exported()
    edit(rows, log.first, disposition="accepted")
    return plan_token(upload(client, saved(rows)).get_data(as_text=True))


def test_a_tampered_plan_is_400(client, log, login_as):
    login_as("moderator")
    token = _planned(client, log)
    forged = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    response = apply(client, forged)
    assert response.status_code == 400 and "could not be read" in response.get_data(as_text=True)
    assert apply(client, "").status_code == 400
    assert answer(log.first)[0] is None


def test_an_expired_plan_is_400(client, log, login_as, monkeypatch):
    login_as("moderator")
    token = _planned(client, log)
    monkeypatch.setitem(tokens.MAX_AGE, tokens.IMPORT_PLAN, -1)
    response = apply(client, token)
    assert response.status_code == 400 and "more than an hour old" in response.get_data(as_text=True)
    assert answer(log.first)[0] is None


def test_a_plan_belongs_to_the_moderator_who_checked_it(app, client, log, login_as):
    login_as("moderator")
    token = _planned(client, log)
    colleague = app.test_client()
    other = make_user("moderator")
    assert colleague.post("/auth/login", data={"email": other.email, "password": DEFAULT_PASSWORD}).status_code == 302
    assert apply(colleague, token).status_code == 400 and answer(log.first)[0] is None


def test_the_import_works_with_csrf_protection_on(database_url, log):
    """The suite runs without CSRF checks; here both forms must carry their token, as in production."""
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client, moderator = app.test_client(), make_user("moderator")
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"email": moderator.email, "password": DEFAULT_PASSWORD, "csrf_token": token})
    rows = exported()
    edit(rows, log.first, disposition="accepted")
    form = {"file": (io.BytesIO(saved(rows)), "log.csv")}
    assert client.post("/moderation/import", data=form).status_code == 400  # no token
    page = client.get("/moderation/import").get_data(as_text=True)
    form = {"file": (io.BytesIO(saved(rows)), "log.csv"), "csrf_token": csrf_token(page)}
    html = client.post("/moderation/import", data=form).get_data(as_text=True)
    assert apply(client, plan_token(html)).status_code == 400 and answer(log.first)[0] is None
    done = client.post("/moderation/import/apply", data={"plan": plan_token(html), "csrf_token": csrf_token(html)})
    assert done.status_code == 302 and answer(log.first) == ("accepted", "", moderator.id)


# --- who may import -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("GET", "/moderation/import"), ("POST", "/moderation/import"),
                                              ("POST", "/moderation/import/apply")])  # fmt: skip
def test_only_moderators_import(app, client, log, login_as, method, path):
    rows = exported()
    edit(rows, log.first, disposition="accepted")
    trail = events()

    def data():
        if method == "GET":
            return None
        return {"file": (io.BytesIO(saved(rows)), "log.csv")} if path == "/moderation/import" else {"plan": "x"}

    anonymous = app.test_client().open(path, method=method, data=data())
    assert (
        anonymous.status_code == 302 and anonymous.headers["Location"] == f"/auth/login?next={path.replace('/', '%2F')}"
    )
    login_as("reviewer")
    assert client.open(path, method=method, data=data()).status_code == 403
    assert answer(log.first)[0] is None and events() == trail


def test_the_upload_form_is_labelled(client, log, login_as):
    login_as("moderator")
    html = client.get("/moderation/import").get_data(as_text=True)
    assert html.count("<h1>") == 1
    assert '<label class="label" for="file">' in html and 'aria-describedby="file-hint"' in html
    assert re.search(r'<input [^>]*name="file"[^>]*type="file"', html)
    assert "style=" not in html and "<script" not in html


# --- the command line ---------------------------------------------------------------------------------------


@pytest.fixture
def edited_file(log, tmp_path):
    rows = exported()
    edit(rows, log.first, disposition="accepted", response="From the command line.")
    path = tmp_path / "log.csv"
    path.write_bytes(saved(rows))
    return path


def test_command_line_dry_run_changes_nothing(runner, log, edited_file):
    before, trail = answers(), events()
    result = runner.invoke(args=["import", "dispositions", str(edited_file)])
    assert result.exit_code == 0, result.output
    assert f"line 2: {log.first.reference}: none / '' -> accepted / 'From the command line.'" in result.output
    assert "Dry run: nothing was changed." in result.output
    assert (answers(), events()) == (before, trail)


def test_command_line_apply_as_a_moderator(runner, log, edited_file):
    moderator = make_user("moderator")
    result = runner.invoke(args=["import", "dispositions", str(edited_file), "--apply", "--as", moderator.email])
    assert result.exit_code == 0, result.output
    assert f"1 disposition updated, recorded under {moderator.email}." in result.output
    assert answer(log.first) == ("accepted", "From the command line.", moderator.id)
    assert events()[-1] == (log.first.id, None, "accepted", "From the command line.", moderator.id)


@pytest.mark.parametrize("who", ["missing", "unknown", "reviewer", "deactivated"])
def test_command_line_apply_needs_an_active_moderator(runner, log, edited_file, who):
    options = {
        "missing": [],
        "unknown": ["--as", "nobody@example.org"],
        "reviewer": ["--as", make_user("reviewer").email],
        "deactivated": ["--as", make_user("moderator", active=False).email],
    }[who]
    before = answers()
    result = runner.invoke(args=["import", "dispositions", str(edited_file), "--apply", *options])
    assert result.exit_code == 2, result.output
    assert answers() == before


def test_command_line_reports_row_errors_and_applies_nothing(runner, log, tmp_path):
    rows = exported()
    edit(rows, log.first, disposition="accepted")
    edit(rows, log.pending, disposition="maybe")
    path = tmp_path / "log.csv"
    path.write_bytes(saved(rows))
    moderator = make_user("moderator")
    for options in ([], ["--apply", "--as", moderator.email]):
        result = runner.invoke(args=["import", "dispositions", str(path), *options])
        assert result.exit_code == 1, result.output
        assert f"line 6: {log.pending.reference}: Unknown disposition 'maybe'" in result.output
        assert "Nothing was applied: 1 row of the file has problems. The rows are listed above." in result.output
    assert answer(log.first)[0] is None and answer(log.pending)[0] is None


def test_command_line_file_errors_exit_1(runner, log, tmp_path):
    path = tmp_path / "log.csv"
    path.write_bytes(b"\x00\x01\x02")
    result = runner.invoke(args=["import", "dispositions", str(path)])
    assert result.exit_code == 1 and "nothing was imported: This is not a CSV file" in result.output


def test_command_line_conflicts_show_both_values_and_need_override(runner, log, tmp_path):
    rows = exported()
    moderation.set_disposition(make_user("moderator"), db.session.get(Comment, log.answered.id), "accepted", "App.")
    db.session.commit()
    edit(rows, log.answered, disposition="not_accepted", response="File.")
    path = tmp_path / "log.csv"
    path.write_bytes(saved(rows))
    moderator = make_user("moderator")
    apply_as = ["import", "dispositions", str(path), "--apply", "--as", moderator.email]

    left = runner.invoke(args=apply_as)
    assert left.exit_code == 0, left.output
    assert "in the app now: accepted / 'App.', answered 20" in left.output
    assert "in the file:    not_accepted / 'File.', answer time in the file 2026-01-05T09:30:00Z" in left.output
    assert "0 dispositions updated" in left.output and "1 conflict left as in the app" in left.output
    assert answer(log.answered)[:2] == ("accepted", "App.")

    stray = runner.invoke(args=[*apply_as, "--override", log.first.reference])
    assert stray.exit_code == 2 and answer(log.answered)[:2] == ("accepted", "App.")

    overridden = runner.invoke(args=[*apply_as, "--override", log.answered.reference])
    assert overridden.exit_code == 0, overridden.output
    assert answer(log.answered) == ("not_accepted", "File.", moderator.id)
    assert db.session.get(User, moderator.id) is not None
