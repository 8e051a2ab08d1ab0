"""`flask users create` and `flask users set-role`, run through Flask's CLI runner."""

import pytest
from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.models import User
from tests.factories import DEFAULT_PASSWORD, make_user

PASSWORD = "violet lanterns drift upstream"


def create(runner, *options: str, email: str = "new@example.org", name: str = "New Person", password_input=None):
    """Run `users create`; the password goes in twice on standard input unless `password_input` says otherwise."""
    args = ["users", "create", "--email", email, "--name", name, *options]
    return runner.invoke(args=args, input=f"{PASSWORD}\n{PASSWORD}\n" if password_input is None else password_input)


def account(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def count_accounts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


# --- users create -------------------------------------------------------------------------------------------


def test_create_makes_a_confirmed_account_that_can_log_in(app, runner, client):
    result = create(runner, "--role", "moderator", "--organisation", "Stats Office", "--country", "Chile",
                    "--respondent-type", "national_statistics_office", email="  New@Example.org ")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created moderator account new@example.org." in result.output
    assert PASSWORD not in result.output
    user = account(app, "new@example.org")
    assert user is not None
    assert user.role == "moderator" and user.active is True and user.email_confirmed_at is not None
    assert (user.display_name, user.organisation, user.country, user.respondent_type) == (
        "New Person", "Stats Office", "Chile", "national_statistics_office")  # fmt: skip
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash
    response = client.post("/auth/login", data={"email": "new@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200


def test_create_defaults_to_a_reviewer(app, runner):
    result = create(runner)
    assert result.exit_code == 0, result.output
    user = account(app, "new@example.org")
    assert user.role == "reviewer" and user.respondent_type == "individual" and user.organisation == ""


@pytest.mark.parametrize("role", ["admin", "ADMIN", "Admin"])
def test_create_accepts_the_role_in_any_case(app, runner, role):
    result = create(runner, "--role", role)
    assert result.exit_code == 0, result.output
    assert account(app, "new@example.org").role == "admin"


def test_mismatched_passwords_create_nothing(app, runner):
    result = create(runner, password_input=f"{PASSWORD}\nsomething else entirely\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert account(app, "new@example.org") is None and count_accounts(app) == 0


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "Use at least 12 characters."),
        ("password1234", "too common"),
        ("qwertyuiopasdf", "run of neighbouring keys"),
        ("newperson123", "too close to your name, email address"),
    ],
)
def test_weak_password_is_refused_with_the_reason(app, runner, password, reason):
    result = create(runner, password_input=f"{password}\n{password}\n")
    assert result.exit_code == 1
    assert reason in result.output
    assert count_accounts(app) == 0


def test_existing_email_in_another_case_is_refused(app, runner):
    with app.app_context():
        make_user(email="taken@example.org", name="First Owner")
    result = create(runner, "--role", "admin", email="TAKEN@Example.ORG")
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert count_accounts(app) == 1
    user = account(app, "taken@example.org")
    assert user.display_name == "First Owner" and user.role == "reviewer"


@pytest.mark.parametrize("email", ["not-an-email", "two@@example.org", "spaces in@example.org", "@example.org"])
def test_malformed_email_is_a_usage_error(app, runner, email):
    result = create(runner, email=email)
    assert result.exit_code == 2
    assert "--email" in result.output
    assert count_accounts(app) == 0


def test_email_over_254_characters_is_a_usage_error(app, runner):
    result = create(runner, email="a" * 250 + "@example.org")
    assert result.exit_code == 2 and "--email" in result.output
    assert count_accounts(app) == 0


@pytest.mark.parametrize("role", ["superuser", "owner", ""])
def test_unknown_role_is_a_usage_error(app, runner, role):
    result = create(runner, "--role", role)
    assert result.exit_code == 2
    assert "--role" in result.output
    assert count_accounts(app) == 0


@pytest.mark.parametrize(
    ("options", "name", "hint"),
    [
        ((), "n" * 101, "--name"),
        ((), "   ", "--name"),
        (("--organisation", "o" * 201), "New Person", "--organisation"),
        (("--country", "c" * 101), "New Person", "--country"),
        (("--respondent-type", "alien"), "New Person", "--respondent-type"),
    ],
)
def test_bad_profile_options_are_usage_errors(app, runner, options, name, hint):
    result = create(runner, *options, name=name)
    assert result.exit_code == 2
    assert hint in result.output
    assert count_accounts(app) == 0


@pytest.mark.parametrize(
    ("options", "name", "hint", "message"),
    [
        ((), "\u202eModerator", "--name", "Remove the invisible character U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ((), "\u0301", "--name", "Enter letters, not only accents or other combining marks."),
        ((), "\u3164", "--name", "Enter visible characters: this has only blank space in it."),
        (("--organisation", "Stat\u00adistics"), "New Person", "--organisation", "U+00AD (SOFT HYPHEN)"),
        (("--country", "Nor\u200dway"), "New Person", "--country", "U+200D (ZERO WIDTH JOINER)"),
    ],
)
def test_hidden_characters_in_profile_options_are_usage_errors(app, runner, options, name, hint, message):
    result = create(runner, *options, name=name)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    output = " ".join(result.output.split())  # click wraps long messages
    assert f"Invalid value for '{hint}'" in output and message in output, result.output
    assert count_accounts(app) == 0


def test_profile_options_are_stored_in_nfkc(app, runner):
    fullwidth = "\uff21\uff44\uff41\u3000\uff2c\uff4f\uff56\uff45\uff4c\uff41\uff43\uff45"
    result = create(runner, "--organisation", " \ufb01nance ", name=fullwidth)
    assert result.exit_code == 0, result.output
    user = account(app, "new@example.org")
    assert (user.display_name, user.organisation) == ("Ada Lovelace", "finance")


def test_a_name_of_exactly_100_characters_is_accepted(app, runner):
    result = create(runner, name="n" * 100)
    assert result.exit_code == 0, result.output
    assert account(app, "new@example.org").display_name == "n" * 100


def test_missing_required_options_are_usage_errors(app, runner):
    result = runner.invoke(args=["users", "create", "--name", "Someone"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 2 and "--email" in result.output
    assert count_accounts(app) == 0


# --- users set-role -----------------------------------------------------------------------------------------


def test_set_role_changes_the_role(app, runner):
    with app.app_context():
        make_user(email="someone@example.org")
    result = runner.invoke(args=["users", "set-role", "Someone@Example.org", "moderator"])
    assert result.exit_code == 0, result.output
    assert "someone@example.org is now moderator." in result.output
    assert account(app, "someone@example.org").role == "moderator"
    result = runner.invoke(args=["users", "set-role", "someone@example.org", "ADMIN"])
    assert result.exit_code == 0, result.output
    assert account(app, "someone@example.org").role == "admin"


def test_set_role_ends_the_accounts_sessions_and_applies_at_the_next_log_in(app, runner, client):
    with app.app_context():
        make_user(email="someone@example.org")
    client.post("/auth/login", data={"email": "someone@example.org", "password": DEFAULT_PASSWORD})
    assert client.get("/admin/users").status_code == 403
    assert runner.invoke(args=["users", "set-role", "someone@example.org", "admin"]).exit_code == 0
    assert client.get("/admin/users").status_code == 302  # to log in again
    client.post("/auth/login", data={"email": "someone@example.org", "password": DEFAULT_PASSWORD})
    assert client.get("/admin/users").status_code == 200


def test_set_role_for_an_unknown_email_fails_with_a_message(app, runner):
    with app.app_context():
        make_user(email="someone@example.org")
    result = runner.invoke(args=["users", "set-role", "nobody@example.org", "admin"])
    assert result.exit_code == 1
    assert "There is no account with the email nobody@example.org." in result.output
    assert account(app, "someone@example.org").role == "reviewer"


def test_set_role_with_an_unknown_role_is_a_usage_error(app, runner):
    with app.app_context():
        make_user(email="someone@example.org")
    result = runner.invoke(args=["users", "set-role", "someone@example.org", "superuser"])
    assert result.exit_code == 2
    assert "superuser" in result.output
    assert account(app, "someone@example.org").role == "reviewer"


def test_set_role_to_the_same_role_changes_and_records_nothing(app, runner, caplog):
    from consult_app.models import ModerationEvent

    with app.app_context():
        make_user("moderator", email="someone@example.org")
    caplog.set_level("INFO", logger="consult.security")
    result = runner.invoke(args=["users", "set-role", "someone@example.org", "moderator"])
    assert result.exit_code == 0, result.output
    assert "someone@example.org is already moderator; nothing changed." in result.output
    assert "role changed" not in caplog.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ModerationEvent)) == 0
    result = runner.invoke(args=["users", "set-role", "someone@example.org", "reviewer"])
    assert "someone@example.org is now reviewer." in result.output and "role changed" in caplog.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ModerationEvent)) == 1
