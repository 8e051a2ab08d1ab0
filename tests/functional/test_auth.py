"""Registration, log-in, log-out and password reset, with mail delivered from the outbox to a real SMTP server on
loopback (the `mailbox` fixture of tests/smtp.py)."""

import logging
import re

import pytest
from sqlalchemy import select, update

from consult_app import create_app
from consult_app.extensions import db
from consult_app.models import OutboxMail, User
from consult_app.models.types import utcnow
from consult_app.services import outbox
from tests.conftest import IsolatedClient
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.smtp import free_port, running_server
from tests.support.databases import empty_all_tables

NEW_PASSWORD = "another quite unusual passphrase"
REGISTRATION = {
    "email": "Ada@Example.org",
    "name": "Ada Lovelace",
    "organisation": "Analytical Engines Ltd",
    "respondent_type": "academia_research",
    "country": "United Kingdom",
    "password": "engines weave algebraic patterns",
    "password_confirm": "engines weave algebraic patterns",
    "accept_terms": "y",
}


def link_in(message, path: str) -> str:
    """The path of the first link to `path` in a mail body."""
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}[^\s]+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def without(response, email: str) -> str:
    """The page with the email address someone typed taken out, to compare two answers. The CSRF token of the
    page's "send the link again" form is random per session, so it is masked too; everything else must match."""
    page = response.get_data(as_text=True).replace(email, "EMAIL")
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value="TOKEN"', page)


def users(app) -> list[User]:
    with app.app_context():
        return list(db.session.scalars(select(User)))


def register(client, **changes):
    return client.post("/auth/register", data={**REGISTRATION, **changes})


# --- registration -------------------------------------------------------------------------------------------


def test_registration_form_asks_for_the_profile_and_the_privacy_notice(client):
    html = client.get("/auth/register").get_data(as_text=True)
    for name in ("email", "name", "organisation", "respondent_type", "country", "password", "password_confirm"):
        assert f'name="{name}"' in html
    assert 'name="accept_terms"' in html and 'href="/privacy"' in html
    assert "National statistics office" in html and "Civil society" in html


def test_privacy_notice_says_what_is_kept_and_who_sees_it(client):
    html = client.get("/privacy").get_data(as_text=True)
    assert "What we keep" in html and "Who sees it" in html and "Deleted account" in html


def test_registration_sends_a_confirmation_link_that_logs_in(app, client, mailbox):
    response = register(client)
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    [user] = users(app)
    assert user.email == "ada@example.org" and user.email_confirmed_at is None
    assert user.privacy_accepted_at is not None and user.respondent_type == "academia_research"
    assert user.password_hash.startswith("scrypt:") and REGISTRATION["password"] not in user.password_hash
    [message] = mailbox.deliver(1)
    assert message["To"] == "ada@example.org"
    assert client.get("/account/").status_code == 302  # not logged in before confirming
    link = link_in(message, "/auth/confirm/")
    page = client.get(link)  # a page with one button: opening the link changes nothing
    assert page.status_code == 200 and "Confirm my email address" in page.get_data(as_text=True)
    assert users(app)[0].email_confirmed_at is None and client.get("/account/").status_code == 302
    confirm = client.post(link)
    assert confirm.status_code == 302
    assert client.get("/account/").status_code == 200
    assert users(app)[0].email_confirmed_at is not None


