"""Failed log-ins per account, from whatever address: held back, then locked, with one mail to the owner; the
answers never tell whether an account exists. The tests run with the per-address rate limits off
(RATELIMIT_ENABLED is false in TestConfig), which this does not depend on."""

import logging
import time
import uuid

import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import OutboxMail
from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD, make_user

EMAIL = "owner@example.org"
WRONG = "not the password at all"
ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")


def attempt(app, email: str = EMAIL, password: str = WRONG, address: str = "127.0.0.1"):
    client = app.test_client()
    return client.post(
        "/auth/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def answer(response) -> tuple[int, str]:
    """Status and page, with the address typed in taken out, to compare answers for different addresses."""
    page = response.get_data(as_text=True)
    for email in (EMAIL, "nobody@example.org"):
        page = page.replace(email, "EMAIL")
    return response.status_code, page


def lock_mails(app) -> list[OutboxMail]:
    with app.app_context():
        mails = list(db.session.scalars(select(OutboxMail).where(OutboxMail.subject.contains("locked"))))
        db.session.expunge_all()
        return mails


@pytest.fixture
def owner(app):
    with app.app_context():
        return make_user(email=EMAIL, name="Olive Owner").id


def test_forty_wrong_passwords_from_four_addresses_lock_the_account(app, owner):
    app.config["LOGIN_LOCK_MINUTES"] = 1 / 60  # a lock of one second, so that the test can see it end
    answers = [answer(attempt(app, address=ADDRESSES[number % 4])) for number in range(40)]
    assert {status for status, _ in answers} == {400}
    assert len({page for _, page in answers}) == 1  # every failure looks alike, before and during the lock
    # Locked: the right password is refused with the very same answer, from a fifth address.
    assert answer(attempt(app, password=DEFAULT_PASSWORD, address="127.0.0.6")) == answers[0]
    # One mail to the owner for the lock, however many attempts followed it.
    [mail] = lock_mails(app)
    assert mail.recipient == EMAIL and "Olive Owner" in mail.body and "/auth/reset" in mail.body
    time.sleep(1.2)  # the lock ends
    response = attempt(app, password=DEFAULT_PASSWORD, address="127.0.0.6")
    assert response.status_code == 302
    assert len(lock_mails(app)) == 1


def test_a_lock_holds_for_its_configured_time(app, owner):
    for number in range(10):
        attempt(app, address=ADDRESSES[number % 4])
    assert attempt(app, password=DEFAULT_PASSWORD).status_code == 400  # 15 minutes by default
    assert len(lock_mails(app)) == 1


def test_a_locked_account_an_unknown_address_and_a_wrong_password_get_the_same_answer(app, owner):
    with app.app_context():
        make_user(email="other@example.org")
    for _ in range(10):
        attempt(app)
    locked = answer(attempt(app, password=DEFAULT_PASSWORD))
    unknown = answer(attempt(app, email="nobody@example.org"))
    status, page = answer(attempt(app, email="other@example.org"))
    wrong = (status, page.replace("other@example.org", "EMAIL"))
    assert locked == unknown == wrong
    assert locked[0] == 400 and "The email address or password is not right." in locked[1]


def test_after_five_failures_the_next_attempt_waits_and_a_refused_one_counts(app, owner):
    app.config["LOGIN_FIRST_DELAY_SECONDS"] = 1
    for number in range(5):
        attempt(app, address=ADDRESSES[number % 4])
    # Held back for a second: even the right password is refused (and the refusal counts as a failure) ...
    assert attempt(app, password=DEFAULT_PASSWORD).status_code == 400
    time.sleep(2.1)  # the sixth failure doubled the wait to two seconds
    # ... and after the wait the right password works again, and the count starts afresh.
    assert attempt(app, password=DEFAULT_PASSWORD).status_code == 302
    for _ in range(4):
        attempt(app)
    assert attempt(app, password=DEFAULT_PASSWORD).status_code == 302
    assert lock_mails(app) == []


def test_an_unknown_address_is_locked_the_same_and_nobody_is_mailed(app, owner, caplog):
    with caplog.at_level(logging.INFO, logger="consult.security"):
        for _ in range(12):
            assert attempt(app, email="nobody@example.org").status_code == 400
    assert lock_mails(app) == []
    messages = [record.getMessage() for record in caplog.records]
    assert any("locked after repeated failures: unknown account=" in message for message in messages)
    assert not any("nobody" in message for message in messages)
    assert attempt(app, password=DEFAULT_PASSWORD).status_code == 302  # another account is not affected


def test_a_password_reset_lifts_the_lock(app, client, owner):
    from consult_app.services import accounts, tokens

    for _ in range(10):
        attempt(app)
    with app.app_context():
        user = accounts.find_by_email(EMAIL)
        token = tokens.make_token(tokens.RESET_PASSWORD, {"user": user.id, "hash": accounts._fingerprint(user)})
    new = "a fresh and rather long passphrase"
    assert client.post(f"/auth/reset/{token}", data={"password": new, "password_confirm": new}).status_code == 302
    assert attempt(app, password=new).status_code == 302


def test_the_lock_can_be_switched_off_for_load_tests(app, owner):
    app.config["LOGIN_LOCK_ENABLED"] = False
    for _ in range(15):
        attempt(app)
    assert attempt(app, password=DEFAULT_PASSWORD).status_code == 302
    assert lock_mails(app) == []


def test_counts_in_redis_hold_across_processes(app, database_url, redis_url, owner):
    settings = {"RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    first, second = make_app(database_url, **settings), make_app(database_url, **settings)
    for number in range(5):
        attempt(first, address=ADDRESSES[number % 4])
    for number in range(5):
        attempt(second, address=ADDRESSES[number % 4])
    assert attempt(first, password=DEFAULT_PASSWORD).status_code == 400
    assert attempt(second, password=DEFAULT_PASSWORD).status_code == 400
    assert len(lock_mails(app)) == 1


def test_an_unreachable_store_lets_log_ins_through_and_says_so(app, database_url, owner, caplog):
    broken = make_app(database_url, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1")
    with caplog.at_level(logging.WARNING, logger="consult.security"):
        assert attempt(broken).status_code == 400
        assert attempt(broken, password=DEFAULT_PASSWORD).status_code == 302
    assert any("Failed to throttle log-in" in record.getMessage() for record in caplog.records)
