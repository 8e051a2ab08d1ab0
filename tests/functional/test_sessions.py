"""Server-side sessions: a log-out really ends the session, wherever its cookies went; idle and absolute
lifetimes; the account page's list of sessions and "log out everywhere else"; the purge command."""

import json
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from consult_app import ConfigurationError, create_app
from consult_app.extensions import db
from consult_app.models import User, UserSession
from consult_app.models.types import utcnow
from consult_app.services import sessions
from tests.factories import DEFAULT_PASSWORD, make_user

EMAIL = "rev@example.org"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)


def browser(app, address: str = "127.0.0.1", agent: str = FIREFOX):
    """A test client that comes from `address` with `agent` as its browser."""
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": address, "HTTP_USER_AGENT": agent})
    return client


def log_in(client, remember: bool = False):
    data = {"email": EMAIL, "password": DEFAULT_PASSWORD, **({"remember": "y"} if remember else {})}
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def signed_in(client) -> bool:
    """Whether the client's cookies open a session (the account page answers instead of sending to log in)."""
    response = client.get("/account/")
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert urlsplit(response.headers["Location"]).path == "/auth/login"
    return response.status_code == 200


def session_rows(app) -> list[UserSession]:
    with app.app_context():
        rows = list(db.session.scalars(select(UserSession).order_by(UserSession.created_at)))
        db.session.expunge_all()
        return rows


def move_session_times(app, **values) -> None:
    """Make every session look older: values are timedeltas to subtract from its columns."""
    with app.app_context():
        for row in db.session.scalars(select(UserSession)):
            for column, delta in values.items():
                setattr(row, column, getattr(row, column) - delta)
        db.session.commit()


@pytest.fixture
def account(app):
    with app.app_context():
        return make_user(email=EMAIL).id


# --- log-out ------------------------------------------------------------------------------------------------


def test_log_out_deletes_the_remember_me_cookie_and_the_copied_cookie_opens_nothing(app, account):
    client = browser(app)
    log_in(client, remember=True)
    remember = client.get_cookie("remember_token").value
    response = client.post("/auth/logout")
    assert response.status_code == 302
    # The answer tells the browser to delete the remember-me cookie (it expires at once) ...
    [deletion] = [cookie for cookie in response.headers.getlist("Set-Cookie") if cookie.startswith("remember_token=")]
    assert "Expires=Thu, 01 Jan 1970" in deletion
    assert client.get_cookie("remember_token") is None and not signed_in(client)
    # ... and a copy of it, kept by someone else, opens nothing: the session it names has ended.
    thief = browser(app, "203.0.113.9", CHROME_ANDROID)
    thief.set_cookie("remember_token", remember)
    assert not signed_in(thief)
    assert session_rows(app) == []


def test_a_session_cookie_copied_before_log_out_is_anonymous_afterwards(app, account):
    client = browser(app)
    log_in(client)
    copied = client.get_cookie("session").value
    replay = browser(app, "198.51.100.7", CHROME_ANDROID)
    replay.set_cookie("session", copied)
    assert signed_in(replay)  # before the log-out the copy works, as any cookie would
    client.post("/auth/logout")
    assert not signed_in(replay)
    profile = {"name": "Hijacked", "organisation": "", "respondent_type": "individual", "country": ""}
    assert urlsplit(replay.post("/account/profile", data=profile).headers["Location"]).path == "/auth/login"
    with app.app_context():
        assert db.session.get(User, account).display_name != "Hijacked"


def test_a_replayed_cookie_of_an_ended_session_is_dropped_from_the_browser(app, account):
    client = browser(app)
    log_in(client, remember=True)
    cookies = {name: client.get_cookie(name).value for name in ("session", "remember_token")}
    client.post("/auth/logout")
    replay = app.test_client()
    for name, value in cookies.items():
        replay.set_cookie(name, value)
    response = replay.get("/account/")
    assert response.status_code == 302
    assert replay.get_cookie("remember_token") is None  # deleted, so the browser stops sending it
    with replay.session_transaction() as session:
        assert "_user_id" not in session


def test_the_cookies_carry_a_random_token_and_the_database_only_its_hash(app, account):
    client = browser(app)
    log_in(client, remember=True)
    with client.session_transaction() as session:
        token = session["_user_id"]
    [row] = session_rows(app)
    assert token != str(account) and len(token) >= 40
    assert row.id == sessions.session_id(token) and token not in row.id
    assert client.get_cookie("remember_token").value.startswith(token + "|")  # Flask-Login signs it


def test_without_keep_me_logged_in_the_cookie_ends_with_the_browser(app, account):
    response = log_in(browser(app))
    [cookie] = response.headers.getlist("Set-Cookie")
    assert cookie.startswith("session=") and "Expires=" not in cookie
    remembered = log_in(browser(app), remember=True)
    for cookie in remembered.headers.getlist("Set-Cookie"):
        assert "Expires=" in cookie
    assert [row.remember for row in session_rows(app)] == [False, True]


# --- lifetimes ----------------------------------------------------------------------------------------------


def test_a_session_unused_for_the_idle_lifetime_ends(app, account):
    client = browser(app)
    log_in(client, remember=True)
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    move_session_times(app, last_seen_at=idle - timedelta(minutes=2))
    assert signed_in(client)  # still within the idle lifetime; this use counts as activity
    move_session_times(app, last_seen_at=idle + timedelta(minutes=1))
    assert not signed_in(client)  # the remember-me cookie names the same session: it restores nothing


