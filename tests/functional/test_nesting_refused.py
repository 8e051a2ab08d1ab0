"""Text nested too deeply to render in bounded time is refused with a message where it was written: a field error
and a 400 on the comment forms (new comment, preview, reply, edit), `file:line` from the guidance loader."""

from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.models import Comment, Document
from consult_app.nesting import MAX_NESTING
from tests.factories import guidance_text, make_comment, make_user

SECTION = "/guidance/test-guidance/public-good/"
DEEP = "Quoting a quote:\n\n" + "> " * (MAX_NESTING + 1) + "deep"
MESSAGE = f"Your comment has quotes, lists or emphasis nested more than {MAX_NESTING} levels deep"
FORM = {"body": DEEP, "kind": "general", "quote": "", "publication": "public_named"}


def comment_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Comment))


def test_a_deeply_nested_comment_preview_or_reply_is_a_field_error(client, document, login_as):
    login_as("reviewer")
    parent = make_comment(make_user("reviewer"), document, status="approved")
    before = comment_count()
    for form in (FORM, {**FORM, "preview": "1"}, {**FORM, "parent_id": parent.id}):
        response = client.post(SECTION, data=form)
        assert response.status_code == 400, form
        assert MESSAGE in response.get_data(as_text=True)
    assert comment_count() == before


def test_an_edit_that_nests_too_deeply_is_a_field_error_and_changes_nothing(client, document, login_as):
    author = login_as("reviewer")
    comment = make_comment(author, document, body="First thoughts.")
    response = client.post(f"/comments/{comment.id}/edit", data=FORM)
    assert response.status_code == 400 and MESSAGE in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).body_md == "First thoughts."


def test_the_loader_refuses_deep_nesting_naming_the_file_and_the_lines(app, runner, tmp_path):
    text = guidance_text(sections=[("Deep {#deep}", DEEP)])
    lines = text.split("\n")
    heading = lines.index("## Deep {#deep}") + 1
    deep = next(number for number, line in enumerate(lines, start=1) if line.startswith("> > "))
    path = tmp_path / "deep.md"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["guidance", "load", str(path)])
    assert result.exit_code == 1
    assert f"deep.md:{heading}: the Markdown is nested too deeply to be shown" in result.output
    assert f"more than {MAX_NESTING} levels deep from line {deep}" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 0
