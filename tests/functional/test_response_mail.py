"""Authors hear about the drafting team's answer: one mail per author (a digest when several answers change at once),
read from the real SMTP server; they can turn it off on the account page."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.models import Comment, User
from consult_app.models.mail import OutboxMail
from consult_app.models.types import utcnow
from consult_app.services import moderation, response_mail
from tests.factories import make_comment, make_user

SECTION = "http://localhost/guidance/test-guidance/public-good/"


def box(page: str) -> str:
    return re.search(r'<input [^>]*name="notify_responses"[^>]*>', page).group(0)


def mails_to(user: User) -> int:
    return db.session.scalar(select(func.count()).where(OutboxMail.recipient == user.email))


def test_the_first_answer_mails_the_author_with_the_label_response_and_link(client, document, login_as, mailbox):
    login_as("moderator")
    author = make_user("reviewer", name="Rita Reviewer")
    comment = make_comment(author, document, status="approved", body="Please define drift.")
    form = {"disposition": "partially_accepted", "response": "We added a short definition."}
    assert client.post(f"/moderation/comments/{comment.id}/disposition", data=form).status_code == 302
    [message] = mailbox.deliver(1)
    body = message.get_content()
    assert message["To"] == author.email
    assert message["Subject"] == f"The drafting team answered your comment {comment.reference}"
    assert "Hello Rita Reviewer," in body and "Disposition: Partially accepted\n" in body
    assert "Response: We added a short definition.\n" in body
    assert f"\n{SECTION}#{comment.reference}\n" in body
    assert "\nhttp://localhost/account/#mail-title\n" in body  # where to turn it off
    assert fresh_due(comment) is None


def fresh_due(comment: Comment):
    db.session.expire_all()
    return db.session.get(Comment, comment.id).response_mail_due_at


def test_many_answers_at_once_make_one_digest_per_author(app, document, mailbox):
    moderator = make_user("moderator")
    rita, sam = make_user("reviewer", name="Rita"), make_user("reviewer", name="Sam")
    ritas = [make_comment(rita, document, status="approved", body=f"Rita {n}") for n in range(3)]
    sams = make_comment(sam, document, status="approved", body="Sam's")
    for comment in [*ritas, sams]:  # as the import does: every change in one transaction
        moderation.set_disposition(moderator, comment, "noted", f"Answer to {comment.reference}")
    db.session.commit()
    messages = {message["To"]: message for message in mailbox.deliver(2)}
    assert set(messages) == {rita.email, sam.email}
    digest = messages[rita.email]
    assert digest["Subject"] == "The drafting team answered 3 of your comments"
    for comment in ritas:
        assert f"Answer to {comment.reference}" in digest.get_content()
    assert mails_to(rita) == 1 and mails_to(sam) == 1
    mailbox.deliver(2)  # another round of the worker sends nothing more
    assert mails_to(rita) == 1


def test_changes_within_the_delay_join_one_mail(app, document, mailbox):
    app.config["RESPONSE_MAIL_DELAY_SECONDS"] = 300
    moderator, author = make_user("moderator"), make_user("reviewer")
    comment = make_comment(author, document, status="approved")
    moderation.set_disposition(moderator, comment, "noted", "First words.")
    db.session.commit()
    due = fresh_due(comment)
    assert timedelta(seconds=290) < due - utcnow() <= timedelta(seconds=300)
    mailbox.deliver(0)
    assert mails_to(author) == 0  # not yet due
    moderation.set_disposition(moderator, db.session.get(Comment, comment.id), "accepted", "Better words.")
    db.session.commit()
    assert fresh_due(comment) == due  # a later change does not postpone the mail
    db.session.get(Comment, comment.id).response_mail_due_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    [message] = mailbox.deliver(1)
    assert "Disposition: Accepted" in message.get_content() and "Better words." in message.get_content()


def test_who_is_told_when(app, document, mailbox):
    moderator, author = make_user("moderator"), make_user("reviewer")
    comment = make_comment(author, document)  # pending
    moderation.set_disposition(moderator, comment, "noted", "Noted.")
    db.session.commit()
    assert fresh_due(comment) is not None  # the first answer: told even before publication
    mailbox.deliver(1)
    moderation.set_disposition(moderator, db.session.get(Comment, comment.id), "accepted", "Accepted after all.")
    db.session.commit()
    assert fresh_due(comment) is None  # changed before publication, after they were told: nothing new to say yet
    moderation.decide(moderator, comment.id, "approve")
    moderation.set_disposition(moderator, db.session.get(Comment, comment.id), "accepted", "Published answer.")
    db.session.commit()
    assert fresh_due(comment) is not None  # changed after publication: the answer they can read changed
    messages = mailbox.deliver(2)
    assert "Published answer." in messages[-1].get_content()


def test_authors_who_said_no_get_nothing(client, document, login_as, mailbox):
    author = login_as("reviewer")
    page = client.get("/account/").get_data(as_text=True)
    assert "Mail from Consult" in page  # ticked until they say otherwise
    assert " checked " in box(page)
    assert client.post("/account/notifications", data={}).status_code == 400  # not the form: changes nothing
    assert db.session.get(User, author.id).notify_responses is True
    saved = client.post("/account/notifications", data={"mail_form": "1"})
    assert saved.status_code == 302 and saved.headers["Location"] == "/account/#mail-title"
    page = client.get("/account/").get_data(as_text=True)
    assert "Your mail choices have been saved." in page
    assert " checked " not in box(page)
    user = db.session.get(User, author.id)
    assert user.notify_responses is False
    comment = make_comment(user, document, status="approved")
    moderation.set_disposition(make_user("moderator"), comment, "noted", "Noted.")
    db.session.commit()
    assert fresh_due(comment) is None
    # Marked before they said no: the worker checks again when it builds the mail.
    db.session.get(Comment, comment.id).response_mail_due_at = utcnow()
    db.session.commit()
    mailbox.deliver(0)
    assert mails_to(user) == 0 and fresh_due(comment) is None
    again = client.post("/account/notifications", data={"mail_form": "1", "notify_responses": "y"})
    assert again.status_code == 302 and db.session.get(User, author.id).notify_responses is True


def test_the_limit_per_hour_postpones_the_digest_rather_than_losing_it(app, document, mailbox):
    app.config["MAIL_PER_RECIPIENT_PER_HOUR"] = 0
    author = make_user("reviewer")
    comment = make_comment(author, document, status="approved")
    moderation.set_disposition(make_user("moderator"), comment, "noted", "Noted.")
    db.session.commit()
    assert response_mail.queue_due_digests() == 0
    assert mails_to(author) == 0 and fresh_due(comment) > utcnow() + timedelta(minutes=59)


def test_an_import_of_many_answers_sends_each_author_one_mail(app, document, mailbox):
    from consult_app.services import importer

    rita, sam = make_user("reviewer", name="Rita"), make_user("reviewer", name="Sam")
    written = [make_comment(author, document, status="approved") for author in (rita, rita, rita, sam)]
    lines = ["reference,disposition,response", *(f"{c.reference},noted,Imported answer {c.id}" for c in written)]
    plan = importer.plan(importer.parse("\r\n".join(lines).encode() + b"\r\n"))
    assert importer.apply(make_user("moderator"), plan, set())
    db.session.commit()
    messages = {message["To"]: message for message in mailbox.deliver(2)}
    assert messages[rita.email]["Subject"] == "The drafting team answered 3 of your comments"
    assert messages[sam.email]["Subject"] == f"The drafting team answered your comment {written[3].reference}"
    assert mails_to(rita) == 1 and mails_to(sam) == 1
