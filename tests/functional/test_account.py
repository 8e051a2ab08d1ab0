"""The account page: profile, password change, data download and deletion (/account/...)."""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import User, UserSession
from tests.factories import DEFAULT_PASSWORD, make_user

EMAIL = "ada@example.org"
NEW_PASSWORD = "copper kettles hum at dawn"
PROFILE = {
    "name": "Ada Lovelace",
    "organisation": "Analytical Engines Ltd",
    "respondent_type": "academia_research",
    "country": "United Kingdom",
}


def login(client, email=EMAIL, password=DEFAULT_PASSWORD):
    return client.post("/auth/login", data={"email": email, "password": password})


def account_row(app, email=EMAIL) -> User | None:
    """The account as stored, read in a fresh session (None when it is gone)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def session_ids(app, email=EMAIL) -> set[str]:
    """The ids of the account's server-side sessions (each its cookie token's SHA-256)."""
    with app.app_context():
        return set(db.session.scalars(select(UserSession.id).join(User).where(User.email == email)))


@pytest.fixture
def signed_in(app, client):
    """A reviewer with a known profile, logged in on `client`; returns the stored account."""
    with app.app_context():
        make_user(
            email=EMAIL,
            name="Reviewer Original",
            organisation="Old Org",
            respondent_type="individual",
            country="Norway",
        )
    assert login(client).status_code == 302
    return account_row(app)


def change_password(client, current=DEFAULT_PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={"current_password": current, "password": new, "password_confirm": new if confirm is None else confirm},
    )


def assert_redirects_to_login(response, path: str | None = None) -> None:
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    if path is not None:
        assert parse_qs(location.query)["next"] == [path]


# --- the page and who may see it ----------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_log_in(client):
    assert_redirects_to_login(client.get("/account/"), "/account/")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/account/profile"),
        ("post", "/account/password"),
        ("post", "/account/delete"),
        ("get", "/account/data.json"),
    ],
)
def test_anonymous_visitor_cannot_use_the_account_actions(app, client, method, path):
    with app.app_context():
        make_user(email=EMAIL)
    response = getattr(client, method)(
        path, data={**PROFILE, "current_password": DEFAULT_PASSWORD, "delete_password": DEFAULT_PASSWORD}
    )
    assert_redirects_to_login(response)
    stored = account_row(app)
    assert stored is not None and stored.display_name != PROFILE["name"]


def test_account_page_shows_the_account(signed_in, client):
    response = client.get("/account/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert EMAIL in html and 'value="Reviewer Original"' in html and 'value="Old Org"' in html


# --- profile ------------------------------------------------------------------------------------------------


def test_profile_update_is_saved_and_shown(app, signed_in, client):
    response = client.post("/account/profile", data={**PROFILE, "name": "  Ada Lovelace  "})
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    stored = account_row(app)
    assert (stored.display_name, stored.organisation, stored.respondent_type, stored.country) == (
        "Ada Lovelace",
        "Analytical Engines Ltd",
        "academia_research",
        "United Kingdom",
    )
    html = client.get("/account/").get_data(as_text=True)
    assert "Your profile has been saved." in html
    assert 'value="Ada Lovelace"' in html and 'value="Analytical Engines Ltd"' in html
    assert 'selected value="academia_research"' in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter your name."),
        ({"name": "   "}, "Enter your name."),
        ({"name": "n" * 101}, "Use at most 100 characters."),
        ({"organisation": "o" * 201}, "Use at most 200 characters."),
        ({"country": "c" * 101}, "Use at most 100 characters."),
        ({"respondent_type": "alien"}, "Not a valid choice"),
    ],
)
def test_bad_profile_input_is_refused_and_changes_nothing(app, signed_in, client, changes, message):
    response = client.post("/account/profile", data={**PROFILE, **changes})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    stored = account_row(app)
    assert (stored.display_name, stored.organisation, stored.respondent_type, stored.country) == (
        "Reviewer Original",
        "Old Org",
        "individual",
        "Norway",
    )


def test_a_name_of_exactly_100_characters_is_accepted(app, signed_in, client):
    assert client.post("/account/profile", data={**PROFILE, "name": "n" * 100}).status_code == 302
    assert account_row(app).display_name == "n" * 100


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "\u202eModerator", "Remove the invisible character U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("name", "Ada\u200dLovelace", "Remove the invisible character U+200D (ZERO WIDTH JOINER)"),
        ("name", "\u0301\u0308", "Enter letters, not only accents or other combining marks."),
        ("name", "\u3164", "Enter visible characters: this has only blank space in it."),
        ("organisation", "Stat\u00adistics", "Remove the invisible character U+00AD (SOFT HYPHEN)"),
        ("organisation", "\u2800", "Enter visible characters"),
        ("country", "Nor\u200bway", "Remove the invisible character U+200B (ZERO WIDTH SPACE)"),
        ("country", "Nor\nway", "Remove the invisible character U+000A:"),
    ],
)
def test_hidden_characters_in_the_profile_are_refused_at_their_field(app, signed_in, client, field, value, message):
    response = client.post("/account/profile", data={**PROFILE, field: value})
    assert response.status_code == 400
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', response.get_data(as_text=True))
    assert error and message in error.group(1)
    stored = account_row(app)
    assert (stored.display_name, stored.organisation, stored.country) == ("Reviewer Original", "Old Org", "Norway")


def test_the_profile_is_stored_in_nfkc(app, signed_in, client):
    fullwidth = "\uff21\uff44\uff41\u3000\uff2c\uff4f\uff56\uff45\uff4c\uff41\uff43\uff45"
    changes = {"name": fullwidth, "organisation": "\ufb01nance o\ufb03ce", "country": "Co\u0302te d'Ivoire"}
    assert client.post("/account/profile", data={**PROFILE, **changes}).status_code == 302
    stored = account_row(app)
    assert (stored.display_name, stored.organisation, stored.country) == (
        "Ada Lovelace", "finance office", "C\u00f4te d'Ivoire")  # fmt: skip


# --- password -----------------------------------------------------------------------------------------------


def test_wrong_current_password_is_refused(app, signed_in, client):
    response = change_password(client, current="not my password at all")
    assert response.status_code == 400
    assert "Your current password is not right." in response.get_data(as_text=True)
    stored = account_row(app)
    assert stored.password_hash == signed_in.password_hash
    assert len(session_ids(app)) == 1
    assert client.get("/account/").status_code == 200


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("password1234", None, "too common"),
        ("short", None, "Use at least 12 characters."),
        ("qwertyuiopasdf", None, "run of neighbouring keys"),
        ("ada.lovelace.b", None, "too close to your name, email address"),
        (NEW_PASSWORD, "copper kettles hum at dusk", "The two passwords differ."),
        (NEW_PASSWORD, "", "Type the password again."),
    ],
)
def test_bad_new_password_is_refused(app, client, new, confirm, message):
    with app.app_context():
        make_user(email="ada.lovelace.b@example.org")
    assert login(client, "ada.lovelace.b@example.org").status_code == 302
    before = account_row(app, "ada.lovelace.b@example.org")
    sessions_before = session_ids(app, "ada.lovelace.b@example.org")
    response = change_password(client, new=new, confirm=confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    stored = account_row(app, "ada.lovelace.b@example.org")
    assert stored.password_hash == before.password_hash
    assert session_ids(app, "ada.lovelace.b@example.org") == sessions_before and len(sessions_before) == 1


def test_password_change_ends_other_sessions_but_keeps_this_one(app, signed_in, client):
    other = app.test_client()
    assert login(other).status_code == 302
    assert other.get("/account/").status_code == 200
    sessions_before = session_ids(app)
    copied = client.get_cookie("session").value  # this browser's cookie as it was before the change

    response = change_password(client)
    assert response.status_code == 302 and response.headers["Location"] == "/account/"

    page = client.get("/account/")
    assert page.status_code == 200
    assert "Any other sessions have been logged out." in page.get_data(as_text=True)
    assert_redirects_to_login(other.get("/account/"), "/account/")
    # This browser goes on in a new session: a copy of its cookie from before the change opens nothing.
    [now] = session_ids(app)
    assert now not in sessions_before and len(sessions_before) == 2
    replayed = app.test_client()
    replayed.set_cookie("session", copied)
    assert_redirects_to_login(replayed.get("/account/"), "/account/")
    stored = account_row(app)
    assert stored.check_password(NEW_PASSWORD) and not stored.check_password(DEFAULT_PASSWORD)
    fresh = app.test_client()
    assert login(fresh).status_code == 400
    assert login(fresh, password=NEW_PASSWORD).status_code == 302


# --- data download ------------------------------------------------------------------------------------------


def test_data_download_is_a_json_attachment_without_secrets(app, signed_in, client):
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    data = json.loads(body)
    account = data["account"]
    assert account["email"] == EMAIL
    assert account["display_name"] == "Reviewer Original"
    assert account["organisation"] == "Old Org"
    assert account["role"] == "reviewer" and account["last_login_at"] is not None
    stored = account_row(app)
    assert stored.password_hash not in body and "scrypt" not in body and "password" not in body.lower()
    [session_id] = session_ids(app)
    with client.session_transaction() as cookie:
        token = cookie["_user_id"]
    assert session_id not in body and token not in body


def test_data_download_follows_a_profile_change(signed_in, client):
    client.post("/account/profile", data=PROFILE)
    account = client.get("/account/data.json").get_json()["account"]
    assert (account["display_name"], account["organisation"], account["country"]) == (
        "Ada Lovelace",
        "Analytical Engines Ltd",
        "United Kingdom",
    )


# --- deletion -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["not my password at all", ""])
def test_delete_with_wrong_password_keeps_the_account(app, signed_in, client, password):
    response = client.post("/account/delete", data={"delete_password": password})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert ("your account was not deleted" if password else "Enter your current password.") in html
    assert account_row(app) is not None
    assert client.get("/account/").status_code == 200


def test_delete_removes_the_account_and_logs_out(app, signed_in, client):
    other = app.test_client()
    assert login(other).status_code == 302

    response = client.post("/account/delete", data={"delete_password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Your account has been deleted." in client.get("/").get_data(as_text=True)

    assert account_row(app) is None
    with app.app_context():
        assert db.session.get(User, signed_in.id) is None
    assert_redirects_to_login(client.get("/account/"), "/account/")
    assert_redirects_to_login(other.get("/account/"), "/account/")
    assert login(app.test_client()).status_code == 400


def test_deleting_one_account_leaves_the_others(app, signed_in, client):
    with app.app_context():
        make_user(email="someone.else@example.org")
    client.post("/account/delete", data={"delete_password": DEFAULT_PASSWORD})
    assert account_row(app) is None
    assert account_row(app, "someone.else@example.org") is not None


def test_deleting_an_account_takes_its_address_out_of_the_outbox(app, signed_in, client):
    from consult_app.models import OutboxMail
    from consult_app.services import mail

    with app.app_context():
        make_user(email="someone.else@example.org")
        mail.send_mail(signed_in.email, "Waiting", "Still in the outbox.")
        mail.send_mail("someone.else@example.org", "Waiting too", "Not theirs.")
        db.session.commit()
    client.post("/account/delete", data={"delete_password": DEFAULT_PASSWORD})
    with app.app_context():
        recipients = list(db.session.scalars(select(OutboxMail.recipient)))
    assert recipients == ["someone.else@example.org"]
