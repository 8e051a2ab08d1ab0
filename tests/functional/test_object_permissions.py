"""Object-level permissions: what the route matrix (test_route_matrix.py, one row per route and role) cannot
see, because it depends on whose object it is and what state it is in.

- Other people's comments that are not published (pending, rejected, withdrawn, private) are not shown, not
  editable, not withdrawable and not replied to, by anyone but their author (moderators see private
  approved ones, still without editing them). Nobody replies to a private comment, its author included:
  a reply is public (a reviewer's forged reply to one used to be accepted).
- Moderators and admins never decide their own comment, alone or in a bulk decision.
- Extra fields added to a form (mass assignment: status, author, role, email, disposition, ...) change
  nothing: every form saves only its own fields.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import Comment, ModerationEvent, User, UserSession
from tests.factories import DEFAULT_PASSWORD, make_comment, make_user

SECTION = "/guidance/test-guidance/public-good/"
FORM = {"body": "My own words.", "kind": "general", "quote": "", "publication": "public_named"}
# Fields a forger might add, naming columns of comments and accounts.
FORGED = {
    "status": "approved",
    "author_id": "1",
    "disposition": "accepted",
    "response": "Forged answer.",
    "moderated_by_id": "1",
    "moderation_note": "Forged note.",
    "responded_by_id": "1",
    "body_html": "<script>alert(1)</script>",
    "section_key": "introduction",
    "document_id": "999",
    "version_id": "999",
    "id": "4242",
    "created_at": "2000-01-01T00:00:00Z",
    "role": "admin",
    "email": "forged@example.org",
    "active": "0",
    "session_token": "forged-token",
    "password_hash": "forged",
    "email_confirmed_at": "2000-01-01T00:00:00Z",
    "user_id": "1",
}


def signed_in_client(app, user: User):
    client = app.test_client()
    response = client.post("/auth/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    return client


def session_ids(user: User) -> set[str]:
    return set(db.session.scalars(select(UserSession.id).where(UserSession.user_id == user.id)))


def stored(comment_id: int) -> Comment:
    db.session.expire_all()
    return db.session.get(Comment, comment_id)


def state(comment: Comment) -> tuple:
    return (
        comment.status, comment.author_id, comment.body_md, comment.body_html, comment.section_key, comment.parent_id,
        comment.disposition, comment.response, comment.moderated_by_id, comment.moderation_note,
    )  # fmt: skip


# --- other people's comments --------------------------------------------------------------------------------

HIDDEN = [
    ("pending", "public_named"),
    ("rejected", "public_named"),
    ("withdrawn", "public_named"),
    ("approved", "private"),
]


@pytest.mark.parametrize(("status", "publication"), HIDDEN, ids=[f"{s}-{p}" for s, p in HIDDEN])
@pytest.mark.parametrize("viewer", ["anonymous", "reviewer", "moderator", "admin"])
def test_someone_elses_unpublished_comment_is_out_of_reach(app, document, viewer, status, publication):
    author = make_user("reviewer")
    comment = make_comment(author, document, status=status, publication=publication, body="Words kept from view")
    before = state(comment)
    client = app.test_client()
    if viewer != "anonymous":
        client = signed_in_client(app, make_user(viewer))
    # Moderators and admins read approved private comments (the drafting team's business), and nothing else.
    staff_may_read = viewer in ("moderator", "admin") and status == "approved"

    section = client.get(SECTION).get_data(as_text=True)
    assert ("Words kept from view" in section) == staff_may_read
    assert "Words kept from view" not in client.get("/guidance/test-guidance/").get_data(as_text=True)
    if viewer != "anonymous":
        assert "Words kept from view" not in client.get("/account/").get_data(as_text=True)
        assert "Words kept from view" not in client.get("/account/data.json").get_data(as_text=True)

    hidden = 404 if not staff_may_read else None
    edit = client.get(f"/comments/{comment.id}/edit")
    forged_edit = client.post(f"/comments/{comment.id}/edit", data={**FORM, "body": "Rewritten by someone else"})
    withdraw = client.post(f"/comments/{comment.id}/withdraw")
    reply = client.get(f"/comments/{comment.id}/reply")
    reply_post = client.post(SECTION, data={**FORM, "parent_id": comment.id})
    if viewer == "anonymous":
        assert [edit.status_code, forged_edit.status_code, withdraw.status_code] == [302, 302, 302]  # log in first
        assert reply.status_code == 404 and reply_post.status_code == 403
    else:
        # Staff who may read it still cannot change it: it is not theirs (403), and it is already decided.
        expected = hidden or 403
        assert [edit.status_code, forged_edit.status_code, withdraw.status_code] == [expected] * 3
        # Nobody replies to a comment that is not published, private ones included: a reply is public.
        assert reply.status_code == 404 and reply_post.status_code == 400
    assert state(stored(comment.id)) == before
    assert db.session.scalar(select(Comment).where(Comment.parent_id == comment.id)) is None


def test_the_author_alone_reaches_their_pending_comment(app, document):
    author = make_user("reviewer")
    comment = make_comment(author, document, body="Only mine to see")
    client = signed_in_client(app, author)
    assert "Only mine to see" in client.get(SECTION).get_data(as_text=True)
    assert client.get(f"/comments/{comment.id}/edit").status_code == 200
    assert "Only mine to see" in client.get("/account/data.json").get_data(as_text=True)
    assert client.get(f"/comments/{comment.id}/reply").status_code == 404  # not published: no replies yet


# --- moderators and their own comments ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_staff_never_decide_their_own_comment_alone_or_in_bulk(app, document, role):
    """An admin is a moderator too; a comment written before a promotion is still one's own."""
    user = make_user("reviewer")
    own = make_comment(user, document, body="Written as a reviewer")
    user.role = role
    db.session.commit()
    other = make_comment(make_user("reviewer"), document)
    client = signed_in_client(app, user)
    for decision in ({"decision": "approve"}, {"decision": "reject", "reason": "spam"}):
        assert client.post(f"/moderation/comments/{own.id}/decision", data=decision).status_code == 403
        bulk = client.post("/moderation/bulk", data={**decision, "comment_ids": [other.id, own.id]})
        assert bulk.status_code == 403 and own.reference in bulk.get_data(as_text=True)
        assert client.post("/moderation/bulk", data={**decision, "comment_ids": [own.id]}).status_code == 403
    assert stored(own.id).status == "pending" and stored(other.id).status == "pending"
    assert db.session.scalar(select(ModerationEvent)) is None


