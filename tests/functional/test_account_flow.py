"""The way into an account: back to the page one was reading after confirming, a form error that keeps what is
safe to keep, "Nothing arrived?" that sends the confirmation again, and a receipt for every comment sent."""

from __future__ import annotations

import re

import pytest

from consult_app.services import tokens
from consult_app.services.mail import render_mail
from tests.factories import make_comment, make_user, session_token_for, sign_in_with
from tests.functional.test_auth import REGISTRATION, link_in, register, users, without

SECTION = "/guidance/test-guidance/public-good/"


def confirm(client, message) -> str:
    """Follow the confirmation link of `message` and press its button; the address the answer leads to."""
    response = client.post(link_in(message, "/auth/confirm/"))
    assert response.status_code == 302
    return response.headers["Location"]


# --- back where one was -------------------------------------------------------------------------------------


def test_confirming_leads_back_to_the_page_where_the_reader_chose_to_register(client, document, mailbox):
    section = client.get(SECTION).get_data(as_text=True)
    register_link = re.search(r'href="(/auth/register\?next=[^"]+)">register</a>', section)[1]
    assert register_link == f"/auth/register?next={SECTION}"
    form = client.get(register_link).get_data(as_text=True)
    assert f'<input type="hidden" name="next" value="{SECTION}">' in form
    assert register(client, next=SECTION).status_code == 200
    [message] = mailbox.deliver(1)
    assert confirm(client, message) == SECTION
    page = client.get(SECTION).get_data(as_text=True)
    assert "your email address is confirmed and you are logged in" in page and 'name="body"' in page


def test_the_header_links_carry_the_page_and_the_auth_pages_do_not(client, document):
    header = client.get(SECTION).get_data(as_text=True)
    assert f'href="/auth/register?next={SECTION}">Register</a>' in header
    assert f'href="/auth/login?next={SECTION}">Log in</a>' in header
    assert 'href="/auth/register">Register</a>' in client.get("/auth/login").get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example", "javascript:alert(1)", "/\\evil.example", "evil.example", " //evil"],
)
def test_no_open_redirect_through_registration(app, client, mailbox, target):
    assert target not in client.get("/auth/register", query_string={"next": target}).get_data(as_text=True)
    assert register(client, next=target).status_code == 200
    [message] = mailbox.deliver(1)
    assert "next" not in str(tokens_payload(app, message))
    assert confirm(client, message) == "/"


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "javascript:alert(1)"])
def test_a_signed_link_carrying_a_foreign_address_still_leads_home(app, client, target):
    """The view checks the link's `next` again: a token signed with our key (a leak, a bug elsewhere) must not
    be enough to send someone off the site."""
    with app.app_context():
        user = make_user(confirmed=False)
        token = tokens.make_token(tokens.CONFIRM_EMAIL, {"user": user.id, "email": user.email, "next": target})
    response = client.post(f"/auth/confirm/{token}")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def tokens_payload(app, message) -> dict:
    token = link_in(message, "/auth/confirm/").rsplit("/", 1)[1]
    with app.app_context():
        return tokens.read_token(tokens.CONFIRM_EMAIL, token)


# --- a form error keeps what is safe to keep ------------------------------------------------------------------


def test_after_a_form_error_the_privacy_box_stays_ticked_and_the_password_is_asked_for_again(client):
    response = register(client, name="")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'<input checked[^>]*name="accept_terms"', html)
    assert 'value="Ada@Example.org"' in html and 'value="Analytical Engines Ltd"' in html
    assert REGISTRATION["password"] not in html  # never echoed into the page
    assert re.search(r'<input[^>]*name="password"[^>]*value=""', html)
    note = "For your safety, type your password again"
    assert f'<p class="notice" id="password-again">{note}' in html
    # Listed in the error summary, which takes the focus, with a link to the password field.
    summary = re.search(r'<div class="error-summary"[^>]*autofocus>.*?</div>', html, re.S)[0]
    assert "Enter your name." in summary and f'<a href="#password">{note}' in summary


def test_no_note_when_no_password_was_typed(client):
    html = register(client, password="", password_confirm="", name="").get_data(as_text=True)
    assert "For your safety" not in html and "Choose a password." in html


