"""Templates ask permissions.py, as the routes do: in every state, a page offers an action exactly when the route
behind it would carry it out. Edit, Withdraw and Reply on the section page; Decide in the moderation queue;
Users in the header."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from consult_app.extensions import db
from consult_app.models import Document
from consult_app.models.types import utcnow
from tests.factories import make_comment, make_user, session_token_for, sign_in_with

SECTION = "/guidance/test-guidance/public-good/"


def close_consultation(document_id: int) -> None:
    document = db.session.get(Document, document_id)
    document.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


def offered(page: str, path: str) -> bool:
    """Whether the page links or posts to `path` (a link, a form's action, or a button's formaction)."""
    return re.search(rf'(href|action|formaction)="{re.escape(path)}(["?#])', page) is not None


@pytest.fixture
def scene(document):
    """An author with a pending comment, someone else's published comment and a reply to it."""
    author, other = make_user(), make_user()
    published = make_comment(other, document, status="approved")
    return {
        "document": document.id,
        "author": author,
        "pending": make_comment(author, document).id,
        "published": published.id,
        "reply": make_comment(other, document, status="approved", parent_id=published.id).id,
    }


@pytest.mark.parametrize("state", ["open", "closed"])
def test_edit_withdraw_and_reply_are_offered_exactly_when_the_routes_allow_them(client, scene, state):
    if state == "closed":
        close_consultation(scene["document"])
    sign_in_with(client, session_token_for(scene["author"]))
    page = client.get(SECTION).get_data(as_text=True)
    pending, published, reply = scene["pending"], scene["published"], scene["reply"]
    checks = {
        "edit": (f"/comments/{pending}/edit", lambda path: client.get(path)),
        "reply": (f"/comments/{published}/reply", lambda path: client.get(path)),
        "reply to a reply": (f"/comments/{reply}/reply", lambda path: client.get(path)),
        # Last: it changes the comment.
        "withdraw": (f"/comments/{pending}/withdraw", lambda path: client.post(path)),
    }
    seen = {}
    for action, (path, request) in checks.items():
        status = request(path).status_code
        seen[action] = (offered(page, path), status < 400)
        assert seen[action][0] == seen[action][1], f"{action} ({state}): offered={seen[action][0]}, status={status}"
    # The states themselves, so that the agreement above is not two empty sets.
    expected = {
        "open": {"edit": True, "reply": True, "reply to a reply": False, "withdraw": True},
        "closed": {"edit": False, "reply": False, "reply to a reply": False, "withdraw": True},
    }[state]
    assert {action: shown for action, (shown, _) in seen.items()} == expected


def test_a_visitor_is_offered_reply_and_sent_to_log_in(client, scene):
    page = client.get(SECTION).get_data(as_text=True)
    path = f"/comments/{scene['published']}/reply"
    assert offered(page, path)
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login?next=")
    assert not offered(page, f"/comments/{scene['pending']}/edit")


def test_decide_is_offered_for_others_comments_and_never_for_ones_own(client, document):
    moderator = make_user("moderator")
    own, others = make_comment(moderator, document).id, make_comment(make_user(), document).id
    sign_in_with(client, session_token_for(moderator))
    queue = client.get("/moderation/").get_data(as_text=True)
    for comment_id, may in ((own, False), (others, True)):
        path = f"/moderation/comments/{comment_id}/decision"
        status = client.post(path, data={"decision": "approve"}).status_code
        assert offered(queue, path) is may and (status < 400) is may, (comment_id, status)


@pytest.mark.parametrize(("role", "shown"), [("reviewer", False), ("moderator", False), ("admin", True)])
def test_the_users_link_is_asked_of_permissions(client, document, role, shown):
    sign_in_with(client, session_token_for(make_user(role)))
    page = client.get("/").get_data(as_text=True)
    assert offered(page, "/admin/users") is shown
    assert (client.get("/admin/users").status_code == 200) is shown