# --- mass assignment ----------------------------------------------------------------------------------------


def test_extra_fields_on_a_new_comment_or_an_edit_change_nothing_but_the_comment(app, document):
    author = make_user("reviewer")
    parent = make_comment(make_user("reviewer"), document, status="approved")
    client = signed_in_client(app, author)
    response = client.post(SECTION, data={**FORGED, **FORM})
    assert response.status_code == 302
    comment = db.session.scalar(select(Comment).where(Comment.body_md == "My own words."))
    assert state(comment) == (
        "pending", author.id, "My own words.", "<p>My own words.</p>", "public-good", None, None, "", None, "",
    )  # fmt: skip
    assert comment.id != 4242 and comment.created_at.year > 2000

    edited = client.post(
        f"/comments/{comment.id}/edit", data={**FORGED, **FORM, "body": "Edited.", "parent_id": parent.id}
    )
    assert edited.status_code == 302
    assert state(stored(comment.id)) == (
        "pending", author.id, "Edited.", "<p>Edited.</p>", "public-good", None, None, "", None, "",
    )  # fmt: skip
    assert client.post(f"/comments/{comment.id}/withdraw", data=FORGED).status_code == 302
    assert stored(comment.id).status == "withdrawn"
    db.session.expire_all()
    assert db.session.get(User, author.id).role == "reviewer"


