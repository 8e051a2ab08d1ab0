"""Assigning comments to the drafting team: in bulk from the worklist, one at a time from the decision screen,
"assigned to me", the audit trail, and the open comments per person on the dashboard."""

import re

import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Comment, ModerationEvent, User
from consult_app.services import assignment, moderation
from tests.factories import make_comment, make_user

ITEM = re.compile(r'<li class="worklist__item" id="(C-\d{6,})"')


@pytest.fixture
def three(document):
    author = make_user("reviewer")
    return [make_comment(author, document, body=f"Comment number {n}.") for n in range(3)]


def assignee_of(comment) -> int | None:
    db.session.expire_all()
    return db.session.get(Comment, comment.id).assignee_id


def trail() -> list[tuple]:
    events = db.session.scalars(select(ModerationEvent).where(ModerationEvent.field == "assignee"))
    return [(e.comment_id, e.from_value, e.to_value) for e in events]


def test_bulk_assignment_from_the_worklist_and_assigned_to_me(client, login_as, three):
    me = login_as("moderator", name="Maud")
    response = client.post(
        "/moderation/comments/assign",
        data={"comment_ids": [f"{three[0].id}:none", f"{three[2].id}:none"], "assignee": me.id, "next": "/x?y"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/x?y"
    assert [assignee_of(c) for c in three] == [me.id, None, me.id]
    assert trail() == [(three[0].id, "none", str(me.id)), (three[2].id, "none", str(me.id))]
    page = client.get("/moderation/comments/", query_string={"assignee": "me"}).get_data(as_text=True)
    assert f"Assigned to you: {three[0].reference}, {three[2].reference}." in page
    assert ITEM.findall(page) == [three[0].reference, three[2].reference]
    assert "Comments assigned to me</h1>" in page
    # The moderation pages link to it in one click.
    assert 'href="/moderation/comments/?assignee=me"' in client.get("/moderation/dashboard").get_data(as_text=True)


def test_a_comment_assigned_meanwhile_is_reported_and_the_others_are_done(client, app, login_as, three):
    login_as("moderator")
    other = make_user("moderator", name="Olga")
    target = make_user("admin", name="Ada Admin")
    assignment.assign([three[1].id], other.id, other)  # while the first moderator's page still said "nobody"
    db.session.commit()
    response = client.post(
        "/moderation/comments/assign",
        data={"comment_ids": [f"{three[0].id}:none", f"{three[1].id}:none"], "assignee": target.id},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert f"{three[1].reference} was not assigned: someone assigned it meanwhile" in page
    assert f"Assigned to Ada Admin: {three[0].reference}." in page
    assert [assignee_of(c) for c in three] == [target.id, other.id, None]


def test_the_decision_screen_assigns_one_comment_and_its_history_says_so(client, login_as, three):
    me = login_as("moderator", name="Maud")
    comment = three[1]
    url = f"/moderation/comments/{comment.id}"
    page = client.get(url, query_string={"status": "pending"}).get_data(as_text=True)
    assert f'action="/moderation/comments/{comment.id}/assignee"' in page and 'name="seen" value="none"' in page
    response = client.post(f"{url}/assignee", data={"assignee": me.id, "seen": "none", "next": f"{url}?status=pending"})
    assert response.status_code == 302 and response.headers["Location"] == f"{url}?status=pending"
    response = client.post(f"{url}/assignee", data={"assignee": "none", "seen": str(me.id)}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert assignee_of(comment) is None
    assert "Assigned to Maud" in page and "Assignment to Maud taken off" in page


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"comment_ids": ["1:none"]},
        {"comment_ids": ["x:none"], "assignee": "1"},
        {"comment_ids": ["1:abc"], "assignee": "1"},
        {"comment_ids": ["99999999999:none"], "assignee": "1"},
        {"comment_ids": ["1:none"], "assignee": "\x00"},
    ],
)
def test_malformed_assignments_are_400_and_change_nothing(client, login_as, three, data):
    login_as("moderator")
    assert client.post("/moderation/comments/assign", data=data).status_code == 400
    assert trail() == []


def test_only_moderators_can_be_given_comments(client, login_as, three):
    login_as("moderator")
    reviewer = make_user("reviewer")
    response = client.post(
        "/moderation/comments/assign", data={"comment_ids": [f"{three[0].id}:none"], "assignee": reviewer.id}
    )
    assert response.status_code == 400
    assert "only to an active moderator or administrator" in response.get_data(as_text=True)
    assert assignee_of(three[0]) is None and trail() == []


def test_a_missing_comment_is_reported_by_reference(client, login_as, three):
    me = login_as("moderator")
    response = client.post(
        "/moderation/comments/assign",
        data={"comment_ids": ["424242:none", f"{three[0].id}:none"], "assignee": me.id},
        follow_redirects=True,
    )
    assert "C-424242 was not assigned: there is no such comment." in response.get_data(as_text=True)
    assert assignee_of(three[0]) == me.id


def test_open_counts_leave_out_answered_and_withdrawn_comments_and_the_dashboard_links_them(
    client, login_as, document, three
):
    me = login_as("moderator", name="Maud")
    author = make_user("reviewer")
    withdrawn = make_comment(author, document, status="withdrawn")
    actor = db.session.get(User, me.id)
    assignment.assign([c.id for c in three] + [withdrawn.id], me.id, actor)
    moderation.set_disposition(make_user("moderator"), three[0], "noted", "Thanks.")
    db.session.commit()
    assert assignment.open_counts() == {me.id: 2}
    page = client.get("/moderation/dashboard").get_data(as_text=True)
    link = f'href="/moderation/comments/?assignee={me.id}&amp;disposition=none">2</a>'
    assert link in page
    listed = client.get(f"/moderation/comments/?assignee={me.id}&disposition=none").get_data(as_text=True)
    assert ITEM.findall(listed) == [three[1].reference, three[2].reference]


def test_deleting_the_assignees_account_leaves_the_comment_unassigned(app_context, three):
    staff = make_user("moderator")
    assignment.assign([three[0].id], staff.id, staff)
    db.session.commit()
    db.session.delete(db.session.get(User, staff.id))
    db.session.commit()
    assert assignee_of(three[0]) is None
