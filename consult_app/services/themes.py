"""Themes: each document's code frame, and tagging comments with it.

A theme belongs to one document and may have a parent theme of the same document that has none itself: two
levels at most. Names are trimmed, their inner white space collapsed, 1 to THEME_NAME_MAX characters, without
control characters or ";" (the response log separates the theme names of a comment with ";", so refusing it
in names is what lets that column round-trip without a quoting rule of its own), and unique per document
whatever their case (compared case-folded, see Theme.name_key).

Tagging a comment with a theme of another document is refused. Every change to a comment's themes is one
ModerationEvent (field "themes", to "tagged" or "untagged", the theme names in `reason`): the trail says who
coded what, as it does for decisions and dispositions. Functions only flush; the caller commits.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import format_decimal, gettext
from sqlalchemy import delete, func, insert, select

from consult_app.extensions import db
from consult_app.models import Comment, Document, Theme, User, comment_themes
from consult_app.models.theme import THEME_DESCRIPTION_MAX, THEME_NAME_MAX
from consult_app.models.types import is_storable
from consult_app.permissions import can_moderate
from consult_app.services.moderation import record_event

# The response log's separator between theme names; never part of a name.
SEPARATOR = ";"
# A code frame longer than this is no longer a frame: it also keeps every select box and table readable.
MAX_THEMES = 300
BATCH = 1000  # ids per IN (...)
TAGGED, UNTAGGED = "tagged", "untagged"


class ThemeError(ValueError):
    """A theme or tagging request that cannot be carried out; `status` is the HTTP status to answer with,
    `field` the form field it is about (if any)."""

    def __init__(self, message: str, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


# --- names --------------------------------------------------------------------------------------------------


def clean_name(raw: str | None) -> str:
    """The name as stored: NFC, trimmed, inner white space collapsed. Raises ThemeError when it is empty,
    too long, or holds a control character, ";" or text neither database can store."""
    if raw is not None and not is_storable(raw):
        # models.types.UNSTORABLE, in a whole sentence of the reader's language.
        raise ThemeError(
            gettext(
                "A theme name cannot contain the NUL character (U+0000) or a lone surrogate (bytes that are not UTF-8)."
            ),
            field="name",
        )
    name = " ".join(unicodedata.normalize("NFC", raw or "").split())
    if not name:
        raise ThemeError(gettext("Give the theme a name."), field="name")
    if len(name) > THEME_NAME_MAX:
        raise ThemeError(
            gettext(
                "A theme name has at most %(max)d characters (this one has %(count)s).",
                max=THEME_NAME_MAX,
                count=format_decimal(len(name)),
            ),
            field="name",
        )
    if any(unicodedata.category(character) in ("Cc", "Cf") for character in name):
        raise ThemeError(
            gettext("A theme name cannot contain control or invisible formatting characters."), field="name"
        )
    if SEPARATOR in name:
        raise ThemeError(
            gettext(
                "A theme name cannot contain “%(separator)s”: the response log separates theme names with it.",
                separator=SEPARATOR,
            ),
            field="name",
        )
    return name


def name_key(name: str) -> str:
    """What two names must not share within a document: "Data quality" and "DATA QUALITY" are one theme."""
    return unicodedata.normalize("NFC", " ".join(name.split())).casefold()


def _clean_description(raw: str | None) -> str:
    description = (raw or "").strip()
    if not is_storable(description):
        raise ThemeError(
            gettext(
                "A description cannot contain the NUL character (U+0000) or a lone surrogate "
                "(bytes that are not UTF-8)."
            ),
            field="description",
        )
    if len(description) > THEME_DESCRIPTION_MAX:
        raise ThemeError(
            gettext("A description has at most %(max)s characters.", max=format_decimal(THEME_DESCRIPTION_MAX)),
            field="description",
        )
    return description


# --- the code frame -----------------------------------------------------------------------------------------


def themes_for(document: Document) -> list[Theme]:
    """The document's themes in frame order: each top-level theme (by name) followed by its sub-themes."""
    themes = list(db.session.scalars(select(Theme).where(Theme.document_id == document.id).order_by(Theme.name_key)))
    children: dict[int, list[Theme]] = defaultdict(list)
    for theme in themes:
        if theme.parent_id is not None:
            children[theme.parent_id].append(theme)
    ordered = []
    for theme in themes:
        if theme.parent_id is None:
            ordered += [theme, *children[theme.id]]
    return ordered


def get_theme(document: Document, theme_id: int) -> Theme | None:
    theme = db.session.get(Theme, theme_id)
    return theme if theme is not None and theme.document_id == document.id else None


def find_by_names(document: Document, names: Iterable[str]) -> tuple[list[Theme], list[str]]:
    """The document's themes with these names (any case), and the names that match none."""
    wanted = {name_key(name): name for name in names if name.strip()}
    if not wanted:
        return [], []
    found = {
        theme.name_key: theme
        for theme in db.session.scalars(
            select(Theme).where(Theme.document_id == document.id, Theme.name_key.in_(list(wanted)))
        )
    }
    return [found[key] for key in wanted if key in found], [name for key, name in wanted.items() if key not in found]


