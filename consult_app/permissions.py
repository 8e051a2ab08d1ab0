"""Who may do what: the only place roles are checked.

Predicates are pure functions of a user (Flask-Login's anonymous user included) and, where it matters,
the object acted on. Views use `role_required` or call a predicate and abort with 403.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import abort, request
from flask_login import current_user

from consult_app.extensions import login_manager

log = logging.getLogger("consult.security")


class Role(enum.StrEnum):
    REVIEWER = "reviewer"
    MODERATOR = "moderator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self]


ROLE_RANK = {Role.REVIEWER: 1, Role.MODERATOR: 2, Role.ADMIN: 3}


def is_signed_in(user: Any) -> bool:
    """An authenticated account that is still active."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def has_role(user: Any, role: Role) -> bool:
    """The user holds `role` or a higher one (admin > moderator > reviewer)."""
    return is_signed_in(user) and Role(user.role).rank >= role.rank


def can_comment(user: Any) -> bool:
    return has_role(user, Role.REVIEWER)


def can_moderate(user: Any) -> bool:
    return has_role(user, Role.MODERATOR)


def can_administer(user: Any) -> bool:
    return has_role(user, Role.ADMIN)


def can_manage_account(actor: Any, target: Any) -> bool:
    """Admins manage other people's accounts; their own goes through the account page."""
    return can_administer(actor) and actor.id != target.id


def can_decide(user: Any, comment: Any) -> bool:
    """Moderators approve or reject any comment but their own."""
    return can_moderate(user) and comment.author_id != user.id


def can_respond(user: Any, comment: Any) -> bool:
    """Moderators record the drafting team's disposition of any comment but their own: nobody answers
    their own comment on the team's behalf."""
    return can_moderate(user) and comment.author_id != user.id


def can_publish_responses(user: Any) -> bool:
    """Moderators publish (and withdraw) a document's summary of responses."""
    return can_moderate(user)


def may_read_summary(user: Any, document: Any) -> bool:
    """The summary of responses is for everyone once published; before that, a preview for moderators."""
    return document.responses_published_at is not None or can_publish_responses(user)


# --- what may be done to a comment: the comment routes and the comment templates both ask these ------------
# Comment rules need the comment models, which import this module (for Role): they are imported when first asked.


def _open_for_comments(document: Any) -> bool:
    from consult_app.models import ConsultationState

    return document.consultation_state() is ConsultationState.OPEN


def may_edit(user: Any, comment: Any) -> bool:
    """Authors change their own comments while they await moderation and the consultation is open."""
    from consult_app.models import CommentStatus

    own_pending = can_comment(user) and comment.author_id == user.id and comment.status == CommentStatus.PENDING
    return own_pending and _open_for_comments(comment.document)


def may_withdraw(user: Any, comment: Any) -> bool:
    """Authors withdraw their own comments while they await moderation, also after the consultation closed: a
    comment the author no longer stands by should never be published or answered."""
    from consult_app.models import CommentStatus

    return can_comment(user) and comment.author_id == user.id and comment.status == CommentStatus.PENDING


def open_to_replies(comment: Any) -> bool:
    """A comment takes replies when it is published (approved and public), is not itself a reply, and the
    consultation is open. Anyone is offered the reply link; visitors are asked to log in first."""
    from consult_app.models import CommentStatus

    published = comment.status == CommentStatus.APPROVED and comment.is_public
    return published and comment.parent_id is None and _open_for_comments(comment.document)


def may_reply(user: Any, comment: Any) -> bool:
    return can_comment(user) and open_to_replies(comment)


def may_expire_when_idle(user: Any) -> bool:
    """Whether the retention purge may delete this account once it is idle: reviewers' accounts only. Moderator
    and admin accounts run the consultation and are named in its audit trail; one gone without a decision by a
    person could leave the site without an admin. Judged by the stored role, whether or not the account is active."""
    return Role(user.role) is Role.REVIEWER


def role_required(role: Role) -> Callable:
    """Decorator: anonymous visitors are sent to log in; signed-in users without `role` get 403."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not is_signed_in(current_user):
                return login_manager.unauthorized()
            if not has_role(current_user, role):
                refuse(f"needs role {role.value}")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def refuse(reason: str) -> None:
    """Log a refused permission and abort with 403."""
    who = current_user.id if is_signed_in(current_user) else "anonymous"  # an id: the log keeps no addresses
    log.warning("permission refused: user=%r path=%r reason=%r", who, request.path, reason)
    abort(403)