def test_a_session_ends_at_its_absolute_lifetime_however_much_it_is_used(app, account):
    client = browser(app)
    log_in(client, remember=True)
    [row] = session_rows(app)
    assert row.expires_at - row.created_at == timedelta(days=app.config["SESSION_ABSOLUTE_DAYS"])
    lifetime = timedelta(days=app.config["SESSION_ABSOLUTE_DAYS"])
    move_session_times(app, created_at=lifetime, expires_at=lifetime + timedelta(seconds=1))
    assert not signed_in(client)  # last seen a moment ago, but its time is over


def test_last_seen_is_written_at_most_once_a_minute(app, account):
    client = browser(app)
    log_in(client)
    move_session_times(app, last_seen_at=timedelta(seconds=30))
    [before] = session_rows(app)
    assert signed_in(client) and signed_in(client)
    [after] = session_rows(app)
    assert after.last_seen_at == before.last_seen_at  # less than a minute ago: no write
    move_session_times(app, last_seen_at=timedelta(minutes=5))
    assert signed_in(client)
    [touched] = session_rows(app)
    assert utcnow() - touched.last_seen_at < timedelta(seconds=30)


def test_sessions_purge_deletes_only_ended_sessions(app, runner, account):
    for _ in range(3):
        log_in(browser(app))
    with app.app_context():
        rows = list(db.session.scalars(select(UserSession).order_by(UserSession.created_at)))
        rows[0].expires_at = utcnow() - timedelta(seconds=1)
        rows[1].last_seen_at = utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
        kept = rows[2].id
        db.session.commit()
    result = runner.invoke(args=["sessions", "purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2 ended sessions." in result.output
    assert [row.id for row in session_rows(app)] == [kept]


def test_a_log_in_clears_away_the_accounts_ended_sessions(app, account):
    log_in(browser(app))
    move_session_times(app, last_seen_at=timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1))
    log_in(browser(app))
    assert len(session_rows(app)) == 1


# --- the account page -----------------------------------------------------------------------------------------


def test_the_account_page_lists_the_sessions_and_marks_this_one(app, account):
    laptop, phone = browser(app, "192.0.2.10", FIREFOX), browser(app, "192.0.2.20", CHROME_ANDROID)
    log_in(laptop)
    log_in(phone)
    html = phone.get("/account/").get_data(as_text=True)
    section = html[html.index("Where you are logged in") :]
    assert "Firefox on Linux" in section and "192.0.2.10" in section
    assert "Chrome on Android <strong>(this session)</strong>" in section and "192.0.2.20" in section
    assert section.count("(this session)") == 1
    assert 'action="/account/sessions/others"' in section


def test_the_data_download_lists_the_sessions_without_their_tokens(app, account):
    client = browser(app, "192.0.2.30", CHROME_ANDROID)
    log_in(client, remember=True)
    body = client.get("/account/data.json").get_data(as_text=True)
    [listed] = json.loads(body)["sessions"]
    assert listed["ip_address"] == "192.0.2.30" and listed["user_agent"] == CHROME_ANDROID
    assert listed["kept_logged_in"] is True
    with client.session_transaction() as session:
        token = session["_user_id"]
    assert token not in body and sessions.session_id(token) not in body


def test_log_out_everywhere_else_keeps_only_this_session(app, account):
    here, laptop, phone = browser(app), browser(app, "192.0.2.10"), browser(app, "192.0.2.20", CHROME_ANDROID)
    log_in(here)
    log_in(laptop, remember=True)
    log_in(phone)
    remembered = laptop.get_cookie("remember_token").value
    response = here.post("/account/sessions/others")
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    page = here.get("/account/").get_data(as_text=True)
    assert "Logged out everywhere else (2 other sessions)." in page
    assert signed_in(here) and not signed_in(laptop) and not signed_in(phone)
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered)
    assert not signed_in(thief)
    assert len(session_rows(app)) == 1


def test_log_out_everywhere_else_leaves_other_accounts_alone(app, account):
    with app.app_context():
        make_user(email="someone@example.org")
    someone = browser(app)
    response = someone.post("/auth/login", data={"email": "someone@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    mine = browser(app)
    log_in(mine)
    mine.post("/account/sessions/others")
    assert signed_in(someone) and signed_in(mine)


def test_deactivation_and_deletion_end_every_session(app, account):
    client = browser(app)
    log_in(client)
    with app.app_context():
        db.session.execute(update(User).where(User.id == account).values(active=False))
        db.session.commit()
    assert not signed_in(client)  # a deactivated account loads from no session, even one not yet deleted
    with app.app_context():
        db.session.execute(update(User).where(User.id == account).values(active=True))
        db.session.commit()
    log_in(client)
    assert client.post("/account/delete", data={"delete_password": DEFAULT_PASSWORD}).status_code == 302
    assert session_rows(app) == []


# --- settings -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_DAYS", "LOGIN_LOCK_MINUTES"])
@pytest.mark.parametrize("value", ["0", "-5", "a week", "1.5"])
def test_lifetimes_that_are_not_positive_whole_numbers_are_refused_at_start(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        create_app("testing")


def test_lifetimes_and_the_lock_switch_come_from_the_environment(monkeypatch, tmp_path):
    settings = {"SESSION_IDLE_MINUTES": "90", "SESSION_ABSOLUTE_DAYS": "7", "LOGIN_LOCK_MINUTES": "30"}
    for variable, value in {**settings, "LOGIN_LOCK_ENABLED": "false"}.items():
        monkeypatch.setenv(variable, value)
    config = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 't.db'}"}).config
    assert {key: config[key] for key in settings} == {key: int(value) for key, value in settings.items()}
    assert config["LOGIN_LOCK_ENABLED"] is False
