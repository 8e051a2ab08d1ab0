"""Telling authors what the drafting team answered: one mail per author, a digest when several answers change.

How it batches, and why this way: `moderation.set_disposition` (the one function every path goes through: the
decision screen, the import, group responses) only marks the comment with `response_mail_due_at`, a time a
little in the future (RESPONSE_MAIL_DELAY_SECONDS). The mail worker (`flask mail deliver`, which already runs
wherever mail is sent) asks before every round which authors have a comment that is due, and queues ONE mail
per author listing every comment of theirs that is marked, then clears the marks in the same transaction.
So an import of 300 responses sends each author one mail, and a moderator who corrects a response a minute
after saving it does not send a second one. A per-author digest at commit time would batch an import (one
transaction) but not a moderator's corrections over several requests, and would put mail building into
every request's commit.

When is an author told? When a comment's disposition is first recorded, and when it changes after the
comment was published (approved): then the answer they can read has changed. A change to the answer of a
comment still pending or rejected, once they were told, waits until there is something new to say.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from consult_app import links
from consult_app.extensions import db
from consult_app.i18n import mail_language
from consult_app.models import Comment, CommentStatus, User
from consult_app.models.types import utcnow
from consult_app.services import mail
from consult_app.signals import mail_delivering

log = logging.getLogger("consult.mail")

# Authors handled per round of the worker, so one round stays short; the next round takes the rest.
AUTHORS_PER_ROUND = 50
# When an author's hourly mail limit is reached, their digest waits this long and is tried again.
RETRY_AFTER_LIMIT = timedelta(hours=1)


def mark_due(comment: Comment, first_answer: bool) -> None:
    """Note that the author should hear about this comment's (new) answer; the caller has just changed it.

    Keeps an earlier due time, so a stream of changes cannot postpone the mail for ever."""
    author = comment.author
    if author is None or not author.notify_responses:
        return
    if not first_answer and comment.status != CommentStatus.APPROVED.value:
        return
    if comment.response_mail_due_at is None:
        delay = timedelta(seconds=current_app.config["RESPONSE_MAIL_DELAY_SECONDS"])
        comment.response_mail_due_at = utcnow() + delay


def comment_link(comment: Comment) -> str:
    """Where the author reads the answer: under the published comment, or else their own list of comments."""
    if comment.status == CommentStatus.APPROVED.value and comment.is_public:
        return links.external_url(
            "reading.section", slug=comment.document.slug, key=comment.section_key, _anchor=comment.reference
        )
    return links.external_url("account.index", _anchor="comments-title")


@mail_delivering.connect
def queue_due_digests(sender=None) -> int:
    """Queue one digest per author with a due comment, and commit each; returns how many were queued.

    Runs in the mail worker, which commits step by step (services/outbox.py). Two workers at once cannot both
    mail an author: clearing the marks is a compare-and-set, and the loser rolls back its mail."""
    now = utcnow()
    due_authors = (
        select(Comment.author_id)
        .where(Comment.response_mail_due_at <= now, Comment.author_id.is_not(None))
        .distinct()
        .limit(AUTHORS_PER_ROUND)
    )
    queued = 0
    for author_id in list(db.session.scalars(due_authors)):
        queued += _queue_digest(author_id)
    return queued


def _queue_digest(author_id: int) -> int:
    author = db.session.get(User, author_id)
    marked = list(
        db.session.scalars(
            select(Comment)
            .where(Comment.author_id == author_id, Comment.response_mail_due_at.is_not(None))
            .options(selectinload(Comment.document))
            .order_by(Comment.document_id, Comment.id)
        )
    )
    if not _clear_marks(marked):
        db.session.rollback()  # another worker took this author's digest
        return 0
    sent = False
    if author is not None and author.active and author.notify_responses:
        sent = _send(author, marked)
        if not sent:  # the hourly limit: try again later rather than lose the news
            for comment in marked:
                comment.response_mail_due_at = utcnow() + RETRY_AFTER_LIMIT
    db.session.commit()
    return int(sent)


def _clear_marks(comments: list[Comment]) -> bool:
    ids = [comment.id for comment in comments]
    result = db.session.execute(
        update(Comment)
        .where(Comment.id.in_(ids), Comment.response_mail_due_at.is_not(None))
        .values(response_mail_due_at=None)
        .execution_options(synchronize_session="fetch")
    )
    return bool(ids) and result.rowcount == len(ids)


def _send(author: User, comments: list[Comment]) -> bool:
    # The template names each disposition itself, in the author's language.
    answers = [{"comment": comment, "link": comment_link(comment)} for comment in comments]
    return mail.send_template(
        author.email,
        "mail/responses.txt",
        language=mail_language(author),  # the worker runs outside any request: the author's own language
        author=author,
        answers=answers,
        settings=links.external_url("account.index", _anchor="mail-title"),
    )