def test_registering_a_taken_email_answers_the_same_and_mails_the_owner(app, client, mailbox):
    with app.app_context():
        make_user(email="ada@example.org")
    first = register(client, email="ADA@example.org")
    assert first.status_code == 200
    fresh = register(app.test_client(), email="someone.new@example.org")
    assert without(first, "ADA@example.org") == without(fresh, "someone.new@example.org")
    messages = mailbox.deliver(2)
    owner_mail = next(m for m in messages if m["To"] == "ada@example.org")
    assert owner_mail["Subject"] == "You already have an account"
    assert len(users(app)) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "not-an-email"}, "Enter an email address like name@example.org."),
        ({"email": "a" * 250 + "@example.org"}, "Use at most 254 characters."),
        ({"name": "  "}, "Enter your name."),
        ({"name": "n" * 101}, "Use at most 100 characters."),
        ({"organisation": "o" * 201}, "Use at most 200 characters."),
        ({"name": "\u202eModerator"}, "Remove the invisible character U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ({"name": "\u200b"}, "Remove the invisible character U+200B (ZERO WIDTH SPACE)"),
        ({"name": "\u0301"}, "Enter letters, not only accents or other combining marks."),
        ({"organisation": "Stat\u00adistics"}, "Remove the invisible character U+00AD (SOFT HYPHEN)"),
        ({"country": "\u3164"}, "Enter visible characters: this has only blank space in it."),
        ({"respondent_type": "alien"}, "Not a valid choice"),
        ({"respondent_type": ""}, "Choose how you are responding."),
        ({"password": "short", "password_confirm": "short"}, "Use at least 12 characters."),
        ({"password": "password12345", "password_confirm": "password12345"}, "too common"),
        ({"password": "x" * 257, "password_confirm": "x" * 257}, "256"),
        ({"password_confirm": "something else entirely"}, "The two passwords differ."),
        ({"accept_terms": ""}, "You need to accept the privacy notice to register."),
    ],
)
def test_bad_registrations_are_refused_with_a_message(app, client, changes, message):
    response = register(client, **changes)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert users(app) == []


def test_long_passwords_are_accepted_and_not_truncated(app, client):
    password = " ".join(f"word{number}" for number in range(25))  # 149 characters, nothing repeated
    assert len(password) > 128
    with app.app_context():
        make_user(email="long@example.org", password=password)
    assert client.post("/auth/login", data={"email": "long@example.org", "password": password}).status_code == 302
    wrong = password[:-1] + "X"
    assert client.post("/auth/login", data={"email": "long@example.org", "password": wrong}).status_code == 400


def test_a_broken_confirmation_link_is_a_400(client):
    response = client.get("/auth/confirm/not-a-real-token")
    assert response.status_code == 400
    assert "not valid or has expired" in response.get_data(as_text=True)


# --- log-in and log-out -------------------------------------------------------------------------------------


def login(client, email, password=DEFAULT_PASSWORD, **extra):
    return client.post("/auth/login", data={"email": email, "password": password, **extra})


def test_login_and_logout(app, client):
    with app.app_context():
        make_user(email="rev@example.org")
    response = login(client, "REV@example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/account/").status_code == 200
    with app.app_context():
        assert users(app)[0].last_login_at is not None
    assert client.get("/auth/logout").status_code == 405  # state changes only by POST
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/account/").status_code == 302


def test_failed_logins_look_the_same_whether_or_not_the_account_exists(app, client):
    with app.app_context():
        make_user(email="known@example.org")
        make_user(email="gone@example.org", active=False)
    answers = [
        login(client, "known@example.org", "wrong password here"),
        login(client, "unknown@example.org", "wrong password here"),
        login(client, "gone@example.org"),
    ]
    bodies = {
        answer.get_data(as_text=True).replace("unknown@", "X@").replace("known@", "X@").replace("gone@", "X@")
        for answer in answers
    }
    assert {answer.status_code for answer in answers} == {400}
    assert len(bodies) == 1
    assert "The email address or password is not right." in bodies.pop()


