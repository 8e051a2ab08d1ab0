"""How far the drafting team has got, per section: dispositions recorded, comments still without one, and the
oldest comment still awaiting moderation. One GROUP BY query for every document at once.

The figures are the worklist's own filters counted, so that each number on the dashboard can link to the
comments behind it and the list shows exactly that many:
- per disposition: comments with that disposition (`disposition=<code>`), whatever their status;
- without a disposition: comments not answered yet, withdrawn ones excepted (`disposition=none`: a
  withdrawn comment is never answered, services/moderation.set_disposition).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.models import Comment, CommentStatus, Disposition
from consult_app.services.dashboard import Share

DISPOSITIONS: tuple[str, ...] = tuple(disposition.value for disposition in Disposition)


@dataclass
class Coverage:
    """The dispositions of one section's comments (or of a document's, or of its removed sections')."""

    by_disposition: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DISPOSITIONS, 0))
    without: int = 0  # not withdrawn, no disposition yet
    answerable: int = 0  # not withdrawn

    @property
    def answered(self) -> Share:
        """The comments that are not withdrawn and have a disposition, out of those not withdrawn."""
        return Share(self.answerable - self.without, self.answerable)

    def add(self, status: str, disposition: str | None, count: int) -> None:
        if disposition is not None:
            self.by_disposition[disposition] = self.by_disposition.get(disposition, 0) + count
        if status != CommentStatus.WITHDRAWN.value:
            self.answerable += count
            self.without += count if disposition is None else 0


@dataclass
class DocumentCoverage:
    sections: dict[str, Coverage] = field(default_factory=lambda: defaultdict(Coverage))
    total: Coverage = field(default_factory=Coverage)
    oldest_pending: datetime | None = None  # when the comment waiting longest for a decision was written

    def of(self, key: str | None) -> Coverage:
        """A section's coverage (zeros for a section nobody commented on); None: every removed section's."""
        return self.sections[key if key is not None else REMOVED]


REMOVED = "\x00removed"  # the key under which comments on sections the current version lacks are added up


def coverage(ids: list[int], current_keys: dict[int, set[str]]) -> dict[int, DocumentCoverage]:
    """Per document id: its coverage per section key of `current_keys` (the current version's sections), the
    rest under the removed sections, and the document's total."""
    statement = (
        select(
            Comment.document_id,
            Comment.section_key,
            Comment.status,
            Comment.disposition,
            func.count(),
            func.min(Comment.created_at),
        )
        .where(Comment.document_id.in_(ids))
        .group_by(Comment.document_id, Comment.section_key, Comment.status, Comment.disposition)
    )
    found: dict[int, DocumentCoverage] = defaultdict(DocumentCoverage)
    for document_id, key, status, disposition, count, oldest in db.session.execute(statement):
        document = found[document_id]
        section = key if key in current_keys.get(document_id, set()) else REMOVED
        document.sections[section].add(status, disposition, count)
        document.total.add(status, disposition, count)
        waiting = status == CommentStatus.PENDING.value
        if waiting and (document.oldest_pending is None or oldest < document.oldest_pending):
            document.oldest_pending = oldest
    return found
