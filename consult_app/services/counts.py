"""How many comments a section has: the one definition, used by every page that shows a count.

What is counted, for whom:

- `published`, the same for everyone: approved public comments *and* approved public replies, which is what
  anyone reads under the section (and what the public API's statistics count). A reply is a comment too; the
  contents, the section heading, the document page, the dashboard and the API never differ by the replies.
- `awaiting` and `private`, shown apart from it and labelled, never added into it:
  moderators (and admins) see every pending comment and every approved private one of the section;
  a signed-in reviewer sees their own; a visitor sees neither (both are 0).
- Rejected and withdrawn comments are counted nowhere on the reading pages (the dashboard's status table
  has them).

A paragraph's margin count (comments quoting a passage in it) is a different figure and lives with the margins.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from consult_app.extensions import db
from consult_app.models import Comment, CommentStatus, Document
from consult_app.models.comment import PUBLIC
from consult_app.permissions import can_comment, can_moderate
from consult_app.services.comments import published


@dataclass(frozen=True)
class SectionCount:
    """The comments of one section as one viewer may know them."""

    published: int = 0
    awaiting: int = 0
    private: int = 0
    # True when `awaiting` and `private` are the viewer's own comments only (a reviewer), False for staff.
    own: bool = False

    @property
    def unpublished(self) -> int:
        """Comments this viewer may know about that readers do not see."""
        return self.awaiting + self.private

    def __add__(self, other: SectionCount) -> SectionCount:
        return SectionCount(
            self.published + other.published,
            self.awaiting + other.awaiting,
            self.private + other.private,
            self.own or other.own,
        )


ZERO = SectionCount()


class SectionCounts(dict[str, SectionCount]):
    """Counts per section key; a key without comments answers ZERO (of the right kind for the viewer)."""

    def __init__(self, own: bool = False) -> None:
        super().__init__()
        self.zero = SectionCount(own=own)

    def __missing__(self, key: str) -> SectionCount:
        return self.zero

    @property
    def total(self) -> SectionCount:
        """The whole document, sections that are gone included."""
        return sum(self.values(), self.zero)


def section_counts(document: Document, viewer) -> SectionCounts:
    """Counts per section key of `document` for `viewer` (a user, or Flask-Login's anonymous user)."""
    return _counts([document.id], *_scope(viewer))[document.id]


def section_count(document: Document, key: str, viewer) -> SectionCount:
    """The count of one section (one query over that section only)."""
    return _counts([document.id], *_scope(viewer), key=key)[document.id][key]


def staff_counts(document_ids: list[int]) -> dict[int, SectionCounts]:
    """Counts per document id and section key as moderators see them (the dashboard), in one query."""
    return _counts(document_ids, "staff", None)


def _scope(viewer) -> tuple[str, int | None]:
    if can_moderate(viewer):
        return "staff", None
    if can_comment(viewer):
        return "own", viewer.id
    return "public", None


def _counts(
    document_ids: list[int], scope: str, viewer_id: int | None, key: str | None = None
) -> dict[int, SectionCounts]:
    """One GROUP BY query: (document, section, status, public or not) for the comments the scope may know of."""
    known = or_(Comment.status == CommentStatus.PENDING.value, Comment.status == CommentStatus.APPROVED.value)
    if scope == "own":
        known = or_(published(), and_(known, Comment.author_id == viewer_id))
    elif scope == "public":
        known = published()
    is_public = Comment.publication.in_(PUBLIC)
    statement = (
        select(Comment.document_id, Comment.section_key, Comment.status, is_public.label("public"), func.count())
        .where(Comment.document_id.in_(document_ids), known)
        .group_by(Comment.document_id, Comment.section_key, Comment.status, is_public)
    )
    if key is not None:
        statement = statement.where(Comment.section_key == key)
    own = scope == "own"
    found = {document_id: SectionCounts(own) for document_id in document_ids}
    for document_id, section_key, status, public, count in db.session.execute(statement):
        found[document_id][section_key] = found[document_id][section_key] + _one_kind(status, bool(public), count, own)
    return found


def _one_kind(status: str, public: bool, count: int, own: bool) -> SectionCount:
    if status == CommentStatus.PENDING.value:
        return SectionCount(awaiting=count, own=own)
    if public:
        return SectionCount(published=count, own=own)
    return SectionCount(private=count, own=own)
