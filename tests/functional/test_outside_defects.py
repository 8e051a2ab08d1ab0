"""Small defects found by trying the site from outside, one test each (issue 21)."""

from sqlalchemy import select

from consult_app.extensions import db
from consult_app.models import ModerationEvent, User
from tests.factories import FACTORY_MODERATOR_EMAIL, make_comment, make_user

ICO_SIGNATURE = b"\x00\x00\x01\x00"


def test_the_response_log_names_its_charset_once(client, document, login_as):
    login_as("moderator")
    response = client.get("/moderation/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    response.close()


def test_favicon_is_an_icon_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/vnd.microsoft.icon"
    icon = response.get_data()
    response.close()  # a file response: close it now, not whenever the garbage collector gets to it
    assert icon.startswith(ICO_SIGNATURE) and int.from_bytes(icon[4:6], "little") == 3  # 16, 32 and 48 px
    assert "max-age=" in response.headers["Cache-Control"]
    assert '<link rel="icon" href="/favicon.ico">' in client.get("/privacy").get_data(as_text=True)


def test_registration_refuses_a_keyboard_walk_with_zxcvbns_reason(app, client):
    form = {
        "email": "ada@example.org",
        "name": "Ada Lovelace",
        "respondent_type": "academia_research",
        "password": "asdfghjkl;lkj",
        "password_confirm": "asdfghjkl;lkj",
        "accept_terms": "y",
    }
    response = client.post("/auth/register", data=form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This password would be too easy to guess. Short keyboard patterns are easy to guess." in html
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "ada@example.org")) is None


def test_factory_approved_and_rejected_comments_were_decided_by_a_moderator_on_record(app_context, document):
    """Tests see what production sees: a decided comment has its moderator, time and audit event."""
    author = make_user()
    approved = make_comment(author, document, status="approved")
    rejected = make_comment(author, document, status="rejected", reason="off_topic")
    withdrawn = make_comment(author, document, status="withdrawn")
    for comment, status in ((approved, "approved"), (rejected, "rejected")):
        assert comment.status == status and comment.moderated_at is not None
        assert comment.moderated_by.email == FACTORY_MODERATOR_EMAIL
        [event] = db.session.scalars(select(ModerationEvent).where(ModerationEvent.comment_id == comment.id))
        assert (event.field, event.from_value, event.to_value) == ("status", "pending", status)
    assert rejected.moderation_reason == "off_topic"
    assert withdrawn.status == "withdrawn" and withdrawn.moderated_by_id is None


def test_approving_a_private_comment_does_not_mail_that_it_was_published(client, document, login_as, mailbox):
    login_as("moderator")
    comment = make_comment(make_user(), document, publication="private", body="For the drafting team only.")
    response = client.post(f"/moderation/comments/{comment.id}/decision", data={"decision": "approve"})
    assert response.status_code == 302
    [message] = mailbox.deliver(1)
    assert message["Subject"] == f"Your comment {comment.reference} has been approved"
    text = message.get_content()
    assert "published" not in text and "only the moderators and the drafting team read it" in text
