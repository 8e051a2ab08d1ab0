"""The response log: CSV and JSON exports over HTTP and from the command line."""

import csv
import io
import json

import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Comment, User
from consult_app.services import export, moderation
from tests.factories import make_comment, make_document, make_user


@pytest.fixture
def logged(app_context, tmp_path):
    """Comments in every status, kind and publication choice, with a reply, a decision with a reason,
    a disposition, and one whose author deleted their account."""
    document = make_document(tmp_path)
    ada = make_user(
        "reviewer",
        name="Ada",
        organisation="Engines Ltd",
        respondent_type="academia_research",
        country="United Kingdom",
    )
    bob = make_user("reviewer", name="Bob", respondent_type="civil_society")
    mod = make_user("moderator", name="Mo Derator")
    parent = make_comment(ada, document, kind="suggestion", quote="serve the public.", body="Add *small areas*.")
    moderation.decide(mod, parent.id, "approve")
    moderation.set_disposition(mod, parent, "accepted", "Done in version 2.")
    reply = make_comment(
        bob, document, kind="support", publication="public_anonymous", parent_id=parent.id, body="Agreed, strongly."
    )
    rejected = make_comment(bob, document, kind="concern", publication="private", body="Spam spam")
    moderation.decide(mod, rejected.id, "reject", "spam", "Advertising")
    make_comment(ada, document, key="introduction", status="withdrawn", body="Never mind")
    gone = make_comment(bob, document, key="bias-and-fairness", body="Orphan")
    db.session.commit()
    db.session.delete(db.session.get(User, bob.id))  # plain delete: the FK sets author_id to NULL
    db.session.commit()
    return {
        "document": document,
        "ada": ada,
        "mod": mod,
        "parent": parent,
        "reply": reply,
        "rejected": rejected,
        "gone": gone,
    }


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def web_csv(client, **query) -> str:
    response = client.get("/moderation/export.csv", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.is_streamed and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return response.get_data(as_text=True)


def test_every_column_matches_the_database(client, logged, login_as):
    login_as("moderator")
    text = web_csv(client)
    assert text.startswith(",".join(export.COLUMNS) + "\r\n")
    rows = parse(text)
    comments = list(db.session.scalars(select(Comment).order_by(Comment.created_at, Comment.id)))
    assert [row["reference"] for row in rows] == [c.reference for c in comments]
    by_reference = {row["reference"]: row for row in rows}
    parent = by_reference[logged["parent"].reference]
    assert parent | {"submitted_at": "", "moderated_at": "", "responded_at": ""} == {
        "reference": logged["parent"].reference,
        "document": "test-guidance",
        "version": "1",
        "section_number": "2",
        "section_key": "public-good",
        "section_title": "Public good",
        "parent_reference": "",
        "kind": "suggestion",
        "quote": "serve the public.",
        "comment": "Add *small areas*.",
        "publication": "public_named",
        "status": "approved",
        "submitted_at": "",
        "author_name": "Ada",
        "author_email": logged["ada"].email,
        "organisation": "Engines Ltd",
        "respondent_type": "academia_research",
        "country": "United Kingdom",
        "moderated_by": "Mo Derator",
        "moderated_at": "",
        "moderation_reason": "",
        "disposition": "accepted",
        "response": "Done in version 2.",
        "responded_by": "Mo Derator",
        "responded_at": "",
        "themes": "",  # appended after the first release's 25 columns; see test_themes_column_round_trips
        "language": "en",  # appended after themes: the interface language the comment was written in
    }
    stored = db.session.get(Comment, logged["parent"].id)
    assert parent["submitted_at"] == stored.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert parent["moderated_at"].endswith("Z") and parent["responded_at"].endswith("Z")
    reply = by_reference[logged["reply"].reference]
    assert reply["parent_reference"] == logged["parent"].reference
    assert (reply["author_name"], reply["author_email"], reply["organisation"], reply["country"]) == (
        "Deleted account",
        "",
        "",
        "",
    )
    rejected = by_reference[logged["rejected"].reference]
    assert (rejected["status"], rejected["publication"], rejected["moderation_reason"]) == (
        "rejected",
        "private",
        "spam: Advertising",
    )
    assert {row["status"] for row in rows} == {"pending", "approved", "rejected", "withdrawn"}


def test_filters_narrow_the_log_and_unknown_values_are_400(client, logged, login_as):
    login_as("moderator")
    assert {row["status"] for row in parse(web_csv(client, status="rejected"))} == {"rejected"}
    assert {row["section_key"] for row in parse(web_csv(client, section="introduction"))} == {"introduction"}
    assert len(parse(web_csv(client, document="test-guidance"))) == 5
    for query in ({"status": "lost"}, {"document": "no-such-document"}):
        response = client.get("/moderation/export.csv", query_string=query)
        assert response.status_code == 400
        assert "no-such-document" in response.get_data(as_text=True) or "Unknown status" in response.get_data(
            as_text=True
        )


@pytest.mark.parametrize(
    "payload",
    [
        "=1+1",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1)",
        "\tTabbed",
        "\rReturn",
        "\nNewline",
        '=HYPERLINK("http://evil.example","click")',
    ],
)
def test_formulas_are_neutralised(client, logged, login_as, payload):
    login_as("moderator")
    comment = make_comment(logged["ada"], logged["document"], body=payload.strip() or payload, quote="")
    comment.body_md = payload  # as typed, even the leading whitespace the form would have kept
    db.session.commit()
    row = next(r for r in parse(web_csv(client)) if r["reference"] == comment.reference)
    assert row["comment"] == "'" + payload
    assert len(row) == len(export.COLUMNS)