def create_theme(
    actor: User, document: Document, name: str, description: str = "", parent_id: int | None = None
) -> Theme:
    """Add a theme to the document's frame. Raises ThemeError (403, 400 or 409)."""
    _check_actor(actor)
    name, description = clean_name(name), _clean_description(description)
    count = db.session.scalar(select(func.count(Theme.id)).where(Theme.document_id == document.id))
    if count >= MAX_THEMES:
        raise ThemeError(
            gettext("A document has at most %(max)d themes; merge some before adding more.", max=MAX_THEMES), 409
        )
    parent = _checked_parent(document, parent_id, None)
    _check_unique(document, name, None)
    theme = Theme(document_id=document.id, name=name, name_key=name_key(name), description=description)
    theme.parent_id = parent.id if parent else None
    db.session.add(theme)
    db.session.flush()
    return theme


def update_theme(actor: User, theme: Theme, name: str, description: str = "", parent_id: int | None = None) -> bool:
    """Rename, redescribe or move a theme (tags stay). Returns False when nothing changed. Raises ThemeError."""
    _check_actor(actor)
    name, description = clean_name(name), _clean_description(description)
    parent = _checked_parent(theme.document, parent_id, theme)
    new_parent_id = parent.id if parent else None
    if (theme.name, theme.description, theme.parent_id) == (name, description, new_parent_id):
        return False
    _check_unique(theme.document, name, theme)
    theme.name, theme.name_key, theme.description, theme.parent_id = name, name_key(name), description, new_parent_id
    db.session.flush()
    return True


def delete_theme(actor: User, theme: Theme) -> int:
    """Delete a theme, untagging its comments (each untagging is an event). A theme with sub-themes is refused:
    they would lose their place in the frame. Returns how many comments were untagged."""
    _check_actor(actor)
    if theme.children:
        names = ", ".join(f"“{child.name}”" for child in theme.children)
        raise ThemeError(
            gettext(
                "“%(name)s” has sub-themes (%(children)s): delete or move them first.", name=theme.name, children=names
            ),
            409,
        )
    tagged = select(comment_themes.c.comment_id).where(comment_themes.c.theme_id == theme.id)
    comments = list(db.session.scalars(select(Comment).where(Comment.id.in_(tagged))))
    for comment in comments:
        record_event(actor, "themes", None, UNTAGGED, f"{theme.name} (theme deleted)", comment=comment)
    db.session.execute(delete(comment_themes).where(comment_themes.c.theme_id == theme.id))
    db.session.delete(theme)
    db.session.flush()
    return len(comments)


def _check_actor(actor: User) -> None:
    if not can_moderate(actor):
        raise ThemeError(gettext("Only moderators manage themes."), 403)


def _checked_parent(document: Document, parent_id: int | None, theme: Theme | None) -> Theme | None:
    """The parent to put `theme` (None: a new theme) under, keeping the frame two levels deep."""
    if parent_id is None:
        return None
    parent = get_theme(document, parent_id)
    if parent is None:
        raise ThemeError(gettext("The parent theme is not one of this document's themes."), field="parent_id")
    if parent.parent_id is not None:
        raise ThemeError(
            gettext("“%(name)s” is itself a sub-theme: themes have two levels at most.", name=parent.name),
            field="parent_id",
        )
    if theme is not None and parent.id == theme.id:
        raise ThemeError(gettext("A theme cannot be its own parent."), field="parent_id")
    if theme is not None and theme.children:
        raise ThemeError(
            gettext("“%(name)s” has sub-themes, so it stays at the top level.", name=theme.name), field="parent_id"
        )
    return parent


def _check_unique(document: Document, name: str, theme: Theme | None) -> None:
    statement = select(Theme).where(Theme.document_id == document.id, Theme.name_key == name_key(name))
    clash = db.session.scalar(statement)
    if clash is not None and clash is not theme:
        raise ThemeError(
            gettext("This document already has a theme called “%(name)s”.", name=clash.name), 409, field="name"
        )


# --- tagging ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagResult:
    comments: int  # how many comments gained (tag) or lost (untag) at least one theme
    pairs: int  # how many (comment, theme) pairs were added or removed


def tag(comment_ids: Sequence[int], theme_ids: Sequence[int], actor: User) -> TagResult:
    """Tag every comment with every theme, all or nothing. Raises ThemeError: 403 for a non-moderator, 404 for
    a comment or theme that does not exist, 400 when a theme belongs to another document than a comment."""
    comments, themes = _checked_request(comment_ids, theme_ids, actor)
    have = _pairs([comment.id for comment in comments])
    added: dict[Comment, list[Theme]] = {}
    for comment in comments:
        new = [theme for theme in themes if theme.id not in have[comment.id]]
        if new:
            added[comment] = new
    rows = [{"comment_id": comment.id, "theme_id": theme.id} for comment, new in added.items() for theme in new]
    if rows:
        db.session.execute(insert(comment_themes), rows)
    for comment, new in added.items():
        record_event(actor, "themes", None, TAGGED, _names(new), comment=comment)
    db.session.flush()
    return TagResult(len(added), len(rows))


