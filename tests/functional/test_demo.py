"""`flask demo`: a living consultation at once, never on a production database."""

from collections import Counter

from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.models import Comment, User
from tests.conftest import make_app
from tests.factories import make_user


def test_demo_builds_a_living_consultation(app, runner, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for email in ("admin@example.org", "moderator@example.org", "reviewer@example.org"):
        assert email in result.output
    with app.app_context():
        roles = Counter(db.session.scalars(select(User.role)))
        assert roles["admin"] == 1 and roles["moderator"] == 1 and roles["reviewer"] >= 5
        assert len(set(db.session.scalars(select(User.respondent_type)))) >= 5
        comments = list(db.session.scalars(select(Comment)))
        assert 35 <= len(comments) <= 50
        assert {c.status for c in comments} == {"pending", "approved", "rejected", "withdrawn"}
        assert any(c.parent_id for c in comments) and any(c.quote for c in comments)
        assert any(c.disposition for c in comments) and {c.publication for c in comments} >= {"public_named", "private"}
    password = result.output.split("reviewer@example.org")[1].split("password: ")[1].split()[0:3]
    login = client.post("/auth/login", data={"email": "reviewer@example.org", "password": " ".join(password)})
    assert login.status_code == 302


def test_demo_keeps_existing_data_unless_reset(app, runner):
    runner.invoke(args=["demo"])
    with app.app_context():
        first = db.session.scalar(select(func.max(Comment.id)))
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "keeping it" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.max(Comment.id))) == first
    with app.app_context():
        make_user("reviewer", email="added.later@example.org")
    reset = runner.invoke(args=["demo", "--reset"])
    assert reset.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "added.later@example.org")) is None
        assert db.session.scalar(select(func.count()).select_from(User)) == 11  # 3 staff, 8 reviewers
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 40


def test_demo_refuses_production(monkeypatch, database_url):
    production = make_app(database_url, ENV_NAME="production")
    result = production.test_cli_runner().invoke(args=["demo", "--reset"])
    assert result.exit_code == 1 and "not for production" in result.output
    with production.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_comments_about_one_subject_sit_on_its_section(app, runner):
    from consult_app.services.demo import BODIES

    assert runner.invoke(args=["demo"]).exit_code == 0
    keyed = {text: key for _, text, key in BODIES if key}
    assert "confidentiality" in keyed.values()
    with app.app_context():
        placed = [(c.body_md, c.section_key) for c in db.session.scalars(select(Comment)) if c.body_md in keyed]
    assert placed and all(key == keyed[body] for body, key in placed), placed
    assert {key for _, key in placed} == set(keyed.values())
