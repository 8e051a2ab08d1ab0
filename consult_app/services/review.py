"""The decision screen of one comment: its one form (decision, disposition, response) and its history in words.

The form is saved all or nothing: the decision and the answer go through moderation.decide and
moderation.set_disposition (the same checks, events and author mail as every other path) in one transaction,
and the caller rolls back on ModerationError. So a disposition typed before pressing Save with "Approve"
chosen is saved with the approval, and a refused approval loses nothing: the page comes back with what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext

from consult_app.labels import label, stored_label
from consult_app.models import Comment, CommentStatus, ModerationEvent, RejectionReason, User
from consult_app.models.comment import COMMAND_LINE, DELETED_ACCOUNT
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
        """The confirmation shown after saving (a second sentence when the themes were saved too)."""
        ref = comment.reference
        approved = comment.status == CommentStatus.APPROVED.value
        if self.decided and self.answered:
            if approved:
                saved = gettext("%(ref)s approved and its disposition saved.", ref=ref)
            else:
                saved = gettext("%(ref)s rejected and its disposition saved.", ref=ref)
        elif self.decided:
            saved = gettext("%(ref)s approved.", ref=ref) if approved else gettext("%(ref)s rejected.", ref=ref)
        elif self.answered:
            saved = gettext("Disposition of %(ref)s saved.", ref=ref)
        elif self.retagged:
            return gettext("Themes of %(ref)s saved.", ref=ref)
        else:
            return gettext("Nothing changed on %(ref)s.", ref=ref)
        return f"{saved} {gettext('Its themes saved.')}" if self.retagged else saved


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
        raise ModerationError(gettext("Choose the themes from the list."))
    try:
        return themes.set_themes(comment, [int(value) for value in theme_ids], moderator)
    except themes.ThemeError as error:
        raise ModerationError(str(error), error.status) from None


def _answer(moderator: User, comment: Comment, review: Review) -> bool:
    if not review.disposition and not review.response.strip():
        if comment.disposition:
            raise ModerationError(gettext("A disposition cannot be taken back: choose one of the listed dispositions."))
        return False
    if not review.disposition:
        raise ModerationError(gettext("Choose a disposition for the response."))
    return moderation.set_disposition(moderator, comment, review.disposition, review.response)


def describe(event: ModerationEvent) -> str:
    """One event of a comment's history in words, e.g. "Disposition changed from Accepted to Noted", in the
    reader's language: the words are made when shown, from the event's stored codes (its note stays as stored)."""
    if event.field == "status":
        if event.to_value == CommentStatus.APPROVED.value:
            return gettext("Approved")
        if event.to_value == CommentStatus.REJECTED.value:
            return gettext("Rejected")
        if event.to_value == CommentStatus.WITHDRAWN.value:
            return gettext("Withdrawn by the author")
        return gettext("Status set to %(status)s", status=label("status", event.to_value))
    if event.field == "disposition":
        after = label("disposition", event.to_value)
        if event.from_value is None:
            return gettext("Disposition set to %(disposition)s", disposition=after)
        if event.from_value == event.to_value:
            return gettext("Response changed (disposition stays %(disposition)s)", disposition=after)
        before = label("disposition", event.from_value)
        return gettext("Disposition changed from %(before)s to %(after)s", before=before, after=after)
    if event.field == "assignee":
        return assignment.describe(event)
    if event.field == "themes":  # the theme names are in the event's reason
        return gettext("Themes added") if event.to_value == themes.TAGGED else gettext("Themes removed")
    return gettext(
        "%(field)s changed from %(before)s to %(after)s",
        field=event.field.capitalize(),
        before=event.from_value or gettext("nothing"),
        after=event.to_value,
    )


def note(event: ModerationEvent) -> str:
    """The event's stored reason or response as the history shows it. A rejection's note starts with the reason's
    English label (stored so, whoever rejected it): that label is shown in the reader's language, the rest as typed."""
    if event.field == "status" and event.reason:
        for code in RejectionReason:
            english = stored_label("reason", code)
            if event.reason == english:
                return label("reason", code)
            if event.reason.startswith(f"{english}: "):
                typed = event.reason[len(english) + 2 :]
                return gettext("%(reason)s: %(note)s", reason=label("reason", code), note=typed)
    return event.reason


def who(event: ModerationEvent) -> str:
    """Who made the event, as the history shows it: the stored "Name <email>", or the words for an account
    that is gone and for the command line in the reader's language."""
    shown = event.actor_shown
    if shown == DELETED_ACCOUNT:
        return gettext("Deleted account")
    if shown == COMMAND_LINE:
        return gettext("command line")
    return shown