def test_bom_for_excel(client, logged, login_as):
    login_as("moderator")
    response = client.get("/moderation/export.csv?bom=1")
    assert response.get_data().startswith(b"\xef\xbb\xbfreference,")
    assert not client.get("/moderation/export.csv").get_data().startswith(b"\xef\xbb\xbf")


def test_web_and_command_line_exports_are_identical(client, runner, logged, login_as, tmp_path):
    login_as("moderator")
    web = client.get("/moderation/export.csv").get_data()
    printed = runner.invoke(args=["export", "comments"])
    assert printed.exit_code == 0
    assert printed.stdout_bytes == web
    out = tmp_path / "exports" / "log.csv"
    out.parent.mkdir()
    written = runner.invoke(args=["export", "comments", "--out", str(out), "--bom"])
    assert written.exit_code == 0 and f"Wrote 5 comments to {out}" in written.stderr
    assert out.read_bytes() == b"\xef\xbb\xbf" + web
    assert [p.name for p in out.parent.iterdir()] == ["log.csv"]  # no temporary file left behind


def test_command_line_filters_and_bad_values(runner, logged):
    result = runner.invoke(args=["export", "comments", "--status", "approved"])
    assert result.exit_code == 0 and {row["status"] for row in parse(result.stdout)} == {"approved"}
    for args in (["--status", "lost"], ["--document", "nope"]):
        bad = runner.invoke(args=["export", "comments", *args])
        assert bad.exit_code == 2
        assert ("Unknown status" in bad.stderr) or ("no document" in bad.stderr)


def test_a_failed_export_never_leaves_half_a_file(runner, logged, tmp_path, monkeypatch):
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "log.csv"
    out.write_text("the previous, complete export")
    real_csv_text = export.csv_text

    def failing_csv_text(filters, **options):  # the first batch is written, then the disk is full
        chunks = real_csv_text(filters, **options)
        yield next(chunks)
        raise OSError("disk full")

    monkeypatch.setattr(export, "csv_text", failing_csv_text)
    result = runner.invoke(args=["export", "comments", "--out", str(out)])
    assert result.exit_code != 0
    assert out.read_text() == "the previous, complete export"
    assert sorted(p.name for p in folder.iterdir()) == ["log.csv"]


def test_json_export_has_the_same_fields(client, logged, login_as):
    login_as("moderator")
    response = client.get("/moderation/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    records = json.loads(response.get_data(as_text=True))
    assert [list(record) for record in records] == [list(export.COLUMNS)] * 5
    csv_rows = parse(web_csv(client))
    assert [record["reference"] for record in records] == [row["reference"] for row in csv_rows]
    assert records[0]["comment"] == "Add *small areas*."


def test_empty_log_is_just_the_header(client, app_context, login_as):
    login_as("moderator")
    assert web_csv(client) == ",".join(export.COLUMNS) + "\r\n"
    assert client.get("/moderation/export.json").get_json() == []


@pytest.mark.parametrize("path", ["/moderation/export.csv", "/moderation/export.json"])
def test_reviewers_cannot_export(client, logged, login_as, path):
    assert client.get(path).status_code == 302
    login_as("reviewer")
    assert client.get(path).status_code == 403
