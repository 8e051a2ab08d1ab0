"""Atom feeds of a document: its versions, and the drafting team's published responses (feedgen).

Every link is absolute on CONSULT_BASE_URL (consult_app/links.py), as feed readers fetch from anywhere; ids
are those addresses, which never change. The responses feed lists nothing until the summary of responses is
published (`documents.responses_published_at`): before that the responses are the drafting team's work in
progress, which visitors cannot see elsewhere either. It is still a valid, empty feed, so that a reader can
subscribe early.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consult_app import links
from consult_app.extensions import db
from consult_app.i18n import current_language
from consult_app.labels import label, section_label
from consult_app.models import Comment, CommentStatus, Document, Publication, Section, Version
from consult_app.models.comment import PUBLIC
from consult_app.services.guidance import compare_versions

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

CONTENT_TYPE = "application/atom+xml; charset=utf-8"
# Feed readers poll; the newest responses are what they need, not every response of a large consultation.
RESPONSES_MAX = 200
# How the feed names a section's change: "1. Introduction: changed" (lower case, after the section's name).
CHANGE_WORDS = {"changed": _l("changed"), "added": _l("new section"), "removed": _l("removed")}


def _feed(document: Document, title: str, endpoint: str) -> FeedGenerator:
    """A feed in the reader's language (feed_views says `Vary` on what chose it); `title` is its whole title."""
    from feedgen.feed import FeedGenerator  # deferred: feedgen (and lxml) only for feeds, not at every start-up

    feed = FeedGenerator()
    feed.id(links.external_url(endpoint, slug=document.slug))
    feed.title(title)
    feed.author({"name": document.organiser or "Consult"})
    feed.link(href=links.external_url(endpoint, slug=document.slug), rel="self", type="application/atom+xml")
    feed.link(href=links.external_url("reading.document", slug=document.slug), rel="alternate", type="text/html")
    feed.language(current_language())
    return feed


def versions_feed(document: Document) -> bytes:
    """Each version, newest first: its number, when it was loaded, and what it changed per section."""
    versions = list(
        db.session.scalars(
            select(Version)
            .where(Version.document_id == document.id)
            .options(selectinload(Version.sections))
            .order_by(Version.number)
        )
    )
    feed = _feed(document, gettext("%(title)s: versions", title=document.title), "reading.versions_feed")
    feed.subtitle(gettext("New versions of the draft guidance “%(title)s”.", title=document.title))
    feed.updated(versions[-1].loaded_at)
    for previous, version in reversed(list(zip([None, *versions], versions, strict=False))):
        _version_entry(feed.add_entry(order="append"), document, previous, version)
    return feed.atom_str(pretty=True)


def _version_entry(entry, document: Document, previous: Version | None, version: Version) -> None:
    page = links.external_url("reading.version", slug=document.slug, number=version.number)
    entry.id(page)
    entry.title(gettext("Version %(number)s", number=version.number))
    entry.updated(version.loaded_at)
    entry.published(version.loaded_at)
    if previous is None:
        entry.link(href=page, rel="alternate", type="text/html")
        sections = "".join(f"<li>{escape(section_label(s.number, s.title))}</li>" for s in version.sections)
        first = escape(gettext("The first version, with these sections:"))
        entry.content(f"<p>{first}</p><ul>{sections}</ul>", type="html")
        return
    # The older version's page shows, per section, what changed in the versions after it.
    differences = links.external_url("reading.version", slug=document.slug, number=previous.number)
    entry.link(href=differences, rel="alternate", type="text/html")
    changes = [c for c in compare_versions(previous, version) if c.status != "unchanged"]
    items = "".join(_change_item(c) for c in changes)
    heading = escape(gettext("Changes from version %(number)s:", number=previous.number))
    entry.content(f"<p>{heading}</p><ul>{items}</ul>", type="html")


def _change_item(comparison) -> str:
    section = comparison.new or comparison.old
    text = escape(
        gettext(
            "%(section)s: %(change)s",
            section=section_label(section.number, comparison.title),
            change=CHANGE_WORDS[comparison.status],
        )
    )
    note = comparison.new.change_note_html if comparison.new is not None else None
    # change_note_html came out of text.render_comment: sanitised HTML, the only HTML put in unescaped.
    return f"<li>{text}{f'<div>{note}</div>' if note else ''}</li>"


def responses_feed(document: Document) -> bytes:
    """The published responses, newest first: each approved public comment with a disposition. An anonymous
    author is never named; a private comment is never listed."""
    feed = _feed(document, gettext("%(title)s: responses to comments", title=document.title), "reading.responses_feed")
    feed.subtitle(gettext("The drafting team’s responses to public comments on “%(title)s”.", title=document.title))
    published_at = document.responses_published_at
    comments = _published_responses(document) if published_at else []
    latest = max([published_at, *(comment.responded_at for comment in comments)]) if published_at else None
    feed.updated(latest or document.updated_at)
    current_keys = set(
        db.session.scalars(
            select(Section.key)
            .join(Version)
            .where(Version.document_id == document.id, Version.number == document.current_version_number)
        )
    )
    for comment in comments:
        _response_entry(feed.add_entry(order="append"), document, comment, current_keys)
    return feed.atom_str(pretty=True)


def _published_responses(document: Document) -> list[Comment]:
    return list(
        db.session.scalars(
            select(Comment)
            .where(
                Comment.document_id == document.id,
                Comment.status == CommentStatus.APPROVED.value,
                Comment.publication.in_(PUBLIC),
                Comment.disposition.is_not(None),
                Comment.responded_at.is_not(None),
            )
            .options(selectinload(Comment.author))
            .order_by(Comment.responded_at.desc(), Comment.id.desc())
            .limit(RESPONSES_MAX)
        )
    )


def _response_entry(entry, document: Document, comment: Comment, current_keys: set[str]) -> None:
    if comment.section_key in current_keys:
        page = links.external_url("reading.section", slug=document.slug, key=comment.section_key)
    else:  # the section is gone: its comments are shown under the whole document
        page = links.external_url("reading.document", slug=document.slug)
    entry.id(f"{page}#{comment.reference}")
    entry.link(href=f"{page}#{comment.reference}", rel="alternate", type="text/html")
    disposition = label("disposition", comment.disposition)
    entry.title(f"{comment.reference}: {disposition}")
    entry.updated(comment.responded_at)
    entry.published(comment.created_at)
    if comment.publication == Publication.PUBLIC_NAMED.value and comment.author is not None:
        entry.author({"name": comment.author.display_name})
    response = f"<p>{escape(comment.response)}</p>" if comment.response else ""
    # body_html came out of text.render_comment when the comment was written.
    decided = escape(gettext("Disposition: %(disposition)s", disposition=disposition))
    introduced = escape(gettext("The comment:"))
    entry.content(
        f"<p><strong>{decided}</strong></p>{response}<p>{introduced}</p><blockquote>{comment.body_html}</blockquote>",
        type="html",
    )
