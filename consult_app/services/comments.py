"""Writing, editing, withdrawing and reading comments.

Every check that protects data happens here, so a forged form cannot get around it: who may write, the
consultation window, the quoted passage, the parent of a reply. Errors are CommentError with a sentence
for the person and, where it concerns one field, that field's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import format_decimal, gettext, ngettext
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import selectinload

from consult_app.extensions import db
from consult_app.i18n import current_language
from consult_app.models import Comment, CommentKind, CommentStatus, ConsultationState, Document, Publication, Section
from consult_app.models.comment import BODY_MAX, PUBLIC, QUOTE_MAX
from consult_app.models.types import utcnow
from consult_app.permissions import can_comment, can_moderate, may_edit, may_withdraw
from consult_app.services import similarity
from consult_app.signals import account_deleting, account_exporting, profile_changed
from consult_app.text import MAX_NESTING, NestingError, html_to_text, render_comment


class CommentError(ValueError):
    """A comment that cannot be saved or changed; `status` is the HTTP status a view should answer with."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.field, self.status = field, status


@dataclass
class Draft:
    """What a person typed into the comment form."""

    body: str
    kind: str = CommentKind.GENERAL.value
    quote: str = ""
    publication: str = Publication.PUBLIC_NAMED.value
    parent_id: int | None = None


@dataclass
class Thread:
    comment: Comment
    replies: list[Comment] = field(default_factory=list)


def normalise_space(text: str) -> str:
    return " ".join(text.split())


# --- writing ------------------------------------------------------------------------------------------------


def create_comment(author, document: Document, section: Section, draft: Draft) -> Comment:
    """Save a new pending comment on the current version's `section`."""
    _check_can_write(author, document)
    values = _checked(draft, section)
    parent = _checked_parent(draft.parent_id, document, section.key)
    comment = Comment(
        document_id=document.id,
        version_id=section.version_id,
        section_key=section.key,
        author_id=author.id,
        parent_id=parent.id if parent else None,
        # The interface language it was written in (exported as the response log's `language`); "en" outside
        # a request (the demo, the command line).
        language=current_language(),
        **values,
    )
    db.session.add(comment)
    db.session.flush()
    similarity.note_written(comment)  # near-duplicates: finds its group now, not in a nightly batch
    return comment


def edit_comment(author, comment: Comment, draft: Draft) -> None:
    """Change a pending comment of one's own (the section and parent stay as they were)."""
    check_editable(author, comment)
    for name, value in _checked(draft, section_of(comment)).items():
        setattr(comment, name, value)
    comment.updated_at = utcnow()
    db.session.flush()
    similarity.note_written(comment)


def check_editable(author, comment: Comment) -> None:
    """Raise CommentError unless `author` may still change `comment` (permissions.may_edit, which the templates
    ask before offering Edit); the error names the rule that failed."""
    if may_edit(author, comment):
        return
    _check_own_pending(author, comment)
    _check_can_write(author, comment.document)
    raise CommentError(gettext("You cannot change this comment."), status=403)  # only if the checks above fell behind


def section_of(comment: Comment) -> Section:
    """The section, in the version the comment was written on."""
    return db.session.scalar(
        select(Section).where(Section.version_id == comment.version_id, Section.key == comment.section_key)
    )


def withdraw_comment(author, comment: Comment) -> None:
    """Withdraw a pending comment of one's own (permissions.may_withdraw), also after the consultation closed."""
    if not may_withdraw(author, comment):
        _check_own_pending(author, comment)
        raise CommentError(gettext("You cannot withdraw this comment."), status=403)
    comment.status = CommentStatus.WITHDRAWN.value
    db.session.flush()


def preview(author, document: Document, section: Section, draft: Draft) -> str:
    """Run every check `create_comment` runs and return the HTML the comment would have; save nothing."""
    _check_can_write(author, document)
    values = _checked(draft, section)
    _checked_parent(draft.parent_id, document, section.key)
    return values["body_html"]


def _check_can_write(author, document: Document) -> None:
    if not can_comment(author):
        raise CommentError(gettext("You need to be logged in, with an active account, to comment."), status=403)
    state = document.consultation_state()
    if state is ConsultationState.UPCOMING:
        raise CommentError(gettext("The consultation has not opened yet."), status=403)
    if state is ConsultationState.CLOSED:
        message = gettext("The consultation has closed; comments can no longer be sent or changed.")
        raise CommentError(message, status=403)
    if state is not ConsultationState.OPEN:
        raise CommentError(gettext("This document is not open for comments."), status=403)


def _check_own_pending(author, comment: Comment) -> None:
    if not can_comment(author) or comment.author_id != author.id:
        raise CommentError(gettext("You can only change your own comments."), status=403)
    if comment.status != CommentStatus.PENDING.value:
        raise CommentError(gettext("Only comments awaiting moderation can be changed or withdrawn."), status=409)


def _checked(draft: Draft, section: Section) -> dict:
    """Validated column values for a draft; raise CommentError naming the field at fault."""
    body = draft.body.strip()
    if not body:
        raise CommentError(gettext("Write your comment."), "body")
    if len(body) > BODY_MAX:
        message = ngettext(
            "Your comment is %(length)s characters long; the limit is %(limit)s.",
            "Your comment is %(length)s characters long; the limit is %(limit)s.",
            len(body),
            length=format_decimal(len(body)),
            limit=format_decimal(BODY_MAX),
        )
        raise CommentError(message, "body")
    if draft.kind not in set(CommentKind):
        raise CommentError(gettext("Choose what kind of comment this is."), "kind")
    if draft.publication not in set(Publication):
        raise CommentError(gettext("Choose who may see your comment."), "publication")
    quote = normalise_space(draft.quote)
    if len(quote) > QUOTE_MAX:
        message = ngettext(
            "Quote at most %(limit)s character of the section.",
            "Quote at most %(limit)s characters of the section.",
            QUOTE_MAX,
            limit=format_decimal(QUOTE_MAX),
        )
        raise CommentError(message, "quote")
    if quote and quote not in normalise_space(html_to_text(section.html)):
        message = gettext("The quoted passage is not in this section. Copy it exactly from the text.")
        raise CommentError(message, "quote")
    return {
        "body_md": body,
        "body_html": _body_html(body),
        "kind": draft.kind,
        "quote": quote,
        "publication": draft.publication,
    }


