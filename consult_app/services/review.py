"""The decision screen of one comment: its one form (decision, disposition, response) and its history in words.

The form is saved all or nothing: the decision and the answer go through moderation.decide and
moderation.set_disposition (the same checks, events and author mail as every other path) in one transaction,
and the caller rolls back on ModerationError. So a disposition typed before pressing Save with "Approve"
chosen is saved with the approval, and a refused approval loses nothing: the page comes back with what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from consult_app.labels import label
from consult_app.models import Comment, CommentStatus, ModerationEvent, User
from consult_app.permissions import can_decide, can_respond
from consult_app.services import assignment, moderation, themes
from consult_app.services.moderation import ModerationError


@dataclass(frozen=True)
class Review:
    """What the decision screen's form asks for; empty strings where nothing was chosen."""

    decision: str = ""  # "", "approve" or "reject"
    reason: str = ""
    note: str = ""
    disposition: str = ""
    response: str = ""
    # The themes fieldset's checked boxes (theme ids as sent); None when the form had no themes fieldset.
    theme_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ReviewResult:
    decided: bool  # approved or rejected now: the author is told by the caller, as from the queue
    answered: bool  # the disposition or response changed
    retagged: bool = False  # the themes changed

    def words(self, comment: Comment) -> str:
        """The confirmation shown after saving."""
        decided = "approved" if comment.status == CommentStatus.APPROVED.value else "rejected"
        themes_saved = " Its themes saved." if self.retagged else ""
        if self.decided and self.answered:
            return f"{comment.reference} {decided} and its disposition saved.{themes_saved}"
        if self.decided:
            return f"{comment.reference} {decided}.{themes_saved}"
        if self.answered:
            return f"Disposition of {comment.reference} saved.{themes_saved}"
        if self.retagged:
            return f"Themes of {comment.reference} saved."
        return f"Nothing changed on {comment.reference}."


@dataclass(frozen=True)
class Offer:
    """What the screen offers `viewer`, so it never shows a control the route would refuse."""

    decide: bool  # approve or reject: a pending comment that is not their own
    answer: bool  # disposition and response: a comment not withdrawn and not their own

    @property
    def anything(self) -> bool:
        return self.decide or self.answer


def offer(viewer: User, comment: Comment) -> Offer:
    return Offer(
        decide=comment.status == CommentStatus.PENDING.value and can_decide(viewer, comment),
        answer=comment.status != CommentStatus.WITHDRAWN.value and can_respond(viewer, comment),
    )


def save(moderator: User, comment: Comment, review: Review) -> ReviewResult:
    """Apply the form. Raises ModerationError (the caller rolls back, so nothing is half done)."""
    decided = False
    if review.decision:
        moderation.decide(moderator, comment.id, review.decision, review.reason or None, review.note)
        decided = True
    answered = _answer(moderator, comment, review)
    return ReviewResult(decided, answered, _retag(moderator, comment, review.theme_ids))


def _retag(moderator: User, comment: Comment, theme_ids: tuple[str, ...] | None) -> bool:
    """The themes fieldset: its checked boxes become the comment's themes (services/themes.py checks them)."""
    if theme_ids is None:
        return False
    if not all(value.isascii() and value.isdigit() and len(value) <= 9 for value in theme_ids):
        raise ModerationError("Choose the themes from the list.")
    try:
        return themes.set_themes(comment, [int(value) for value in theme_ids], moderator)
    except themes.ThemeError as error:
        raise ModerationError(str(error), error.status) from None


def _answer(moderator: User, comment: Comment, review: Review) -> bool:
    if not review.disposition and not review.response.strip():
        if comment.disposition:
            raise ModerationError("A disposition cannot be taken back: choose one of the listed dispositions.")
        return False
    if not review.disposition:
        raise ModerationError("Choose a disposition for the response.")
    return moderation.set_disposition(moderator, comment, review.disposition, review.response)


def describe(event: ModerationEvent) -> str:
    """One event of a comment's history in words, e.g. "Disposition changed from Accepted to Noted"."""
    if event.field == "status":
        return {
            CommentStatus.APPROVED.value: "Approved",
            CommentStatus.REJECTED.value: "Rejected",
            CommentStatus.WITHDRAWN.value: "Withdrawn by the author",
        }.get(event.to_value, f"Status set to {label('status', event.to_value)}")
    if event.field == "disposition":
        after = label("disposition", event.to_value)
        if event.from_value is None:
            return f"Disposition set to {after}"
        if event.from_value == event.to_value:
            return f"Response changed (disposition stays {after})"
        return f"Disposition changed from {label('disposition', event.from_value)} to {after}"
    if event.field == "assignee":
        return assignment.describe(event)
    if event.field == "themes":  # the theme names are in the event's reason
        return "Themes added" if event.to_value == themes.TAGGED else "Themes removed"
    return f"{event.field.capitalize()} changed from {event.from_value or 'nothing'} to {event.to_value}"
