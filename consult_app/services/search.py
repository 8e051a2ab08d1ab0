"""Full-text search over comments (text, quoted passage and response) with each database's own engine.

People type the web-search syntax they know: words (all must appear), "quoted phrases", `or` between two
alternatives, and `-word` or `-"a phrase"` to exclude. `parse` reads that into a small tree that both
databases then answer the same way:

- PostgreSQL: every word or phrase becomes `websearch_to_tsquery('english', ...)`, combined with the tsquery
  operators `&&`, `||` and `!!` and matched against the stored tsvector of revision 0009 (GIN index);
- SQLite: every word or phrase becomes an FTS5 phrase query ("double-quoted", so nothing the user typed is
  read as an FTS5 operator) on the `comments_search` table, combined with SQL AND, OR and NOT.

Both stem English words (PostgreSQL's english configuration, FTS5's porter tokenizer), so "fairness" also
finds "fair". Matches are highlighted in Python (`highlight`) over plain text, the same on both databases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext
from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Select, and_, column, func, literal_column, not_, or_, select, table, text, true

from consult_app.extensions import db
from consult_app.models import Comment
from consult_app.models.search import SEARCH_COLUMN, SEARCH_TABLE

QUERY_MAX = 500  # characters
TERMS_MAX = 32  # words and phrases
# PostgreSQL's stored tsvector of the text, quote and response, with its GIN index (revision 0009).
POSTGRES_DOCUMENT = literal_column(f"comments.{SEARCH_COLUMN}")
ENGLISH = literal_column("'english'::regconfig")

WORD = re.compile(r"\w+", re.UNICODE)
# A token: an optionally negated "quoted phrase" (the closing quote may be missing), or a run of non-spaces.
TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


class SearchError(ValueError):
    """A search that cannot be run; the message says why, for the person who typed it."""


@dataclass(frozen=True)
class Term:
    """A word, or a phrase of several words in this order; `excluded` for `-word`."""

    words: tuple[str, ...]
    excluded: bool = False


@dataclass(frozen=True)
class Query:
    """All of `groups` must match; a group matches when any of its terms does."""

    groups: tuple[tuple[Term, ...], ...]

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def wanted(self) -> list[Term]:
        """The terms that are looked for (not excluded): what the results highlight."""
        return [term for group in self.groups for term in group if not term.excluded]


def parse(text_: str) -> Query:
    """Read the web-search syntax; raise SearchError for a query too long or with too many terms.

    Punctuation other than quotes and a leading minus is ignored, as both engines' tokenizers ignore it;
    a token with no word in it (`***`, `-`) is dropped; `or` at either end or twice in a row is dropped.
    """
    if len(text_) > QUERY_MAX:
        raise SearchError(gettext("The search text is longer than %(max)d characters.", max=QUERY_MAX))
    groups: list[list[Term]] = []
    join_next = False
    for match in TOKEN.finditer(text_):
        negated, phrase, bare = match.groups()
        if bare is not None and bare.lower() == "or":
            join_next = bool(groups)
            continue
        if bare is not None:
            negated, phrase = ("-", bare[1:]) if bare.startswith("-") else ("", bare)
        words = tuple(word.lower() for word in WORD.findall(phrase))
        if not words:
            continue
        term = Term(words, excluded=bool(negated))
        if join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    if sum(len(group) for group in groups) > TERMS_MAX:
        raise SearchError(gettext("Use at most %(max)d words or phrases in a search.", max=TERMS_MAX))
    return Query(tuple(tuple(group) for group in groups))


# Past this many matches, the first page in age order is found sooner by reading the comments in that order and
# keeping the matching ones than by collecting every match and sorting them (see `matches`).
DENSE = 2_000


def matches(query: Query, *, in_age_order: bool = False) -> ColumnElement[bool]:
    """A condition on Comment that holds for the comments matching `query` (everything for an empty query), for
    a page of them.

    `in_age_order`: the page shows the matches oldest first and the caller knows that there are many (more
    than DENSE). The database then reads the comments in that order (ix_comments_created) and keeps the
    matching ones: SQLite takes 22 ms rather than 83 of processor time for 75,000 matches of 200,000.
    Otherwise the matches are collected first and then sorted, much faster for a few: PostgreSQL left to itself
    may read every comment in age order looking for 26 matches that are not there (a full scan; 15 s at
    200,000 comments before the tsvector was stored), so it collects them from the GIN index in a MATERIALIZED
    common table expression, which the planner cannot fold into the ordered scan."""
    if query.is_empty:
        return true()
    if db.engine.dialect.name == "postgresql":
        if in_age_order:
            return _postgres_matches(query)
        matching = select(Comment.id).where(_postgres_matches(query)).cte("search_matches")
        return Comment.id.in_(select(matching.prefix_with("MATERIALIZED").c.id))
    # "+comments.id" is SQLite's way of saying "not by this index" (here: do not look each match up by its id),
    # which leaves ix_comments_created to read the comments in order.
    return _sqlite_matches(query, literal_column("+comments.id") if in_age_order else Comment.id)


def counted(statement: Select, query: Query, *, alone: bool) -> Select:
    """`statement` narrowed to the comments matching `query`, for counting them (moderation.capped_count stops
    at COUNT_LIMIT + 1). `alone`: `statement` has no other condition.

    PostgreSQL counts from its GIN index's bitmap, stopping at the limit, whatever else is asked. On SQLite a
    search alone, when FTS5 can answer all of it, joins the search table so that its matches drive the count
    and it stops at the limit, rather than first collecting every match (6 ms rather than 25 of processor time
    for 75,000 matches); beside other conditions SQLite could start from those and ask FTS5 about each comment
    in turn (seconds), so the matches are collected first."""
    if query.is_empty:
        return statement
    if db.engine.dialect.name == "postgresql":
        return statement.where(_postgres_matches(query))
    expression = _fts5_expression(query) if alone else None
    if expression is None:
        return statement.where(_sqlite_matches(query, Comment.id))
    found = table(SEARCH_TABLE, column("rowid"))
    return statement.join(found, found.c.rowid == Comment.id).where(_fts5_match(expression))


def _postgres_matches(query: Query) -> ColumnElement[bool]:
    return POSTGRES_DOCUMENT.op("@@")(_tsquery(query))


def _sqlite_matches(query: Query, comment_id) -> ColumnElement[bool]:
    expression = _fts5_expression(query)
    if expression is not None:
        return comment_id.in_(_fts5_rowids(expression))
    return and_(*(or_(*(_fts5_term(term, comment_id) for term in group)) for group in query.groups))


def _tsquery(query: Query):
    """One tsquery for the whole query, so that PostgreSQL answers it with one scan of the GIN index.
    tsquery_and, tsquery_or and tsquery_not are the functions behind the operators &&, || and !!."""
    combined = None
    for group in query.groups:
        alternatives = None
        for term in group:
            # The words are \w+ only, so the quotes added here are the only syntax websearch_to_tsquery sees.
            part = func.websearch_to_tsquery(ENGLISH, '"' + " ".join(term.words) + '"')
            if term.excluded:
                part = func.tsquery_not(part)
            alternatives = part if alternatives is None else func.tsquery_or(alternatives, part)
        combined = alternatives if combined is None else func.tsquery_and(combined, alternatives)
    return combined


def _fts5_phrase(term: Term) -> str:
    # Double-quoted words: FTS5 reads nothing inside as an operator, and \w+ has no quotes.
    return '"' + " ".join(term.words) + '"'


def _fts5_expression(query: Query) -> str | None:
    """The whole query as one FTS5 expression, which FTS5 answers from its index in one go, when FTS5 can say
    it: some group of wanted terms, and exclusions only on their own (FTS5's NOT needs something on its left).
    None otherwise ("-a", "a or -b"): then each term is looked up on its own and combined in SQL."""
    wanted = [group for group in query.groups if not any(term.excluded for term in group)]
    unwanted = [group[0] for group in query.groups if len(group) == 1 and group[0].excluded]
    if not wanted or len(wanted) + len(unwanted) != len(query.groups):
        return None
    expression = " AND ".join("(" + " OR ".join(_fts5_phrase(term) for term in group) + ")" for group in wanted)
    return "".join([expression, *(f" NOT {_fts5_phrase(term)}" for term in unwanted)])


def _fts5_match(expression: str) -> ColumnElement[bool]:
    return literal_column(SEARCH_TABLE).op("MATCH")(expression)


def _fts5_rowids(expression: str) -> Select:
    return select(literal_column("rowid")).select_from(text(SEARCH_TABLE)).where(_fts5_match(expression))


def _fts5_term(term: Term, comment_id) -> ColumnElement[bool]:
    found = comment_id.in_(_fts5_rowids(_fts5_phrase(term)))
    return not_(found) if term.excluded else found


# --- highlighting -----------------------------------------------------------------------------------------

SNIPPET = 300  # characters of a comment shown in a list
# Endings taken off before comparing a word of the text with a word searched for: close to what the engines'
# English stemmers do, for showing where the matches are (what matches is decided by the database).
SUFFIXES = ("ational", "ations", "ation", "ness", "ment", "ings", "ing", "edly", "ed", "ly", "ies", "es", "s")


def stem(word: str) -> str:
    word = word.lower()
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def highlight(plain: str, query: Query | None, limit: int = SNIPPET) -> Markup:
    """`plain` escaped, with the words that match `query` in <mark>, cut to about `limit` characters around
    the first match (with "…" where text was left out)."""
    stems = {stem(word) for term in (query.wanted if query else []) for word in term.words}
    spans = [m.span() for m in WORD.finditer(plain) if stems and stem(m.group()) in stems]
    start = 0
    if len(plain) > limit and spans and spans[0][0] > limit // 3:
        start = spans[0][0] - limit // 3
    end = min(len(plain), start + limit)
    pieces: list[str | Markup] = ["…" if start else ""]
    position = start
    for first, last in spans:
        if first < start or last > end:
            continue
        pieces += [plain[position:first], Markup("<mark>%s</mark>") % plain[first:last]]
        position = last
    pieces += [plain[position:end], "…" if end < len(plain) else ""]
    return Markup("").join(escape(piece) for piece in pieces)


def has_match(plain: str, query: Query | None) -> bool:
    """Whether any word of `plain` is one `query` looks for (to show a quote or response only when it matched)."""
    stems = {stem(word) for term in (query.wanted if query else []) for word in term.words}
    return any(stem(word) in stems for word in WORD.findall(plain))