def test_unconfirmed_account_gets_a_new_link_instead_of_a_session(app, client, mailbox):
    with app.app_context():
        make_user(email="new@example.org", confirmed=False)
    response = login(client, "new@example.org")
    assert response.status_code == 403
    assert "not confirmed yet" in response.get_data(as_text=True)
    assert mailbox.deliver(1)[0]["Subject"] == "Confirm your email address"
    assert client.get("/account/").status_code == 302


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/account/", "/account/"),
        ("/guidance/x/?a=1", "/guidance/x/?a=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("account", "/"),
    ],
)
def test_next_only_goes_to_our_own_paths(app, client, next_url, expected):
    with app.app_context():
        make_user(email="rev@example.org")
    response = client.post(
        "/auth/login", query_string={"next": next_url}, data={"email": "rev@example.org", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_the_session_is_renewed_at_login(app, client):
    with app.app_context():
        make_user(email="rev@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, "rev@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" in session


def test_remember_me_cookie_is_http_only_and_same_site(app, client):
    with app.app_context():
        make_user(email="rev@example.org")
    response = login(client, "rev@example.org", remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(cookie for cookie in cookies if cookie.startswith("remember_token="))
    session = next(cookie for cookie in cookies if cookie.startswith("session="))
    for cookie in (remember, session):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_remember_cookie_alone_restores_the_session_until_the_password_changes(app, client):
    with app.app_context():
        make_user(email="rev@example.org")
    login(client, "rev@example.org", remember="y")
    remember = client.get_cookie("remember_token").value
    other = app.test_client()
    other.set_cookie("remember_token", remember)
    assert other.get("/account/").status_code == 200
    client.post(
        "/account/password",
        data={"current_password": DEFAULT_PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    stale = app.test_client()
    stale.set_cookie("remember_token", remember)
    assert stale.get("/account/").status_code == 302


# --- password reset -----------------------------------------------------------------------------------------


def test_password_reset_through_the_mail(app, client, mailbox):
    with app.app_context():
        make_user(email="rev@example.org")
    response = client.post("/auth/reset", data={"email": "Rev@Example.org"})
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    [message] = mailbox.deliver(1)
    assert message["Subject"] == "Reset your password"
    link = link_in(message, "/auth/reset/")
    assert client.get(link).status_code == 200
    done = client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.get("/account/").status_code == 200
    client.post("/auth/logout")
    assert login(client, "rev@example.org").status_code == 400
    assert login(client, "rev@example.org", NEW_PASSWORD).status_code == 302
    # Single use: the link stops working once the password changed.
    reused = app.test_client().get(link)
    assert reused.status_code == 400 and "already been used" in reused.get_data(as_text=True)


def test_reset_for_an_unknown_email_answers_the_same_and_sends_nothing(app, client, mailbox):
    with app.app_context():
        make_user(email="known@example.org")
    known = client.post("/auth/reset", data={"email": "known@example.org"})
    unknown = client.post("/auth/reset", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert without(known, "known@example.org") == without(unknown, "nobody@example.org")
    assert len(mailbox.deliver(1)) == 1
    assert [m["To"] for m in mailbox.messages] == ["known@example.org"]


def test_expired_and_tampered_reset_links_are_refused(app, client, mailbox, monkeypatch):
    with app.app_context():
        make_user(email="rev@example.org")
    client.post("/auth/reset", data={"email": "rev@example.org"})
    link = link_in(mailbox.deliver(1)[0], "/auth/reset/")
    assert client.get(link[:-3] + "abc").status_code == 400
    from consult_app.services import tokens

    monkeypatch.setitem(tokens.MAX_AGE, tokens.RESET_PASSWORD, -1)
    expired = client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert expired.status_code == 400
    with app.app_context():
        assert users(app)[0].check_password(DEFAULT_PASSWORD)


def test_reset_refuses_a_weak_new_password(app, client, mailbox):
    with app.app_context():
        make_user(email="rev@example.org")
    client.post("/auth/reset", data={"email": "rev@example.org"})
    link = link_in(mailbox.deliver(1)[0], "/auth/reset/")
    response = client.post(link, data={"password": "qwertyuiopasdf", "password_confirm": "qwertyuiopasdf"})
    assert response.status_code == 400
    with app.app_context():
        assert users(app)[0].check_password(DEFAULT_PASSWORD)


# --- mail leaves the request ---------------------------------------------------------------------------------


def outbox_rows(app) -> list[OutboxMail]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))
        db.session.expunge_all()
        return rows


def test_registration_succeeds_while_the_mail_server_is_down_and_the_mail_follows(app, client):
    """Requests never wait for SMTP: with the mail server stopped, registering works and the mail waits."""
    port = free_port()
    with running_server(port=port) as stopped:
        app.config["MAIL_URL"] = stopped.url
    response = register(client)
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    assert len(users(app)) == 1
    with app.app_context():
        assert outbox.deliver_all_due().retried == 1
        db.session.execute(update(OutboxMail).values(next_attempt_at=utcnow()))  # its retry time comes
        db.session.commit()
    with running_server(port=port) as back:
        with app.app_context():
            assert outbox.deliver_all_due().sent == 1
        [message] = back.wait_for(1)
    assert client.post(link_in(message, "/auth/confirm/")).status_code == 302  # the confirmation page's button


def test_a_refused_registration_queues_no_mail(app, client):
    response = register(client, password="short", password_confirm="short")
    assert response.status_code == 400
    assert outbox_rows(app) == [] and users(app) == []


def test_mailed_links_ignore_the_host_the_request_named(app, mailbox):
    """The testing configuration trusts every Host, as a misconfigured proxy might: the link still starts with
    CONSULT_BASE_URL, never with what the client sent."""
    with app.app_context():
        make_user(email="rev@example.org")
    attacker = app.test_client()
    response = attacker.post("/auth/reset", data={"email": "rev@example.org"}, base_url="http://evil.example")
    assert response.status_code == 200
    [message] = mailbox.deliver(1)
    assert "evil.example" not in message.get_content()
    assert re.search(r"^http://localhost/auth/reset/\S+$", message.get_content(), re.MULTILINE)


def test_production_refuses_any_other_host_with_a_400_page(monkeypatch, database_url):
    monkeypatch.setenv("SECRET_KEY", "production-secret-for-this-test")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CONSULT_BASE_URL", "https://consult.example.org")
    monkeypatch.setenv("CONSULT_CONTROLLER", "Statistics Ethics Institute")
    monkeypatch.setenv("CONSULT_PRIVACY_CONTACT", "dpo@stats-ethics.example")
    production = create_app("production", {"WTF_CSRF_ENABLED": False, "PROPAGATE_EXCEPTIONS": False})
    production.test_client_class = IsolatedClient
    with production.app_context():
        make_user(email="rev@example.org")
    try:
        client = production.test_client()
        for method in ("get", "post"):
            refused = getattr(client, method)(
                "/auth/reset", data={"email": "rev@example.org"}, base_url="https://evil.example"
            )
            assert refused.status_code == 400
            page = refused.get_data(as_text=True)
            # The site's own error page, its links on the real host, and not a word of the attacker's host.
            assert 'class="site-header"' in page and "answers only at its own address" in page
            assert 'href="/privacy"' in page and "evil.example" not in page
        assert outbox_rows(production) == []
        # The real host, on any port, is served; its mail links to the base address.
        served = client.post("/auth/reset", data={"email": "rev@example.org"}, base_url="https://consult.example.org")
        assert served.status_code == 200
        [queued] = outbox_rows(production)
        assert "\nhttps://consult.example.org/auth/reset/" in queued.body
    finally:
        with production.app_context():
            db.session.remove()
            empty_all_tables(db.engine, db.metadata)
            db.engine.dispose()


def test_one_address_gets_at_most_a_few_mails_an_hour(app, mailbox, caplog):
    """30 reset requests for one account, each from another client address: 5 mails, and the rest is logged
    with the outbox's count, never the address."""
    with app.app_context():
        make_user(email="target@example.org")
    caplog.set_level(logging.WARNING, logger="consult.mail")
    for number in range(30):
        client = app.test_client()
        response = client.post(
            "/auth/reset", data={"email": "target@example.org"}, environ_overrides={"REMOTE_ADDR": f"10.0.0.{number}"}
        )
        assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    assert len(outbox_rows(app)) == 5 == app.config["MAIL_PER_RECIPIENT_PER_HOUR"]
    assert len(mailbox.deliver(5)) == 5
    refusals = [record.getMessage() for record in caplog.records if record.name == "consult.mail"]
    assert len(refusals) == 25
    assert refusals[0] == "mail not queued: its recipient already had 5 mails in the last hour (limit 5)"
    assert not any("target@example.org" in message for message in refusals)
    # Another address is not held back by this one's limit.
    with app.app_context():
        make_user(email="other@example.org")
    assert app.test_client().post("/auth/reset", data={"email": "other@example.org"}).status_code == 200
    assert [mail.recipient for mail in outbox_rows(app)].count("other@example.org") == 1
