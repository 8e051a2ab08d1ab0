"""The themes column of the response log: exported after the first release's columns, read back by the importer,
and the import plan's token, which now names its fields."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask import current_app
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import ModerationEvent
from consult_app.services import export, importer, moderation, themes, tokens
from tests.factories import make_comment, make_document, make_user
from tests.functional.test_import import apply, edit, exported, plan_token, saved, upload

# The response log's columns as PRODUCT.md lists them for the first release: they stay a prefix, in this order.
FIRST_RELEASE = [
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
]


@pytest.fixture
def coded(app_context, tmp_path):
    """Two documents with frames of their own; `tagged` carries two themes, `plain` none."""
    document = make_document(tmp_path)
    other = make_document(tmp_path, slug="other-guidance", title="Other guidance")
    moderator = make_user("moderator")
    author = make_user("reviewer")
    frame = {
        name: themes.create_theme(moderator, document, name)
        for name in ("privacy", "Bias", "=SUM(A1)", "Naïve “quotes”")
    }
    themes.create_theme(moderator, other, "Elsewhere")
    tagged = make_comment(author, document, status="approved", body="Tagged")
    plain = make_comment(author, document, status="approved", body="Plain")
    themes.tag([tagged.id], [frame["privacy"].id, frame["Bias"].id], moderator)
    db.session.commit()
    return {"document": document, "moderator": moderator, "author": author, "frame": frame, "tagged": tagged,
            "plain": plain}  # fmt: skip


def cell(comment) -> str:
    return next(row["themes"] for row in exported() if row["reference"] == comment.reference)


def theme_names(comment) -> list[str]:
    db.session.expire_all()
    return [theme.name for theme in themes.themes_of([comment.id]).get(comment.id, [])]


def test_themes_are_the_last_column_after_the_first_releases(coded):
    assert list(export.COLUMNS[: len(FIRST_RELEASE)]) == FIRST_RELEASE
    assert export.COLUMNS[len(FIRST_RELEASE)] == "themes"
    assert cell(coded["tagged"]) == "Bias;privacy" and cell(coded["plain"]) == ""
    records = json.loads("".join(export.json_chunks(export.rows(export.ExportFilters()))))
    assert {record["reference"]: record["themes"] for record in records} == {
        coded["tagged"].reference: "Bias;privacy",
        coded["plain"].reference: "",
    }


def test_an_exported_log_with_themes_is_a_fixed_point_of_the_import(coded):
    themes.tag(
        [coded["plain"].id], [coded["frame"]["=SUM(A1)"].id, coded["frame"]["Naïve “quotes”"].id], coded["moderator"]
    )
    db.session.commit()
    assert cell(coded["plain"]) == "'=SUM(A1);Naïve “quotes”"  # the spreadsheet guard covers the whole cell
    plan = importer.plan(importer.parse(saved(exported())))
    assert (plan.changes, plan.errors) == ([], [])


def test_an_edited_cell_tags_and_untags_whatever_the_case_and_order(client, coded, login_as):
    moderator = login_as("moderator")
    rows = exported()
    edit(rows, coded["tagged"], themes=" PRIVACY ;; privacy")  # Bias dropped; case, blanks and repeats ignored
    edit(rows, coded["plain"], themes="bias; Naïve “quotes”")
    html = upload(client, saved(rows)).get_data(as_text=True)
    assert "Bias; privacy → privacy" in html and "None → Bias; Naïve “quotes”" in html
    done = apply(client, plan_token(html))
    assert done.status_code == 302
    assert "0 dispositions updated; themes changed on 2 comments." in client.get("/moderation/import").get_data(
        as_text=True
    )
    assert theme_names(coded["tagged"]) == ["privacy"]
    assert theme_names(coded["plain"]) == ["Bias", "Naïve “quotes”"]
    trail = db.session.scalars(select(ModerationEvent).where(ModerationEvent.actor_id == moderator.id)).all()
    assert sorted((e.comment_id, e.to_value, e.reason) for e in trail) == sorted(
        [
            (coded["tagged"].id, "untagged", "Bias"),
            (coded["plain"].id, "tagged", "Bias; Naïve “quotes”"),
        ]
    )


def test_an_answer_and_new_themes_in_one_row_are_both_applied(coded):
    rows = exported()
    edit(rows, coded["plain"], disposition="noted", response="Thanks.", themes="Bias")
    plan = importer.plan(importer.parse(saved(rows)))
    [change] = plan.changes
    assert change.answer_changes and change.themes_change
    applied = importer.apply(make_user("moderator"), plan, set())
    assert applied == importer.Applied(answers=1, themes=1)
    assert theme_names(coded["plain"]) == ["Bias"] and coded["plain"].disposition == "noted"


def test_unknown_theme_names_are_row_errors_and_nothing_is_applied(coded):
    rows = exported()
    edit(rows, coded["tagged"], themes="privacy;Privcy;Elsewhere")  # a typo, and another document's theme
    edit(rows, coded["plain"], disposition="accepted")
    plan = importer.plan(importer.parse(saved(rows)))
    [error] = plan.errors
    assert error.reference == coded["tagged"].reference
    assert "has no theme “Privcy”, “Elsewhere”" in error.message
    with pytest.raises(importer.ApplyError, match="1 row of the file has problems"):
        importer.apply(coded["moderator"], plan, set())
    assert theme_names(coded["tagged"]) == ["Bias", "privacy"]


def test_an_emptied_cell_removes_the_themes_and_a_missing_column_keeps_them(coded):
    rows = exported()
    edit(rows, coded["tagged"], themes="")
    plan = importer.plan(importer.parse(saved(rows)))
    assert [change.after_themes for change in plan.changes] == [()]
    without_column = [column for column in export.COLUMNS if column != "themes"]
    plan = importer.plan(importer.parse(saved(rows, columns=without_column)))
    assert (plan.changes, plan.errors) == ([], [])
    importer.apply(coded["moderator"], importer.plan(importer.parse(saved(rows))), set())
    assert theme_names(coded["tagged"]) == []


def test_themes_retagged_after_the_dry_run_stop_the_apply(coded):
    rows = exported()
    edit(rows, coded["tagged"], themes="privacy")
    plan = importer.plan(importer.parse(saved(rows)))
    themes.tag([coded["tagged"].id], [coded["frame"]["=SUM(A1)"].id], coded["moderator"])
    db.session.commit()
    with pytest.raises(importer.ApplyError, match="changed in the app after the dry run"):
        importer.apply(coded["moderator"], plan, set())


def test_the_command_line_shows_theme_changes(runner, coded, tmp_path):
    rows = exported()
    edit(rows, coded["tagged"], themes="privacy")
    path = tmp_path / "log.csv"
    path.write_bytes(saved(rows))
    result = runner.invoke(args=["import", "dispositions", str(path), "--apply", "--as", coded["moderator"].email])
    assert result.exit_code == 0, result.output
    assert f"{coded['tagged'].reference}: themes 'Bias;privacy' -> 'privacy'" in result.output
    assert f"0 dispositions updated; themes changed on 1 comment, recorded under {coded['moderator'].email}." in (
        result.output
    )


# --- the plan's token ---------------------------------------------------------------------------------------


def test_the_plan_token_names_its_fields_and_round_trips(coded):
    rows = exported()
    edit(rows, coded["tagged"], disposition="accepted", themes="privacy")
    plan = importer.plan(importer.parse(saved(rows)))
    token = tokens.plan_token(plan, user_id=7)
    payload = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=tokens.IMPORT_PLAN).loads(token)
    assert set(payload["changes"][0]) == tokens.CHANGE_FIELDS
    assert payload["changes"][0]["after_disposition"] == "accepted"
    assert tokens.read_plan_token(token, 7) == plan
    with pytest.raises(tokens.TokenError, match="another account"):
        tokens.read_plan_token(token, 8)


def test_tokens_from_before_the_move_are_refused_with_a_clear_message(client, coded, login_as):
    user = login_as("moderator")
    rows = exported()
    edit(rows, coded["plain"], disposition="accepted")
    plan = importer.plan(importer.parse(saved(rows)))
    secret = client.application.config["SECRET_KEY"]
    positional = [list(vars(change).values())[:10] for change in plan.changes]
    old = {"user": user.id, "has_responded_at": True, "unchanged": 0, "unanswered": 0, "changes": positional}
    # Signed as the old view did (its own salt), and as a token of the new salt in the old layout.
    for salt in ("moderation-import-plan", tokens.IMPORT_PLAN):
        token = URLSafeTimedSerializer(secret, salt=salt).dumps(old)
        response = apply(client, token)
        assert response.status_code == 400
        assert "The import could not be read. Upload the file again." in response.get_data(as_text=True)
    assert coded["plain"].disposition is None


def test_csv_module_reads_the_themes_cell_as_one_field(coded):
    """A name with a comma or quotes stays in its cell: RFC 4180 quoting, not the separator, takes care of it."""
    themes.set_themes(coded["plain"], [coded["frame"]["Naïve “quotes”"].id], coded["moderator"])
    moderation.set_disposition(coded["moderator"], coded["plain"], "noted", 'He said "a, b"')
    db.session.commit()
    text = "".join(export.csv_chunks(export.rows(export.ExportFilters())))
    row = next(
        row for row in csv.DictReader(io.StringIO(text, newline="")) if row["reference"] == coded["plain"].reference
    )
    assert (row["themes"], row["response"]) == ("Naïve “quotes”", 'He said "a, b"')
