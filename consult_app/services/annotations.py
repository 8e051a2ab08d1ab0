"""Margin annotations: a section's text cut into blocks, each with the published comments that quote it.

A comment belongs beside a block (paragraph, list, table, heading ...) when its quoted passage is in that block's
text, compared as readers see it (whitespace collapsed, block elements separating words); the first such block
takes it. A quote that crosses blocks, or that is no longer in the text (written on an older version), places
the comment nowhere: it stays in the section's list under the text. Only approved public comments are placed
(the margin count is theirs); replies go with the comment they answer.

The blocks are verbatim slices of the stored sanitised HTML (text.split_blocks), with the quoted passages marked
by text.mark_passage, so the page needs no second renderer and nothing here can add markup of its own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consult_app.extensions import db
from consult_app.models import Comment, CommentStatus, Document, Version
from consult_app.services.comments import Thread, published
from consult_app.text import html_to_text, mark_passage, split_blocks


@dataclass
class Block:
    number: int  # 1, 2, ... within the section
    html: str  # sanitised HTML, quoted passages marked
    text: str  # readable text, whitespace collapsed ("" for a rule)
    threads: list[Thread] = field(default_factory=list)

    @property
    def is_heading(self) -> bool:
        """A subheading: it may be quoted, but "Comment on this paragraph" is for the text under it."""
        return self.html[:3] in ("<h3", "<h4", "<h5", "<h6")

    @property
    def count(self) -> int:
        """The margin's number: approved public comments quoting a passage in this block (not their replies)."""
        return len(self.threads)


@dataclass
class AnnotatedSection:
    blocks: list[Block]
    unplaced: list[Thread]  # everything the viewer may see that no block took, in the given order

    @property
    def placed_count(self) -> int:
        return sum(block.count for block in self.blocks)


def annotate(html: str, threads: list[Thread]) -> AnnotatedSection:
    """Cut a section's sanitised HTML into blocks and place each thread whose comment is approved, public and
    quotes a passage of one block beside that block; the others (unquoted, pending, private, or quoting across
    blocks) come back in `unplaced`, in their order."""
    blocks = [Block(number, piece, html_to_text(piece)) for number, piece in enumerate(split_blocks(html), 1)]
    unplaced: list[Thread] = []
    for thread in threads:
        block = _block_quoted(blocks, thread.comment) if _placeable(thread.comment) else None
        if block is None:
            unplaced.append(thread)
        else:
            block.threads.append(thread)
    for block in blocks:
        for thread in block.threads:
            block.html = mark_passage(block.html, thread.comment.quote)
    return AnnotatedSection(blocks, unplaced)


def _placeable(comment: Comment) -> bool:
    return comment.status == CommentStatus.APPROVED.value and comment.is_public and bool(comment.quote)


def _block_quoted(blocks: list[Block], comment: Comment) -> Block | None:
    quote = " ".join(comment.quote.split())
    return next((block for block in blocks if quote in block.text), None)


def annotate_version(document: Document, version: Version) -> dict[str, AnnotatedSection]:
    """Every section of `version` annotated with the published comments of `document` (the whole-document page,
    the same for every viewer), in one query."""
    by_key = published_threads(document)
    return {section.key: annotate(section.html, by_key.get(section.key, [])) for section in version.sections}


def published_threads(document: Document) -> dict[str, list[Thread]]:
    """The approved public comments of `document` per section key, oldest first, replies under their comment."""
    statement = (
        select(Comment)
        .where(Comment.document_id == document.id, published())
        .options(selectinload(Comment.author), selectinload(Comment.version))
        .order_by(Comment.created_at, Comment.id)
    )
    found = list(db.session.scalars(statement))
    threads = {comment.id: Thread(comment) for comment in found if comment.parent_id is None}
    by_key: dict[str, list[Thread]] = defaultdict(list)
    for comment in found:
        if comment.parent_id is None:
            by_key[comment.section_key].append(threads[comment.id])
        elif comment.parent_id in threads:
            threads[comment.parent_id].replies.append(comment)
    return by_key
