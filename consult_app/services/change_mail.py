"""Telling reviewers that a new version changed the sections they commented on: one mail each per version.

Who is told: the authors of comments on a section that the new version changed or removed, comments still
pending or published (not withdrawn, not rejected), whose accounts are active, have a confirmed address and
have not unticked "Tell me when a new version changes a section I commented on" (users.notify_changes).
Deleted accounts left their comments without an author and are never found.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from consult_app import links
from consult_app.extensions import db
from consult_app.i18n import mail_language
from consult_app.models import Comment, CommentStatus, Document, User, Version
from consult_app.services import mail
from consult_app.services.guidance import LoadReport, SectionComparison, compare_versions, get_version

# Comments whose authors still have a stake in the text: not withdrawn by them, not rejected by a moderator.
STANDING = (CommentStatus.PENDING.value, CommentStatus.APPROVED.value)


@dataclass(frozen=True)
class ChangedSection:
    key: str
    title: str
    status: str  # changed | removed
    link: str
    note: str


def tell_reviewers_of_loads(reports: list[LoadReport]) -> None:
    """tell_reviewers for every new version a `guidance load` made; each report's `mailed` says how many."""
    for report in reports:
        if report.action == "new_version":
            document = db.session.scalar(select(Document).where(Document.slug == report.slug))
            report.mailed = tell_reviewers_of_version(document, report.version)


def tell_reviewers_of_version(document: Document, number: int) -> int:
    """tell_reviewers about version `number` (at least 2) and the one before it, as stored (with their notes)."""
    previous, new = get_version(document, number - 1), get_version(document, number)
    return tell_reviewers(document, new, compare_versions(previous, new))


def tell_reviewers(document: Document, version: Version, comparisons: list[SectionComparison]) -> int:
    """Queue one mail per reviewer of a changed or removed section (see the module docstring); the caller
    commits. Returns how many mails were queued."""
    changed = {c.key: _changed_section(document, version, c) for c in comparisons if c.status in ("changed", "removed")}
    if not changed:
        return 0
    sections_of: dict[int, set[str]] = defaultdict(set)
    users: dict[int, User] = {}
    for user, key in db.session.execute(_reviewers(document, list(changed))):
        users[user.id] = user
        sections_of[user.id].add(key)
    differences = links.external_url("reading.version", slug=document.slug, number=version.number - 1)
    settings = links.external_url("account.index", _anchor="mail-title")
    queued = 0
    for user_id, keys in sections_of.items():
        sections = [changed[key] for key in changed if key in keys]  # in the document's order
        queued += mail.send_template(
            users[user_id].email,
            "mail/version_changes.txt",
            language=mail_language(users[user_id]),
            user=users[user_id],
            document=document,
            version=version,
            sections=sections,
            differences=differences,
            settings=settings,
        )
    return queued


def reviewers_to_tell(document: Document, keys: list[str]) -> int:
    """How many reviewers tell_reviewers would mail if the sections `keys` changed (for the dry run)."""
    users = _reviewers(document, keys).with_only_columns(User.id).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(users)) or 0


def _reviewers(document: Document, keys: list[str]):
    return (
        select(User, Comment.section_key)
        .join(Comment, Comment.author_id == User.id)
        .where(
            Comment.document_id == document.id,
            Comment.section_key.in_(keys),
            Comment.status.in_(STANDING),
            User.active.is_(True),
            User.notify_changes.is_(True),
            User.email_confirmed_at.is_not(None),
        )
        .distinct()
        .order_by(User.id)
    )


def _changed_section(document: Document, version: Version, comparison: SectionComparison) -> ChangedSection:
    if comparison.status == "removed":
        link = links.external_url(
            "reading.version", slug=document.slug, number=version.number - 1, _anchor=comparison.key
        )
        return ChangedSection(comparison.key, comparison.title, "removed", link, "")
    link = links.external_url("reading.section", slug=document.slug, key=comparison.key)
    note = (comparison.new.change_note or "") if comparison.new is not None else ""
    return ChangedSection(comparison.key, comparison.title, "changed", link, note)