def test_extra_fields_on_account_forms_change_nothing_but_the_profile(app, app_context):
    user = make_user("reviewer", email="me@example.org", name="Me")
    other = make_user("reviewer", email="other@example.org")
    client = signed_in_client(app, user)
    before = (session_ids(user), user.password_hash, user.email_confirmed_at, user.active)
    profile = {"name": "New Name", "organisation": "Org", "country": "Peru", "respondent_type": "individual"}
    assert client.post("/account/profile", data={**FORGED, **profile, "user_id": other.id}).status_code == 302
    db.session.expire_all()
    me = db.session.get(User, user.id)
    assert (me.display_name, me.email, me.role, me.active) == ("New Name", "me@example.org", "reviewer", True)
    assert (session_ids(me), me.password_hash, me.email_confirmed_at, me.active) == before
    them = db.session.get(User, other.id)
    assert them.display_name != "New Name" and them.role == "reviewer"

    wrong = {**FORGED, "current_password": "not the password", "password": "x", "password_confirm": "x"}
    assert client.post("/account/password", data=wrong).status_code == 400
    assert client.post("/account/delete", data={**FORGED, "delete_password": "wrong"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).role == "reviewer" and db.session.get(User, other.id) is not None


def test_extra_fields_on_registration_make_no_admin_and_confirm_nothing(app, client, app_context):
    form = {
        **FORGED,
        "email": "new@example.org",
        "name": "New",
        "respondent_type": "individual",
        "password": "engines weave algebraic patterns",
        "password_confirm": "engines weave algebraic patterns",
        "accept_terms": "y",
    }
    assert client.post("/auth/register", data=form).status_code == 200
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert (user.role, user.active, user.email_confirmed_at) == ("reviewer", True, None)
    assert session_ids(user) == set() and user.password_hash != "forged"  # registering logs nobody in


def test_extra_fields_on_moderation_forms_change_only_the_decision_or_answer(app, document):
    author = make_user("reviewer")
    moderator = make_user("moderator")
    other_moderator = make_user("moderator")
    comment = make_comment(author, document)
    client = signed_in_client(app, moderator)
    forged = {**FORGED, "author_id": other_moderator.id, "moderated_by_id": other_moderator.id}
    data = {**forged, "decision": "reject", "reason": "spam", "note": "Real note."}
    assert client.post(f"/moderation/comments/{comment.id}/decision", data=data).status_code == 302
    decided = stored(comment.id)
    assert (decided.status, decided.author_id, decided.moderated_by_id) == ("rejected", author.id, moderator.id)
    assert (decided.moderation_note, decided.disposition, decided.response) == ("Real note.", None, "")

    answer = {**forged, "status": "approved", "disposition": "noted", "response": "Real answer."}
    assert client.post(f"/moderation/comments/{comment.id}/disposition", data=answer).status_code == 302
    answered = stored(comment.id)
    assert (answered.status, answered.disposition, answered.response) == ("rejected", "noted", "Real answer.")
    assert (answered.responded_by_id, answered.author_id) == (moderator.id, author.id)
    assert [event.actor_id for event in db.session.scalars(select(ModerationEvent))] == [moderator.id] * 2


def test_extra_fields_on_the_admin_forms_change_only_the_role_or_the_active_flag(app, app_context):
    admin = make_user("admin")
    target = make_user("reviewer", email="target@example.org", name="Target")
    before = (target.email, target.display_name, target.password_hash)
    client = signed_in_client(app, admin)
    forged = {**FORGED, "role": "moderator", "user_id": admin.id, "display_name": "Renamed"}
    assert client.post(f"/admin/users/{target.id}/role", data=forged).status_code == 302
    assert client.post(f"/admin/users/{target.id}/active", data={**FORGED, "active": "0"}).status_code == 302
    db.session.expire_all()
    changed = db.session.get(User, target.id)
    assert (changed.role, changed.active) == ("moderator", False)
    assert (changed.email, changed.display_name, changed.password_hash) == before
    assert db.session.get(User, admin.id).role == "admin"


def test_nobody_replies_to_a_private_comment_not_even_its_author_or_staff(app, document):
    author = make_user("reviewer")
    private = make_comment(author, document, status="approved", publication="private", body="For the team only")
    for user in (author, make_user("moderator")):
        client = signed_in_client(app, user)
        page = client.get(SECTION).get_data(as_text=True)
        assert "For the team only" in page and f"/comments/{private.id}/reply" not in page
        assert client.get(f"/comments/{private.id}/reply").status_code == 404
        assert client.post(SECTION, data={**FORM, "parent_id": private.id}).status_code == 400
    assert db.session.scalar(select(Comment).where(Comment.parent_id == private.id)) is None
