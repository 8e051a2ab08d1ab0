"""`flask --app wsgi accounts purge`: the retention period of the privacy notice, applied to idle accounts."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Comment, User
from consult_app.models.types import utcnow
from tests.factories import FACTORY_MODERATOR_EMAIL, make_comment, make_user


def months_ago(months: int):
    return utcnow() - timedelta(days=round(months * 30.5))


@pytest.fixture
def people(app, document):
    """With CONSULT_RETENTION at 18 months: two idle reviewers (one who never logged in), an idle moderator, and
    a reviewer who registered long ago but logged in lately. The idle reviewer wrote three comments."""
    app.config["CONSULT_RETENTION"] = "18 months"
    idle = make_user(email="idle@example.org", name="Ida Idle")
    published = make_comment(idle, document, body="Published, and to be kept.", status="approved")
    private = make_comment(idle, document, body="Read by the team only.", publication="private", status="approved")
    pending = make_comment(idle, document, body="Still waiting for a moderator.")
    never = make_user(email="never@example.org")
    lately = make_user(email="lately@example.org")
    moderator = make_user("moderator", email="old.moderator@example.org")
    for user, created, logged_in in [
        (idle, months_ago(40), months_ago(20)),
        (never, months_ago(19), None),
        (lately, months_ago(60), months_ago(17)),
        (moderator, months_ago(40), months_ago(30)),
    ]:
        user.created_at, user.last_login_at = created, logged_in
    db.session.commit()
    return {
        "idle": idle.id,
        "never": never.id,
        "comments": {"published": published.id, "private": private.id, "pending": pending.id},
    }


def emails() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(User.email)))


KEPT = {"lately@example.org", "old.moderator@example.org", FACTORY_MODERATOR_EMAIL}
IDLE = {"idle@example.org", "never@example.org"}


def test_the_purge_deletes_exactly_the_idle_reviewers_and_keeps_their_published_comments(client, runner, people):
    result = runner.invoke(args=["accounts", "purge"])
    assert result.exit_code == 0, result.output
    assert f"Deleted 2 account(s) idle since before {months_ago(18):%Y-%m}" in result.output
    assert f"(CONSULT_RETENTION is 18 months); ids: {people['idle']}, {people['never']}." in result.output
    assert "idle@example.org" not in result.output  # the log keeps no address of a deleted account
    assert "Kept 1 idle moderator or admin account(s)" in result.output and "old.moderator@example.org" in result.output

    assert emails() == KEPT
    comments = {name: db.session.get(Comment, id_) for name, id_ in people["comments"].items()}
    assert all(comment.author_id is None for comment in comments.values())
    assert [comments[name].status for name in ("published", "private", "pending")] == [
        "approved",
        "approved",
        "withdrawn",
    ]
    html = client.get("/guidance/test-guidance/public-good/").get_data(as_text=True)
    assert "Published, and to be kept." in html and "Deleted account" in html and "Ida Idle" not in html


def test_a_dry_run_lists_the_accounts_and_changes_nothing(runner, people):
    result = runner.invoke(args=["accounts", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dry run: 2 account(s) idle since before" in result.output and "would be deleted:" in result.output
    assert "idle@example.org (last active" in result.output and "never@example.org (last active" in result.output
    assert emails() == KEPT | IDLE
    assert db.session.get(Comment, people["comments"]["pending"]).status == "pending"


def test_a_second_purge_finds_nothing_more(runner, people):
    runner.invoke(args=["accounts", "purge"])
    result = runner.invoke(args=["accounts", "purge"])
    assert result.exit_code == 0 and "Deleted 0 account(s)" in result.output and "ids: none." in result.output
    assert emails() == KEPT


def test_a_longer_retention_keeps_them(app, runner, people):
    app.config["CONSULT_RETENTION"] = "2 years"
    result = runner.invoke(args=["accounts", "purge"])
    assert result.exit_code == 0 and "Deleted 0 account(s)" in result.output
    assert emails() == KEPT | IDLE
