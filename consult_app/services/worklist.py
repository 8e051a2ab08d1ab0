"""The worklist: every comment in every status, filtered, searched, sorted and paged with keyset cursors.

A filter is read from the query string once (`WorklistFilter.from_args`, which refuses bad values with a
message) and written back into links (`to_args`), so a filtered list can be shared and the decision screen
can walk through it (`neighbours`). Pages are found from a cursor holding the sort key of the comment next
to it, as in the queue (services/moderation.py): no OFFSET, and comments changed meanwhile shift nothing.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Select, and_, case, func, select, tuple_
from sqlalchemy.orm import selectinload

from consult_app.extensions import db
from consult_app.labels import section_label
from consult_app.models import (
    Comment,
    CommentKind,
    CommentStatus,
    Disposition,
    Document,
    RespondentType,
    Section,
    User,
    Version,
)
from consult_app.models.comment import MAX_ID
from consult_app.models.document import KEY_MAX
from consult_app.models.theme import comment_themes
from consult_app.models.types import is_storable
from consult_app.services import search
from consult_app.services.moderation import COUNT_LIMIT, capped_count
from consult_app.text import html_to_text

PER_PAGE = 25
UNANSWERED = "none"  # the `disposition` filter value for "no disposition yet" (withdrawn comments excepted)
ME, NOBODY = "me", "none"  # `assignee` filter values besides an account's id
VALUE_MAX = 200  # characters of any filter value but `q`
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LAST = MAX_ID  # where comments on a section that the current version no longer has are sorted


class Sort(enum.StrEnum):
    AGE = "age"
    SECTION = "section"
    STATUS = "status"


SORT_LABELS = {Sort.AGE: _l("Oldest first"), Sort.SECTION: _l("By section"), Sort.STATUS: _l("By status")}


class FilterError(ValueError):
    """A filter, sort or page address that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class WorklistFilter:
    q: str = ""
    document: str = ""
    section: str = ""
    status: str = ""
    kind: str = ""
    respondent_type: str = ""
    country: str = ""
    disposition: str = ""
    theme: str = ""
    assignee: str = ""
    sort: str = Sort.AGE.value

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> WorklistFilter:
        """Read the filter from a query string; raise FilterError naming the first bad value."""
        values = {}
        for name in (f.name for f in fields(cls)):
            value = (args.get(name) or "").strip()
            if not is_storable(value):
                raise FilterError(
                    gettext("The “%(name)s” filter contains characters that cannot be searched for.", name=name)
                )
            if len(value) > (search.QUERY_MAX if name == "q" else VALUE_MAX):
                raise FilterError(gettext("The “%(name)s” filter is too long.", name=name))
            values[name] = value
        chosen = cls(**{**values, "sort": values["sort"] or Sort.AGE.value})
        chosen.check()
        return chosen

    def check(self) -> None:
        _one_of("status", self.status, CommentStatus)
        _one_of("kind", self.kind, CommentKind)
        _one_of("respondent_type", self.respondent_type, RespondentType)
        _one_of("sort", self.sort, Sort)
        if self.disposition and self.disposition != UNANSWERED:
            _one_of("disposition", self.disposition, Disposition)
        if self.assignee not in ("", ME, NOBODY) and parse_id(self.assignee) is None:
            raise FilterError(gettext("The “assignee” filter is “me”, “none” or the number of an account."))
        if self.theme and parse_id(self.theme) is None:
            raise FilterError(gettext("The “theme” filter is the number of a theme."))
        if len(self.section) > KEY_MAX:
            raise FilterError(gettext("The “%(name)s” filter is too long.", name="section"))
        if self.document and db.session.scalar(select(Document.id).where(Document.slug == self.document)) is None:
            raise FilterError(gettext("There is no document “%(slug)s”.", slug=self.document))
        try:
            search.parse(self.q)
        except search.SearchError as error:
            raise FilterError(str(error)) from None

    @classmethod
    def as_typed(cls, args: Mapping[str, str]) -> WorklistFilter:
        """The values as typed, unchecked, to show again in the form beside the message saying what is wrong."""
        typed = {f.name: (args.get(f.name) or "")[:VALUE_MAX].replace("\x00", "") for f in fields(cls)}
        return cls(**typed)

    def to_args(self) -> dict[str, str]:
        """The filter as query-string arguments, leaving out what is not set (and the default sort)."""
        return {k: v for k, v in asdict(self).items() if v and not (k == "sort" and v == Sort.AGE.value)}

    @property
    def is_filtered(self) -> bool:
        return bool({k for k in self.to_args() if k != "sort"})


