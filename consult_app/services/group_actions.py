"""Acting on a group of near-duplicate comments at once: decide, answer or tag every member.

Each member is changed through the same service as one comment on its own (services/moderation.py,
services/themes.py), so each gets its own event in the trail and its own row in the response log, and its
author hears about it as for a single decision. Members that cannot be changed (the moderator's own
comments, comments already decided) are skipped and named in the result, rather than refusing the whole
group; a bad request (no decision, an unknown disposition) changes nothing. Functions only flush.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from consult_app.models import Comment, CommentStatus, Disposition, SimilarGroup, User
from consult_app.permissions import can_decide, can_moderate, can_respond
from consult_app.services import moderation, similarity

# Why a member was left alone, by its status: whole phrases, since word order and agreement differ by language.
ALREADY = {
    CommentStatus.APPROVED.value: _l("already approved"),
    CommentStatus.REJECTED.value: _l("already rejected"),
    CommentStatus.WITHDRAWN.value: _l("already withdrawn"),
}


class GroupError(ValueError):
    """A group request that cannot be carried out; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class GroupResult:
    done: list[Comment] = field(default_factory=list)
    unchanged: list[Comment] = field(default_factory=list)
    skipped: list[tuple[Comment, str]] = field(default_factory=list)  # (member, why it was left alone)

    def skipped_text(self) -> str:
        return "; ".join(f"{comment.reference} ({why})" for comment, why in self.skipped)


def group_or_error(group_id: int) -> SimilarGroup:
    group = similarity.get_group(group_id)
    if group is None:
        raise GroupError(gettext("There is no group %(number)d: a rebuild may have replaced it.", number=group_id), 404)
    return group


def _members(moderator: User, group_id: int) -> list[Comment]:
    if not can_moderate(moderator):
        raise GroupError(gettext("Only moderators act on groups of comments."), 403)
    group_or_error(group_id)
    return similarity.group_members(group_id)


def decide_all(moderator: User, group_id: int, decision: str, reason: str | None, note: str) -> GroupResult:
    """Approve or reject every pending member but the moderator's own. Raises GroupError (403, 404) or
    ModerationError (400 for a bad decision, reason or note) before anything changed."""
    members = _members(moderator, group_id)
    moderation.check_decision(decision, reason, note)
    result = GroupResult()
    for comment in members:
        if not can_decide(moderator, comment):
            result.skipped.append((comment, gettext("your own comment")))
        elif comment.status != CommentStatus.PENDING.value:
            result.skipped.append((comment, str(ALREADY.get(comment.status, comment.status))))
        else:
            try:
                result.done.append(moderation.decide(moderator, comment.id, decision, reason, note))
            except moderation.ModerationError as error:
                if error.status != 409:  # not a race with another moderator: the request itself is wrong
                    raise
                result.skipped.append((comment, gettext("just decided by another moderator")))
    return result


def respond_all(moderator: User, group_id: int, disposition: str, response: str) -> GroupResult:
    """Record one disposition and response on every member but the moderator's own, each through
    moderation.set_disposition (its event, its author's mail). Raises as decide_all does."""
    members = _members(moderator, group_id)
    # Checked before any member, so that a bad request is refused even when every member would be skipped.
    if disposition not in set(Disposition):
        raise moderation.ModerationError(gettext("Choose one of the listed dispositions."))
    result = GroupResult()
    for comment in members:
        if not can_respond(moderator, comment):
            result.skipped.append((comment, gettext("your own comment")))
        elif moderation.set_disposition(moderator, comment, disposition, response):
            result.done.append(comment)
        else:
            result.unchanged.append(comment)
    return result


def tag_all(moderator: User, group_id: int, theme_ids: Sequence[int]) -> GroupResult:
    """Tag every member with the themes (services/themes.py, all or nothing; one event per comment tagged).
    Raises GroupError, or themes.ThemeError for themes of another document or none chosen."""
    from consult_app.services import themes

    members = _members(moderator, group_id)
    if not members:
        return GroupResult()
    before = themes.themes_of([comment.id for comment in members])
    themes.tag([comment.id for comment in members], theme_ids, moderator)
    wanted = set(theme_ids)
    result = GroupResult()
    for comment in members:
        had = {theme.id for theme in before.get(comment.id, [])}
        (result.unchanged if wanted <= had else result.done).append(comment)
    return result
