"""Account administration (/admin/users): search, paging, role changes and (de)activation."""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import User, UserSession
from consult_app.services.accounts import USERS_PER_PAGE
from tests.factories import DEFAULT_PASSWORD, make_user

ADMIN = "admin@example.org"
TARGET = "target@example.org"
ROW = re.compile(r"<tr>\s*<td[^>]*><strong>.*?</strong><br>([^<\s]+@[^<\s]+)", re.S)


def login(client, email, password=DEFAULT_PASSWORD):
    return client.post("/auth/login", data={"email": email, "password": password})


def listed(response) -> list[str]:
    """The email addresses in the table of accounts, in order."""
    return ROW.findall(response.get_data(as_text=True))


def session_count(app, email) -> int:
    with app.app_context():
        return len(db.session.scalars(select(UserSession.id).join(User).where(User.email == email)).all())


def stored(app, email) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


@pytest.fixture
def admin(app, client):
    """An admin logged in on `client`; returns the stored account."""
    with app.app_context():
        make_user("admin", email=ADMIN, name="Grace Admin", organisation="Central Office")
    assert login(client, ADMIN).status_code == 302
    return stored(app, ADMIN)


@pytest.fixture
def target(app):
    with app.app_context():
        make_user("reviewer", email=TARGET, name="Tom Target", organisation="Somewhere")
    return stored(app, TARGET)


def add_plain_users(app, count: int, **fields) -> list[str]:
    """`count` reviewers inserted directly (no password hashing: they never log in); returns their emails."""
    emails = [f"bulk{number:02d}@example.org" for number in range(count)]
    with app.app_context():
        db.session.add_all(
            User(email=email, display_name=f"Bulk {number:02d}", password_hash="!", **fields)
            for number, email in enumerate(emails)
        )
        db.session.commit()
    return emails


# --- listing and search -------------------------------------------------------------------------------------


@pytest.fixture
def people(app, admin):
    with app.app_context():
        make_user("reviewer", email="ada@example.org", name="Ada Lovelace", organisation="Analytical Engines Ltd")
        make_user("moderator", email="charles@example.org", name="Charles Babbage", organisation="Difference Works")
        make_user("reviewer", email="mary@somerville.net", name="Mary Somerville", organisation="Royal Society")


def test_lists_every_account(people, client):
    response = client.get("/admin/users")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert sorted(listed(response)) == sorted([ADMIN, "ada@example.org", "charles@example.org", "mary@somerville.net"])
    assert "4 accounts found." in html
    assert "Ada Lovelace" in html and "Analytical Engines Ltd" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SOMERVILLE.N", ["mary@somerville.net"]),  # part of an email
        ("example.org", [ADMIN, "ada@example.org", "charles@example.org"]),
        ("lOvElAcE", ["ada@example.org"]),  # part of a name
        ("babb", ["charles@example.org"]),
        ("ROYAL soc", ["mary@somerville.net"]),  # part of an organisation
        ("engines", ["ada@example.org"]),
        ("  ada  ", ["ada@example.org"]),
        ("nobody-matches-this", []),
    ],
)
def test_search_by_part_of_email_name_or_organisation(people, client, query, expected):
    response = client.get("/admin/users", query_string={"q": query})
    assert response.status_code == 200
    assert sorted(listed(response)) == sorted(expected)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("moderator", ["charles@example.org"]),
        ("admin", [ADMIN]),
        ("reviewer", ["ada@example.org", "mary@somerville.net"]),
        ("", None),
    ],
)
def test_filter_by_role(people, client, role, expected):
    response = client.get("/admin/users", query_string={"role": role})
    assert response.status_code == 200
    assert sorted(listed(response)) == sorted(
        expected or [ADMIN, "ada@example.org", "charles@example.org", "mary@somerville.net"]
    )


