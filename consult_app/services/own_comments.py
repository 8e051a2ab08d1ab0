"""A reviewer's own comments as their account page lists them: each with its section and a plain-text excerpt."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, tuple_

from consult_app.extensions import db
from consult_app.models import Comment, Section
from consult_app.services.comments import own_comments
from consult_app.text import html_to_text

EXCERPT_LENGTH = 120


@dataclass(frozen=True)
class OwnComment:
    comment: Comment
    # The section in the version the comment was written on; None only if that version is gone.
    section: Section | None
    # The comment's text as it reads, never its Markdown source ("*who*" shows as "who").
    excerpt: str


def own_comment_rows(author) -> list[OwnComment]:
    """The author's comments, newest first, in two queries whatever their number."""
    found = own_comments(author)
    places = {(comment.version_id, comment.section_key) for comment in found}
    sections = {}
    if places:
        statement = select(Section).where(tuple_(Section.version_id, Section.key).in_(places))
        sections = {(section.version_id, section.key): section for section in db.session.scalars(statement)}
    return [
        OwnComment(comment, sections.get((comment.version_id, comment.section_key)), excerpt(comment.body_html))
        for comment in found
    ]


def excerpt(html: str, length: int = EXCERPT_LENGTH) -> str:
    """The first `length` characters of sanitised HTML as plain text, cut at a word, with "…" when cut."""
    text = html_to_text(html)
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