def _one_of(name: str, value: str, allowed: type[enum.StrEnum]) -> None:
    if value and value not in set(allowed):
        known = ", ".join(member.value for member in allowed)
        raise FilterError(
            gettext(
                "Unknown %(name)s “%(value)s” (use one of: %(known)s).",
                name=name.replace("_", " "),
                value=value,
                known=known,
            )
        )


def parse_id(value: str) -> int | None:
    """The positive 32-bit number written in `value` (ASCII digits only), or None."""
    number = int(value) if value.isascii() and value.isdigit() and len(value) <= 10 else 0
    return number if 0 < number <= MAX_ID else None


# --- cursors and sort keys --------------------------------------------------------------------------------

CURSOR = re.compile(r"^\d{1,18}(-\d{1,18}){0,5}$", re.ASCII)


def _status_rank():
    return case({status.value: rank for rank, status in enumerate(CommentStatus)}, value=Comment.status, else_=9)


def _section_position():
    """The section's number in its document's current version; comments on removed sections come last."""
    current = (
        select(Section.number)
        .join(Version, Section.version_id == Version.id)
        .join(Document, Version.document_id == Document.id)
        .where(
            Version.document_id == Comment.document_id,
            Version.number == Document.current_version_number,
            Section.key == Comment.section_key,
        )
        .correlate(Comment)
        .scalar_subquery()
    )
    return func.coalesce(current, LAST)


def sort_key(sort: str) -> list:
    """The columns a sort orders by, ending with created_at and id so that every comment has one place."""
    middle = {Sort.AGE: [], Sort.SECTION: [Comment.document_id, _section_position()], Sort.STATUS: [_status_rank()]}
    return [*middle[Sort(sort)], Comment.created_at, Comment.id]


def parse_cursor(text_: str, sort: str, name: str) -> tuple:
    """The sort-key values written in a page address (`<int>-<int>-...`, times as microseconds since 1970)."""
    parts = text_.split("-") if CURSOR.match(text_) else []
    if len(parts) != len(sort_key(sort)):
        raise FilterError(_bad_address(name))
    numbers = [int(part) for part in parts]
    try:
        moment = EPOCH + timedelta(microseconds=numbers[-2])
    except OverflowError:
        raise FilterError(_bad_address(name)) from None
    return (*numbers[:-2], moment, numbers[-1])


def _bad_address(name: str) -> str:
    return gettext("The page address is not valid (its “%(part)s” part). Go back to the first page.", part=name)