def untag(comment_ids: Sequence[int], theme_ids: Sequence[int], actor: User) -> TagResult:
    """Remove the themes from the comments, all or nothing; the same checks as tag()."""
    comments, themes = _checked_request(comment_ids, theme_ids, actor)
    have = _pairs([comment.id for comment in comments])
    removed: dict[Comment, list[Theme]] = {}
    for comment in comments:
        gone = [theme for theme in themes if theme.id in have[comment.id]]
        if gone:
            removed[comment] = gone
    for comment, gone in removed.items():
        db.session.execute(
            delete(comment_themes).where(
                comment_themes.c.comment_id == comment.id, comment_themes.c.theme_id.in_([t.id for t in gone])
            )
        )
        record_event(actor, "themes", None, UNTAGGED, _names(gone), comment=comment)
    db.session.flush()
    return TagResult(len(removed), sum(len(gone) for gone in removed.values()))


def set_themes(comment: Comment, theme_ids: Iterable[int], actor: User) -> bool:
    """Make `theme_ids` exactly the comment's themes (the decision screen's checkboxes, an imported cell).
    Returns False when they already were. Raises ThemeError as tag() does."""
    wanted = set(theme_ids)
    current = _pairs([comment.id])[comment.id]
    changed = False
    if wanted - current:
        changed |= tag([comment.id], sorted(wanted - current), actor).pairs > 0
    if current - wanted:
        changed |= untag([comment.id], sorted(current - wanted), actor).pairs > 0
    return changed


def themes_of(comment_ids: Sequence[int]) -> dict[int, list[Theme]]:
    """Each comment's themes, by name; comments without themes are missing from the answer."""
    result: dict[int, list[Theme]] = defaultdict(list)
    for start in range(0, len(comment_ids), BATCH):
        statement = (
            select(comment_themes.c.comment_id, Theme)
            .join(Theme, Theme.id == comment_themes.c.theme_id)
            .where(comment_themes.c.comment_id.in_(comment_ids[start : start + BATCH]))
            .order_by(Theme.name_key)
        )
        for comment_id, theme in db.session.execute(statement):
            result[comment_id].append(theme)
    return dict(result)


def _checked_request(comment_ids: Sequence[int], theme_ids: Sequence[int], actor: User):
    if not can_moderate(actor):
        raise ThemeError(gettext("Only moderators tag comments."), 403)
    comment_ids, theme_ids = list(dict.fromkeys(comment_ids)), list(dict.fromkeys(theme_ids))
    if not comment_ids:
        raise ThemeError(gettext("Select at least one comment."))
    if not theme_ids:
        raise ThemeError(gettext("Choose at least one theme."))
    comments = _fetch(Comment, comment_ids, "comment")
    themes = _fetch(Theme, theme_ids, "theme")
    for comment in comments:
        foreign = [theme for theme in themes if theme.document_id != comment.document_id]
        if foreign:
            raise ThemeError(
                gettext(
                    "Nothing was tagged: %(reference)s is a comment on “%(document)s”, and the theme “%(theme)s” "
                    "belongs to another document.",
                    reference=comment.reference,
                    document=comment.document.title,
                    theme=foreign[0].name,
                )
            )
    return comments, themes


def _fetch(model, ids: list[int], what: str) -> list:
    found = {}
    for start in range(0, len(ids), BATCH):
        found.update(
            (row.id, row) for row in db.session.scalars(select(model).where(model.id.in_(ids[start : start + BATCH])))
        )
    missing = [item for item in ids if item not in found]
    if missing:
        if model is Comment:
            message = gettext(
                "Nothing was tagged: there is no comment %(reference)s.", reference=Comment.reference_of(missing[0])
            )
        else:
            message = gettext("Nothing was tagged: there is no theme number %(number)d.", number=missing[0])
        raise ThemeError(message, 404)
    return [found[item] for item in ids]


def _pairs(comment_ids: list[int]) -> dict[int, set[int]]:
    have: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(comment_ids), BATCH):
        statement = select(comment_themes.c.comment_id, comment_themes.c.theme_id).where(
            comment_themes.c.comment_id.in_(comment_ids[start : start + BATCH])
        )
        for comment_id, theme_id in db.session.execute(statement):
            have[comment_id].add(theme_id)
    return have


def _names(themes: Iterable[Theme]) -> str:
    return f"{SEPARATOR} ".join(sorted((theme.name for theme in themes), key=str.casefold))
