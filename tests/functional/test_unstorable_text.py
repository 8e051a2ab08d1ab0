"""Text the database cannot store: the NUL character, and lone surrogates (bytes that are not UTF-8).

PostgreSQL refuses NUL in text (a 500 before this rule) while SQLite keeps it, and a lone surrogate cannot be
encoded at all. The rule, the same on both databases: over HTTP, a NUL anywhere in the address, the query or
a form is a 400 with one message and nothing is stored; bytes that are not UTF-8 never arrive as surrogates
(Werkzeug keeps such a percent escape as its text, and reads such a form body as empty). On the command line,
where an argument of bytes that are not UTF-8 arrives as surrogates, such an argument is a usage error. The
guidance loader refuses such files (tests/unit/test_guidance_hostile.py); the import refuses NUL as binary
data (test_import.py).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.models import Comment, ModerationEvent, User
from consult_app.security import UNSTORABLE_INPUT
from tests.factories import DEFAULT_PASSWORD, make_comment, make_user

SECTION = "/guidance/test-guidance/public-good/"
COMMENT = {"body": "Fine words.", "kind": "general", "quote": "", "publication": "public_named"}
PROFILE = {"name": "Ada", "organisation": "", "country": "", "respondent_type": "individual"}


def snapshot() -> tuple:
    """Everything the requests below could change."""
    db.session.expire_all()
    return (
        [(c.body_md, c.quote, c.status, c.moderation_note, c.disposition, c.response) for c in
         db.session.scalars(select(Comment).order_by(Comment.id))],
        [(u.email, u.display_name, u.organisation, u.country) for u in
         db.session.scalars(select(User).order_by(User.id))],
        db.session.scalar(select(func.count()).select_from(ModerationEvent)),
    )  # fmt: skip


def refused(response) -> bool:
    return response.status_code == 400 and str(UNSTORABLE_INPUT) in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "method", "url", "data"),
    [
        ("reviewer", "post", SECTION, {**COMMENT, "body": "Fine\x00words."}),
        ("reviewer", "post", SECTION, {**COMMENT, "quote": "serve the\x00public"}),
        ("reviewer", "post", SECTION, {**COMMENT, "body": "Preview\x00", "preview": "1"}),
        ("reviewer", "post", "/account/profile", {**PROFILE, "name": "Ada\x00"}),
        ("reviewer", "post", "/account/profile", {**PROFILE, "organisation": "\x00"}),
        ("reviewer", "post", "/account/profile", {**PROFILE, "country": "No\x00rway"}),
        ("reviewer", "post", "/account/profile", {**PROFILE, "extra\x00field": "x"}),
        ("anonymous", "post", "/auth/login", {"email": "a@example.org\x00", "password": DEFAULT_PASSWORD}),
        ("anonymous", "post", "/auth/register", {"email": "new@example.org", "name": "N\x00", "password": "x"}),
        ("moderator", "get", "/moderation/?q=a%00b", None),
        ("moderator", "get", "/moderation/?document=%00", None),
        ("moderator", "get", "/moderation/export.csv?section=%00", None),
        ("admin", "get", "/admin/users?q=%00", None),
        ("anonymous", "get", "/guidance/test%00guidance/", None),
        ("anonymous", "get", "/guidance/test-guidance/public-good/?%00=1", None),
    ],
)
def test_a_nul_anywhere_is_a_400_and_changes_nothing(client, document, login_as, role, method, url, data):
    login_as(role)
    make_comment(make_user("reviewer"), document)
    before = snapshot()
    response = getattr(client, method)(url, data=data)
    assert refused(response), (response.status_code, response.get_data(as_text=True)[:300])
    assert snapshot() == before


def test_a_nul_in_a_moderators_note_or_response_is_a_400(client, document, login_as):
    login_as("moderator")
    comment = make_comment(make_user("reviewer"), document)
    before = snapshot()
    decision = client.post(f"/moderation/comments/{comment.id}/decision", data={"decision": "approve", "note": "\x00"})
    bulk = client.post("/moderation/bulk", data={"decision": "approve", "note": "a\x00", "comment_ids": [comment.id]})
    answer = client.post(
        f"/moderation/comments/{comment.id}/disposition", data={"disposition": "noted", "response": "b\x00"}
    )
    assert refused(decision) and refused(bulk) and refused(answer)
    assert snapshot() == before


def test_bytes_that_are_not_utf8_never_become_a_surrogate(client, document, login_as):
    """Werkzeug keeps a percent escape that is not UTF-8 as its text, and reads a form body that is not UTF-8
    as an empty form (so the form says what is missing); either way nothing unstorable arrives."""
    login_as("reviewer")
    escaped = b"name=Jos%E9+%ED%A0%80&organisation=&country=&respondent_type=individual"
    response = client.post("/account/profile", data=escaped, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    assert db.session.scalar(select(User.display_name).where(User.display_name.like("Jos%"))) == "Jos%E9 %ED%A0%80"
    before = snapshot()
    raw = b"body=caf\xe9&kind=general&publication=private"
    comment = client.post(SECTION, data=raw, content_type="application/x-www-form-urlencoded")
    assert comment.status_code == 400 and "Write your comment." in comment.get_data(as_text=True)
    assert snapshot() == before
    assert client.get("/guidance/%ff%ed%a0%80/").status_code == 404
    assert client.get("/moderation/?q=%ff").status_code == 403  # a reviewer: refused as usual, no error


# --- the command line ---------------------------------------------------------------------------------------

NOT_UTF8 = "caf\udce9"  # how Python hands over an argument with the Latin-1 byte 0xE9 in it


@pytest.mark.parametrize(
    "args",
    [
        ["users", "create", "--email", "s@example.org", "--name", NOT_UTF8],
        ["users", "create", "--email", "s@example.org", "--name", "S", "--organisation", NOT_UTF8],
        ["users", "create", "--email", "s@example.org", "--name", "S", "--country", NOT_UTF8],
        ["users", "create", "--email", f"{NOT_UTF8}@example.org", "--name", "S"],
        ["users", "set-role", f"{NOT_UTF8}@example.org", "admin"],
        ["export", "comments", "--document", NOT_UTF8],
        ["export", "comments", "--section", NOT_UTF8],
        ["export", "comments", "--status", NOT_UTF8],
    ],
)
def test_arguments_that_are_not_utf8_are_usage_errors(app, runner, args):
    result = runner.invoke(args=args, input=f"{DEFAULT_PASSWORD}\n{DEFAULT_PASSWORD}\n")
    assert result.exit_code == 2, (result.output, result.exception)
    assert "contains the NUL character (U+0000) or a lone surrogate" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_import_as_an_account_that_is_not_utf8_is_a_usage_error(runner, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("reference,disposition,response\r\n", encoding="utf-8")
    result = runner.invoke(args=["import", "dispositions", str(path), "--apply", "--as", NOT_UTF8])
    assert result.exit_code == 2 and "lone surrogate" in result.output


def test_export_to_a_folder_that_does_not_exist_is_a_clean_error(app, runner, tmp_path):
    out = tmp_path / "missing" / "log.csv"
    result = runner.invoke(args=["export", "comments", "--out", str(out)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert f"cannot write {out}: No such file or directory" in result.output
    assert not out.parent.exists()


def test_export_to_a_file_name_that_is_not_utf8_works(app, runner, tmp_path):
    out = tmp_path / f"{NOT_UTF8}.csv"
    result = runner.invoke(args=["export", "comments", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("reference,")