def test_search_and_role_filter_combine(people, client):
    response = client.get("/admin/users", query_string={"q": "example.org", "role": "reviewer"})
    assert listed(response) == ["ada@example.org"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("first_last", ["first_last@example.org"]), ("_", ["first_last@example.org"]), ("%", []), ("\\", [])],
)
def test_search_treats_like_wildcards_as_plain_characters(app, admin, client, query, expected):
    """An underscore or percent sign typed in the search box must match itself, not any character(s)."""
    with app.app_context():
        make_user("reviewer", email="first_last@example.org", name="Underscore Person")
        make_user("reviewer", email="firstxlast@example.org", name="Letter Person")
    assert listed(client.get("/admin/users", query_string={"q": query})) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"q": "x" * 101}, "cannot be longer than 100 characters"),
        ({"q": "x" * 5000}, "cannot be longer than 100 characters"),
        ({"role": "superuser"}, "Not a valid choice"),
        ({"role": "x" * 200}, "Not a valid choice"),
    ],
)
def test_bad_search_input_is_a_400_not_a_500(admin, client, query, message):
    response = client.get("/admin/users", query_string=query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_search_of_exactly_100_characters_is_fine(admin, client):
    response = client.get("/admin/users", query_string={"q": "x" * 100})
    assert response.status_code == 200 and listed(response) == []


def test_paging(app, admin, client):
    emails = add_plain_users(app, 30)
    everyone = {*emails, ADMIN}
    first = client.get("/admin/users")
    second = client.get("/admin/users", query_string={"page": 2})
    assert first.status_code == second.status_code == 200
    assert len(listed(first)) == USERS_PER_PAGE
    assert len(listed(second)) == 31 - USERS_PER_PAGE
    assert set(listed(first)) | set(listed(second)) == everyone
    assert not set(listed(first)) & set(listed(second))
    assert "Page 1 of 2" in first.get_data(as_text=True) and "Page 2 of 2" in second.get_data(as_text=True)
    # Newest first: the last inserted bulk account leads page 1, the admin (created first) ends page 2.
    assert listed(first)[0] == emails[-1] and listed(second)[-1] == ADMIN


@pytest.mark.parametrize("page", ["999", "0", "-3", "abc", "1.5", ""])
def test_odd_page_numbers_never_fail(app, admin, client, page):
    add_plain_users(app, 30)
    response = client.get("/admin/users", query_string={"page": page})
    assert response.status_code in (200, 400)
    if page == "999":
        assert response.status_code == 200 and listed(response) == []
        assert "31 accounts found." in response.get_data(as_text=True)
    elif response.status_code == 200:
        assert len(listed(response)) == USERS_PER_PAGE  # treated as page 1


def test_paging_keeps_the_search(app, admin, client):
    add_plain_users(app, 30, organisation="Bulk Office")
    response = client.get("/admin/users", query_string={"q": "bulk", "page": 2})
    assert len(listed(response)) == 30 - USERS_PER_PAGE
    assert ADMIN not in listed(response)


# --- role changes -------------------------------------------------------------------------------------------


def test_change_role_of_another_user(app, admin, target, client):
    response = client.post(f"/admin/users/{target.id}/role", data={"role": "moderator"})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/admin/users"
    assert stored(app, TARGET).role == "moderator"
    assert "Tom Target is now moderator." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.post(f"/admin/users/{target.id}/role", data={"role": "reviewer"}).status_code == 302
    assert stored(app, TARGET).role == "reviewer"


def test_a_role_change_ends_the_accounts_sessions_and_the_new_role_applies_at_the_next_log_in(
    app, admin, target, client
):
    other = app.test_client()
    assert login(other, TARGET).status_code == 302
    assert other.get("/admin/users").status_code == 403
    client.post(f"/admin/users/{target.id}/role", data={"role": "admin"})
    assert session_count(app, TARGET) == 0 and session_count(app, ADMIN) == 1
    after = other.get("/admin/users")
    assert after.status_code == 302 and urlsplit(after.headers["Location"]).path == "/auth/login"
    assert login(other, TARGET).status_code == 302
    assert other.get("/admin/users").status_code == 200


@pytest.mark.parametrize("role", ["superuser", "", "Moderator", "ADMIN"])
def test_unknown_role_is_a_400_and_changes_nothing(app, admin, target, client, role):
    response = client.post(f"/admin/users/{target.id}/role", data={"role": role})
    assert response.status_code == 400
    assert stored(app, TARGET).role == "reviewer"


def test_role_change_without_a_role_field_is_a_400(app, admin, target, client):
    assert client.post(f"/admin/users/{target.id}/role", data={}).status_code == 400
    assert stored(app, TARGET).role == "reviewer"


@pytest.mark.parametrize("action", ["role", "active"])
def test_unknown_user_is_a_404(app, admin, client, action):
    data = {"role": "moderator"} if action == "role" else {"active": "0"}
    response = client.post(f"/admin/users/999999/{action}", data=data)
    assert response.status_code == 404
    assert "There is no such account." in response.get_data(as_text=True)


def test_admin_cannot_change_their_own_role(app, admin, client):
    response = client.post(f"/admin/users/{admin.id}/role", data={"role": "reviewer"})
    assert response.status_code == 403
    assert "cannot change your own role" in response.get_data(as_text=True)
    assert stored(app, ADMIN).role == "admin"


# --- activation ---------------------------------------------------------------------------------------------


def test_deactivating_a_user_ends_their_session_and_reactivating_lets_them_back(app, admin, target, client):
    other = app.test_client()
    assert login(other, TARGET).status_code == 302
    assert other.get("/account/").status_code == 200

    response = client.post(f"/admin/users/{target.id}/active", data={"active": "0"})
    assert response.status_code == 302
    account = stored(app, TARGET)
    assert account.active is False and session_count(app, TARGET) == 0
    assert "account is deactivated" in client.get("/admin/users").get_data(as_text=True)

    after = other.get("/account/")
    assert after.status_code == 302 and urlsplit(after.headers["Location"]).path == "/auth/login"
    assert login(app.test_client(), TARGET).status_code == 400  # cannot log in again while deactivated

    assert client.post(f"/admin/users/{target.id}/active", data={"active": "1"}).status_code == 302
    assert stored(app, TARGET).active is True
    assert other.get("/account/").status_code == 302  # the old session stays ended
    again = app.test_client()
    assert login(again, TARGET).status_code == 302
    assert again.get("/account/").status_code == 200


def test_deactivating_twice_changes_nothing_more(app, admin, target, client):
    client.post(f"/admin/users/{target.id}/active", data={"active": "0"})
    admin_sessions = session_count(app, ADMIN)
    assert client.post(f"/admin/users/{target.id}/active", data={"active": "0"}).status_code == 302
    assert stored(app, TARGET).active is False and session_count(app, TARGET) == 0
    assert session_count(app, ADMIN) == admin_sessions == 1


@pytest.mark.parametrize("value", ["", "2", "yes", "true"])
def test_unknown_active_value_is_a_400(app, admin, target, client, value):
    assert client.post(f"/admin/users/{target.id}/active", data={"active": value}).status_code == 400
    assert stored(app, TARGET).active is True


def test_admin_cannot_deactivate_themselves(app, admin, client):
    response = client.post(f"/admin/users/{admin.id}/active", data={"active": "0"})
    assert response.status_code == 403
    assert stored(app, ADMIN).active is True
    assert client.get("/admin/users").status_code == 200


# --- who may do it ------------------------------------------------------------------------------------------


ACTIONS = [("role", {"role": "admin"}), ("active", {"active": "0"})]


@pytest.mark.parametrize("role", ["reviewer", "moderator"])
@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_non_admins_are_refused(app, client, target, role, action, data):
    with app.app_context():
        make_user(role, email="actor@example.org")
    assert login(client, "actor@example.org").status_code == 302
    assert client.get("/admin/users").status_code == 403
    actor = stored(app, "actor@example.org")
    for user_id in (target.id, actor.id, 999999):
        assert client.post(f"/admin/users/{user_id}/{action}", data=data).status_code == 403
    for account in (stored(app, TARGET), stored(app, "actor@example.org")):
        assert account.active is True
    assert stored(app, TARGET).role == "reviewer" and stored(app, "actor@example.org").role == role


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_anonymous_is_sent_to_log_in_and_nothing_changes(app, client, target, action, data):
    response = client.post(f"/admin/users/{target.id}/{action}", data=data)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"
    account = stored(app, TARGET)
    assert account.role == "reviewer" and account.active is True
    listing = client.get("/admin/users")
    assert listing.status_code == 302 and urlsplit(listing.headers["Location"]).path == "/auth/login"


def test_deactivated_admin_is_treated_as_anonymous(app, client, target):
    with app.app_context():
        make_user("admin", email="former@example.org")
    assert login(client, "former@example.org").status_code == 302
    with app.app_context():
        db.session.scalar(select(User).where(User.email == "former@example.org")).active = False
        db.session.commit()
    assert client.post(f"/admin/users/{target.id}/role", data={"role": "admin"}).status_code == 302
    assert stored(app, TARGET).role == "reviewer"
