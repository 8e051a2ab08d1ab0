"""The receipt a reviewer gets when they send a comment: its reference, that it awaits moderation, and a link.

Sent by the comment form's view, not by `comments.create_comment`: the demo, the tests' factories and any
future import also create comments, and nobody should get a receipt for a comment they did not send.
"""

from __future__ import annotations

from consult_app import links
from consult_app.i18n import mail_language
from consult_app.models import Comment
from consult_app.services import mail
from consult_app.services.comments import section_of


def send_receipt(comment: Comment) -> bool:
    """Queue the receipt for `comment` to its author (in the caller's transaction). False when nothing was
    queued: no author, or the author's address already had its hour's share of mail (services/mail.py)."""
    author = comment.author
    if author is None:
        return False
    slug, key = comment.document.slug, comment.section_key
    context = {
        "comment": comment,
        "author": author,
        "document": comment.document,
        "section": section_of(comment),
        "link": links.external_url("reading.section", slug=slug, key=key, _anchor=comment.reference),
        "account_link": links.external_url("account.index"),
    }
    return mail.send_template(author.email, "mail/comment_received.txt", language=mail_language(author), **context)