def _body_html(body: str) -> str:
    try:
        return render_comment(body)
    except NestingError:  # a comment nobody writes by hand, refused before it costs time to show
        # The whole sentence here (NestingError's own words are an English phrase, for the command line).
        message = gettext(
            "Your comment has quotes, lists or emphasis nested more than %(limit)d levels deep; "
            "flatten it to at most %(limit)d.",
            limit=MAX_NESTING,
        )
        raise CommentError(message, "body") from None


def _checked_parent(parent_id: int | None, document: Document, key: str) -> Comment | None:
    if parent_id is None:
        return None
    parent = db.session.get(Comment, parent_id)
    if parent is None or parent.document_id != document.id or parent.section_key != key:
        raise CommentError(gettext("You can only reply to a comment on this section."), "parent_id")
    # Published means approved and public: a private comment is for the drafting team, and a public reply to
    # it would show under nothing (or, if accepted, tell anyone guessing ids that it exists).
    if parent.status != CommentStatus.APPROVED.value or not parent.is_public:
        raise CommentError(gettext("You can only reply to a published comment."), "parent_id")
    if parent.parent_id is not None:
        raise CommentError(gettext("Replies go under the comment itself, not under another reply."), "parent_id")
    return parent


# --- reading ------------------------------------------------------------------------------------------------


def may_see(viewer, comment: Comment) -> bool:
    """Approved public comments are for everyone; approved private ones also for moderators; anything else
    (pending, rejected) only for its author. Withdrawn comments are shown to nobody."""
    if comment.status == CommentStatus.WITHDRAWN.value:
        return False
    if comment.status == CommentStatus.APPROVED.value and (comment.is_public or can_moderate(viewer)):
        return True
    return can_comment(viewer) and comment.author_id == viewer.id


def published(comment=Comment):
    """SQL condition for the comments everyone may read (what may_see allows a visitor): approved and public.
    `comment` may be an alias of Comment."""
    return and_(comment.status == CommentStatus.APPROVED.value, comment.publication.in_(PUBLIC))


def section_threads(document: Document, key: str, viewer) -> list[Thread]:
    """The comments of a section that `viewer` may see, oldest first, replies under their comment."""
    visible = [c for c in _section_comments(document, key, viewer) if may_see(viewer, c)]
    by_id = {comment.id: Thread(comment) for comment in visible if comment.parent_id is None}
    for comment in visible:
        if comment.parent_id is not None and comment.parent_id in by_id:
            by_id[comment.parent_id].replies.append(comment)
    return list(by_id.values())


def _section_comments(document: Document, key: str, viewer) -> list[Comment]:
    """One query for the section: approved comments, plus the viewer's own pending and rejected ones."""
    shown = Comment.status == CommentStatus.APPROVED.value
    if can_comment(viewer):
        shown = or_(shown, Comment.author_id == viewer.id)
    statement = (
        select(Comment)
        .where(Comment.document_id == document.id, Comment.section_key == key, shown)
        .options(selectinload(Comment.author), selectinload(Comment.version))
        .order_by(Comment.created_at, Comment.id)
    )
    return list(db.session.scalars(statement))


def removed_section_keys(document: Document, current_keys: set[str]) -> list[str]:
    """Keys that have comments but no longer exist in the current version, in order of first comment."""
    statement = (
        select(Comment.section_key, func.min(Comment.id))
        .where(Comment.document_id == document.id)
        .group_by(Comment.section_key)
        .order_by(func.min(Comment.id))
    )
    return [key for key, _ in db.session.execute(statement) if key not in current_keys]


def own_comments(author) -> list[Comment]:
    statement = (
        select(Comment)
        .where(Comment.author_id == author.id)
        .options(selectinload(Comment.document))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
    return list(db.session.scalars(statement))


def get_comment(comment_id: int) -> Comment | None:
    return db.session.get(Comment, comment_id)


# --- account hooks ------------------------------------------------------------------------------------------


@account_deleting.connect
def _on_account_deleting(user) -> None:
    """Pending comments are withdrawn; every comment keeps its text and loses its author."""
    db.session.execute(
        update(Comment)
        .where(Comment.author_id == user.id, Comment.status == CommentStatus.PENDING.value)
        .values(status=CommentStatus.WITHDRAWN.value)
    )
    db.session.execute(update(Comment).where(Comment.author_id == user.id).values(author_id=None))


@profile_changed.connect
def _on_profile_changed(user) -> None:
    """The author's name and organisation are shown with each comment: what is shown with the comment changed,
    so its updated_at moves, and reading pages that show it get a new ETag (services/reading.py)."""
    db.session.execute(update(Comment).where(Comment.author_id == user.id).values(updated_at=utcnow()))


@account_exporting.connect
def _on_account_exporting(user) -> dict:
    return {
        "comments": [
            {
                "reference": c.reference,
                "document": c.document.slug,
                "section": c.section_key,
                "kind": c.kind,
                "quote": c.quote,
                "comment": c.body_md,
                "publication": c.publication,
                "status": c.status,
                "language": c.language,
                "created_at": c.created_at.isoformat(),
            }
            for c in own_comments(user)
        ]
    }