# --- "Nothing arrived?" -------------------------------------------------------------------------------------


def test_nothing_arrived_sends_the_confirmation_again_with_the_way_back(app, client, document, mailbox):
    page = register(client, next=SECTION).get_data(as_text=True)
    form = re.search(r'<form method="post" action="/auth/resend-confirmation">.*?</form>', page, re.S)[0]
    assert 'name="email" value="Ada@Example.org"' in form and f'name="next" value="{SECTION}"' in form
    assert "Send the confirmation link again" in form and "password reset" not in page
    again = client.post("/auth/resend-confirmation", data={"email": "Ada@Example.org", "next": SECTION})
    assert again.status_code == 200 and "we have sent it a new link" in again.get_data(as_text=True)
    messages = mailbox.deliver(2)  # the first link and the new one: both lead back
    assert {(m["Subject"], m["To"]) for m in messages} == {("Confirm your email address", "ada@example.org")}
    assert {str(tokens_payload(app, m).get("next")) for m in messages} == {SECTION}
    assert confirm(client, messages[1]) == SECTION
    assert users(app)[0].email_confirmed_at is not None


def test_nothing_arrived_answers_alike_for_unknown_and_confirmed_addresses(app, client, mailbox):
    with app.app_context():
        make_user(email="known@example.org")  # confirmed: nothing to send
        make_user(email="waiting@example.org", confirmed=False)
    answers = {
        email: without(client.post("/auth/resend-confirmation", data={"email": email}), email)
        for email in ("nobody@example.org", "known@example.org", "waiting@example.org")
    }
    assert len(set(answers.values())) == 1
    [message] = mailbox.deliver(1)
    assert message["To"] == "waiting@example.org"


def test_nothing_arrived_refuses_bad_input_with_a_message(client):
    for data in ({}, {"email": "not an address"}, {"email": "a" * 300 + "@example.org"}):
        response = client.post("/auth/resend-confirmation", data=data)
        assert response.status_code == 400 and "There is a problem" in response.get_data(as_text=True)


def test_logging_in_before_confirming_offers_the_resend_too(app, client):
    with app.app_context():
        user = make_user(confirmed=False)
        email = user.email
    response = client.post(f"/auth/login?next={SECTION}", data={"email": email, "password": REGISTRATION_PASSWORD})
    assert response.status_code == 403
    assert f'name="next" value="{SECTION}"' in response.get_data(as_text=True)


REGISTRATION_PASSWORD = "a long and unusual test passphrase"  # tests/factories.py DEFAULT_PASSWORD


# --- the receipt ---------------------------------------------------------------------------------------------


def test_sending_a_comment_mails_a_receipt_with_its_reference_and_a_link(app, client, document, mailbox):
    with app.app_context():
        author = make_user(name="Ada Lovelace")
        email = author.email
        sign_in_with(client, session_token_for(author))
    data = {"body": "Say *who* decides.", "kind": "concern", "publication": "private"}
    assert client.post(SECTION, data={**data, "preview": "1"}).status_code == 200  # a preview mails nothing
    response = client.post(SECTION, data=data)
    assert response.status_code in (200, 302)
    [message] = mailbox.deliver(1)
    reference = re.search(r"C-\d{6}", message["Subject"])[0]
    body = message.get_content()
    assert message["To"] == email and message["Subject"] == f"We have your comment {reference}"
    assert f"We have your comment {reference} on section 2. Public good" in body
    assert "awaiting moderation" in body and "Private: only for the drafting team" in body
    assert f"{SECTION}#{reference}" in body and "/account/" in body


def test_the_receipt_of_a_reply_names_what_it_answers(document):
    author = make_user()
    parent = make_comment(author, document, status="approved")
    reply = make_comment(author, document, parent_id=parent.id)
    context = {"comment": reply, "author": author, "document": document, "link": "L", "account_link": "A"}
    subject, body = render_mail("mail/comment_received.txt", section=reply.version.sections[1], **context)
    assert subject == f"We have your reply {reply.reference}" and f"in reply to {parent.reference}" in body
