"""Changing the account's email address: a link to the new address, a notice to the old one, a button that
changes it once, the other sessions ended; mail read from a real SMTP server."""

import re

import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import OutboxMail, User, UserSession
from tests.factories import DEFAULT_PASSWORD, make_user

OLD = "ada@example.org"
NEW = "ada.lovelace@example.net"


def log_in(client, email=OLD, password=DEFAULT_PASSWORD):
    return client.post("/auth/login", data={"email": email, "password": password})


def ask(client, new=NEW, password=DEFAULT_PASSWORD):
    return client.post("/account/email", data={"new_email": new, "email_password": password})


def path_of_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/auth/change-email/\S+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def stored(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def queued(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(mail.recipient, mail.subject) for mail in db.session.scalars(select(OutboxMail))]


@pytest.fixture
def ada(app, client):
    """An account logged in on `client`; returns its id."""
    with app.app_context():
        user_id = make_user(email=OLD, name="Ada").id
    assert log_in(client).status_code == 302
    return user_id


def test_email_change_end_to_end(app, client, ada, mailbox):
    laptop = app.test_client()
    assert log_in(laptop).status_code == 302

    response = ask(client, new="  Ada.Lovelace@Example.NET ")
    assert response.status_code == 200
    assert f"We have sent a link to <strong>{NEW}</strong>" in response.get_data(as_text=True)
    assert stored(app, ada).email == OLD  # nothing changes before the link is followed
    messages = mailbox.deliver(2)
    to_new = next(message for message in messages if message["To"] == NEW)
    to_old = next(message for message in messages if message["To"] == OLD)
    assert to_new["Subject"] == "Confirm your new email address"
    assert NEW in to_old.get_content() and "/auth/change-email/" not in to_old.get_content()
    link = path_of_link(to_new)

    page = client.get(link)  # opening the link shows a button and changes nothing
    assert page.status_code == 200 and "Change my email address" in page.get_data(as_text=True)
    assert stored(app, ada).email == OLD

    done = client.post(link)
    assert done.status_code == 302 and done.headers["Location"] == "/account/"
    after = client.get("/account/").get_data(as_text=True)
    assert "Your email address has been changed." in after and NEW in after
    account = stored(app, ada)
    assert account.email == NEW and account.email_confirmed_at is not None
    # The other session has ended; this one goes on.
    assert laptop.get("/account/").status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(UserSession.id)).all()) == 1
    # The new address logs in, the old one no longer does.
    assert log_in(app.test_client()).status_code == 400
    assert log_in(app.test_client(), NEW).status_code == 302
    # The link is spent.
    again = app.test_client().post(link)
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)
    assert stored(app, ada).email == NEW


def test_following_the_link_in_another_browser_ends_every_session(app, client, ada, mailbox):
    ask(client)
    link = path_of_link(next(m for m in mailbox.deliver(2) if m["To"] == NEW))
    phone = app.test_client()  # the mail app's browser: not logged in
    done = phone.post(link)
    assert done.status_code == 302 and done.headers["Location"] == "/auth/login"
    assert client.get("/account/").status_code == 302
    assert stored(app, ada).email == NEW


@pytest.mark.parametrize(
    ("new", "password", "message"),
    [
        (NEW, "not my password", "Your password is not right; your email address was not changed."),
        (NEW, "", "Enter your current password."),
        ("ADA@example.org", DEFAULT_PASSWORD, "That is already your email address."),
        ("not-an-address", DEFAULT_PASSWORD, "Enter an email address like name@example.org."),
        ("", DEFAULT_PASSWORD, "Enter your email address."),
        ("a" * 250 + "@example.org", DEFAULT_PASSWORD, "Use at most 254 characters."),
    ],
)
def test_bad_requests_are_refused_with_a_message_and_mail_nobody(app, client, ada, new, password, message):
    response = ask(client, new=new, password=password)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert queued(app) == [] and stored(app, ada).email == OLD


def test_an_address_taken_by_another_account_is_not_revealed_and_gets_no_link(app, client, ada, mailbox):
    with app.app_context():
        make_user(email=NEW)
    response = ask(client)
    assert response.status_code == 200 and "We have sent a link to" in response.get_data(as_text=True)
    messages = mailbox.deliver(2)
    to_new = next(message for message in messages if message["To"] == NEW)
    assert "already belongs to your Consult account" in to_new.get_content()
    assert "/auth/change-email/" not in to_new.get_content()
    assert stored(app, ada).email == OLD


def test_an_address_taken_in_the_meantime_is_refused_with_a_clear_message(app, client, ada, mailbox):
    ask(client)
    link = path_of_link(next(m for m in mailbox.deliver(2) if m["To"] == NEW))
    with app.app_context():
        make_user(email=NEW)
    response = client.post(link)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"Another account already uses {NEW}, so your email address was not changed." in html
    assert stored(app, ada).email == OLD and client.get("/account/").status_code == 200
