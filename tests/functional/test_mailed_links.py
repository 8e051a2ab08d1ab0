"""Links sent by mail (confirm an address, reset a password, change an address): opening one changes nothing,
its button confirms once, and every bad link is a 400 page with a way on, never a 500 and never a log-in."""

import re

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import User
from consult_app.services import accounts, tokens
from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD, make_user

EMAIL = "new@example.org"
NEW_PASSWORD = "copper kettles hum at dawn"
ENDPOINTS = {"confirm": "/auth/confirm/", "reset": "/auth/reset/", "change": "/auth/change-email/"}


@pytest.fixture
def newcomer(app):
    """An account that registered and has not confirmed its address yet; returns its id."""
    with app.app_context():
        return make_user(email=EMAIL, confirmed=False).id


def token_for(app, purpose: str, user_id: int, **payload) -> str:
    with app.app_context():
        user = db.session.get(User, user_id)
        defaults = {
            tokens.CONFIRM_EMAIL: {"user": user_id, "email": user.email},
            tokens.RESET_PASSWORD: {"user": user_id, "hash": accounts._fingerprint(user)},
            tokens.CHANGE_EMAIL: {"user": user_id, "old": user.email, "new": "moved@example.org"},
        }
        return tokens.make_token(purpose, {**defaults[purpose], **payload})


def confirmed(app, user_id: int = 1) -> bool:
    with app.app_context():
        return db.session.get(User, user_id).email_confirmed_at is not None


def signed_in(client) -> bool:
    return client.get("/account/").status_code == 200


# --- confirmation ---------------------------------------------------------------------------------------------


def test_opening_the_confirmation_link_changes_nothing(app, client, newcomer):
    link = ENDPOINTS["confirm"] + token_for(app, tokens.CONFIRM_EMAIL, newcomer)
    for _ in range(2):  # a mail scanner, then the person
        page = client.get(link)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Confirm my email address" in html and '<form method="post"' in html
    assert not confirmed(app, newcomer) and not signed_in(client)


def test_the_confirmation_link_confirms_and_logs_in_once_and_nobody_after(app, client, newcomer):
    link = ENDPOINTS["confirm"] + token_for(app, tokens.CONFIRM_EMAIL, newcomer)
    first = client.post(link)
    assert first.status_code == 302 and confirmed(app, newcomer) and signed_in(client)
    for stranger in (app.test_client(), app.test_client()):  # two fresh browsers, as in the finding
        for answer in (stranger.post(link), stranger.get(link)):
            assert answer.status_code == 400
            html = answer.get_data(as_text=True)
            assert "already confirmed. Please log in." in html and 'href="/auth/login"' in html
        assert not signed_in(stranger)


def test_the_confirmation_link_logs_nobody_in_after_a_password_change(app, client, newcomer):
    link = ENDPOINTS["confirm"] + token_for(app, tokens.CONFIRM_EMAIL, newcomer)
    client.post(link)
    form = {"current_password": DEFAULT_PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    assert client.post("/account/password", data=form).status_code == 302
    later = app.test_client()
    assert later.post(link).status_code == 400 and not signed_in(later)


def test_the_confirmation_button_needs_the_pages_csrf_token(app, database_url, newcomer):
    csrf_app = make_app(database_url, WTF_CSRF_ENABLED=True)
    link = ENDPOINTS["confirm"] + token_for(app, tokens.CONFIRM_EMAIL, newcomer)
    client = csrf_app.test_client()
    assert client.post(link).status_code == 400  # a log-in CSRF: a form on another site posting the link
    assert not confirmed(app, newcomer)
    page = client.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(link, data={"csrf_token": token}).status_code == 302
    assert confirmed(app, newcomer) and signed_in(client)


# --- bad links ----------------------------------------------------------------------------------------------


def forged(app, purpose: str, user_id: int) -> str:
    """A well-formed token for `purpose`, signed with another key."""
    return URLSafeTimedSerializer("not the app's secret key", salt=purpose).dumps({"user": user_id, "email": EMAIL})


def bad_tokens(app, endpoint: str, user_id: int) -> dict[str, str]:
    purpose = {"confirm": tokens.CONFIRM_EMAIL, "reset": tokens.RESET_PASSWORD, "change": tokens.CHANGE_EMAIL}
    own = token_for(app, purpose[endpoint], user_id)
    others = {name: token_for(app, other, user_id) for name, other in purpose.items() if name != endpoint}
    with app.app_context():
        odd_payloads = {
            "user as text": tokens.make_token(purpose[endpoint], {"user": str(user_id), "email": EMAIL}),
            "user beyond any id": tokens.make_token(purpose[endpoint], {"user": 2**63, "email": EMAIL}),
            "a list payload": tokens.make_token(purpose[endpoint], [user_id]),  # type: ignore[arg-type]
            "an unknown account": tokens.make_token(purpose[endpoint], {"user": user_id + 1000, "email": EMAIL}),
        }
    return {
        "forged": forged(app, purpose[endpoint], user_id),
        "truncated": own[:-6],
        # Inside the signature: its last character can carry padding bits only, which decoding ignores.
        "one character changed": own[:-10] + ("A" if own[-10] != "A" else "B") + own[-9:],
        "not a token": "not-a-real-token",
        "non-ASCII": "t\u00f6ken\u202e",
        "very long": "x" * 3000,
        **{f"a {name} link's token": token for name, token in others.items()},
        **odd_payloads,
    }


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_bad_links_are_a_400_page_with_a_way_on(app, newcomer, endpoint, method):
    with app.app_context():
        make_user(email="someone@example.org")  # the reset and change cases need a confirmed, active account
    user_id = newcomer if endpoint == "confirm" else 2
    for case, token in bad_tokens(app, endpoint, user_id).items():
        client = app.test_client()
        data = {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD} if method == "POST" else None
        response = client.open(ENDPOINTS[endpoint] + token, method=method, data=data)
        assert response.status_code == 400, case
        html = response.get_data(as_text=True)
        assert "<h1>Link not valid</h1>" in html and re.search(r'<li><a href="/(auth|account)/', html), case
        assert not signed_in(client), case
    assert not confirmed(app, newcomer)
    with app.app_context():
        someone = db.session.scalar(select(User).where(User.email == "someone@example.org"))
        assert someone.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_expired_links_are_a_400(app, client, newcomer, endpoint, monkeypatch):
    purpose = {"confirm": tokens.CONFIRM_EMAIL, "reset": tokens.RESET_PASSWORD, "change": tokens.CHANGE_EMAIL}
    with app.app_context():
        make_user(email="someone@example.org")
    token = token_for(app, purpose[endpoint], newcomer if endpoint == "confirm" else 2)
    monkeypatch.setitem(tokens.MAX_AGE, purpose[endpoint], -1)
    for method in ("GET", "POST"):
        assert client.open(ENDPOINTS[endpoint] + token, method=method).status_code == 400
    assert not confirmed(app, newcomer) and not signed_in(client)


def test_a_reset_link_works_once(app, client):
    with app.app_context():
        user_id = make_user(email="someone@example.org").id
    link = ENDPOINTS["reset"] + token_for(app, tokens.RESET_PASSWORD, user_id)
    assert client.get(link).status_code == 200
    done = client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert done.status_code == 302 and signed_in(client)
    other = app.test_client()
    again = other.post(link, data={"password": "yet another long passphrase", "password_confirm": "x"})
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)
    assert not signed_in(other)