def format_cursor(values: tuple) -> str:
    *head, moment, last = values
    return "-".join(str(v) for v in [*head, (moment - EPOCH) // timedelta(microseconds=1), last])


# --- the page ---------------------------------------------------------------------------------------------


@dataclass
class WorklistItem:
    comment: Comment
    section: str  # "9. Bias and fairness", or the key when the current version has no such section
    excerpt: Markup  # plain text, matches of the search in <mark>
    quote: Markup | None = None  # shown when the search matched in it
    response: Markup | None = None


@dataclass
class WorklistPage:
    items: list[WorklistItem]
    total: int  # at most COUNT_LIMIT + 1
    previous: str | None  # cursor for `before=`
    next: str | None  # cursor for `after=`

    @property
    def total_is_capped(self) -> bool:
        return self.total > COUNT_LIMIT


def statement(chosen: WorklistFilter, viewer: User, *, many: bool = False) -> Select:
    """The comments that `chosen` selects, unordered; `many`: the search matches many (search.matches)."""
    found = _filtered(chosen, viewer)
    in_age_order = many and chosen.sort == Sort.AGE
    return found.where(search.matches(search.parse(chosen.q), in_age_order=in_age_order)) if chosen.q else found


def count(chosen: WorklistFilter, viewer: User) -> int:
    """How many comments `chosen` selects, counting no further than COUNT_LIMIT + 1 (see search.counted)."""
    found = _filtered(chosen, viewer)
    if not chosen.q:
        return capped_count(found)
    alone = chosen.to_args().keys() <= {"q", "sort"}
    return capped_count(search.counted(found, search.parse(chosen.q), alone=alone))


def _filtered(chosen: WorklistFilter, viewer: User) -> Select:
    """The comments that every filter but the search selects."""
    found = select(Comment)
    if chosen.document:
        found = found.join(Document, Comment.document_id == Document.id).where(Document.slug == chosen.document)
    for name in ("section", "status", "kind"):
        value = getattr(chosen, name)
        if value:
            found = found.where(getattr(Comment, "section_key" if name == "section" else name) == value)
    if chosen.respondent_type or chosen.country:
        found = found.join(User, Comment.author_id == User.id)
        if chosen.respondent_type:
            found = found.where(User.respondent_type == chosen.respondent_type)
        if chosen.country:
            found = found.where(func.lower(User.country) == chosen.country.lower())
    if chosen.disposition:
        wanted = chosen.disposition
        # "No disposition yet": still to be answered, which a withdrawn comment never is (as the dashboard counts).
        unanswered = and_(Comment.disposition.is_(None), Comment.status != CommentStatus.WITHDRAWN.value)
        found = found.where(unanswered if wanted == UNANSWERED else Comment.disposition == wanted)
    if chosen.theme:
        tagged = select(comment_themes.c.comment_id).where(comment_themes.c.theme_id == int(chosen.theme))
        found = found.where(Comment.id.in_(tagged))
    if chosen.assignee:
        who = {ME: viewer.id, NOBODY: None}.get(chosen.assignee, parse_id(chosen.assignee))
        found = found.where(Comment.assignee_id.is_(None) if who is None else Comment.assignee_id == who)
    return found


def worklist_page(
    chosen: WorklistFilter, viewer: User, after: str | None = None, before: str | None = None
) -> WorklistPage:
    """One page of the worklist: after the cursor `after`, before `before`, or the first. Raise FilterError for
    a malformed cursor."""
    if after and before:
        raise FilterError(gettext("A page address has “after” or “before”, not both. Go back to the first page."))
    total = count(chosen, viewer)
    matching, key = statement(chosen, viewer, many=total > search.DENSE), sort_key(chosen.sort)
    position = tuple_(*key)
    if before:
        values = parse_cursor(before, chosen.sort, "before")
        rows = _rows(matching.where(position < tuple_(*values)), key, descending=True)
        if len(rows) <= PER_PAGE:  # back at the start: the first page, full
            return worklist_page(chosen, viewer)
        rows = rows[:PER_PAGE][::-1]
        has_previous, has_next = True, True
    elif after:
        values = parse_cursor(after, chosen.sort, "after")
        rows = _rows(matching.where(position > tuple_(*values)), key)
        has_previous, has_next = True, len(rows) > PER_PAGE
        rows = rows[:PER_PAGE]
    else:
        rows = _rows(matching, key)
        has_previous, has_next = False, len(rows) > PER_PAGE
        rows = rows[:PER_PAGE]
    return WorklistPage(
        items=_items([row[0] for row in rows], chosen),
        total=total,
        previous=(format_cursor(rows[0][1:]) if rows else after) if has_previous else None,
        next=format_cursor(rows[-1][1:]) if has_next and rows else None,
    )


def _rows(matching: Select, key: list, descending: bool = False) -> list:
    """Up to PER_PAGE + 1 (comment, *sort key values) rows in the sort's order."""
    order = [column.desc() for column in key] if descending else key
    found = matching.add_columns(*key).order_by(*order).limit(PER_PAGE + 1)
    found = found.options(selectinload(Comment.author), selectinload(Comment.document), selectinload(Comment.assignee))
    return [tuple(row) for row in db.session.execute(found)]


def neighbours(chosen: WorklistFilter, comment_id: int, viewer: User) -> tuple[int | None, int | None]:
    """The ids of the comments just before and just after `comment_id` in the worklist `chosen` (None at an end,
    or when there is no such comment)."""
    key = sort_key(chosen.sort)
    values = db.session.execute(select(*key).where(Comment.id == comment_id)).first()
    if values is None:
        return None, None
    matching = statement(chosen, viewer).with_only_columns(Comment.id)
    position, here = tuple_(*key), tuple_(*values)
    previous = db.session.scalar(matching.where(position < here).order_by(*(c.desc() for c in key)).limit(1))
    following = db.session.scalar(matching.where(position > here).order_by(*key).limit(1))
    return previous, following


def _items(comments: list[Comment], chosen: WorklistFilter) -> list[WorklistItem]:
    query = search.parse(chosen.q) if chosen.q else None
    labels = section_labels({(c.document_id, c.section_key) for c in comments})
    items = []
    for comment in comments:
        quote, response = comment.quote, comment.response
        items.append(
            WorklistItem(
                comment=comment,
                section=labels.get((comment.document_id, comment.section_key), comment.section_key),
                excerpt=search.highlight(html_to_text(comment.body_html), query),
                quote=search.highlight(quote, query) if quote and search.has_match(quote, query) else None,
                response=search.highlight(response, query) if response and search.has_match(response, query) else None,
            )
        )
    return items


def section_labels(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """ "9. Bias and fairness" for each (document id, section key) that the document's current version has."""
    if not pairs:
        return {}
    found = (
        select(Version.document_id, Section.key, Section.number, Section.title)
        .join(Version, Section.version_id == Version.id)
        .join(Document, and_(Version.document_id == Document.id, Version.number == Document.current_version_number))
        .where(tuple_(Version.document_id, Section.key).in_(list(pairs)))
    )
    return {(d, key): section_label(number, title) for d, key, number, title in db.session.execute(found)}
