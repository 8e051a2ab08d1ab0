"""The full-text search objects that live beside the models rather than in them (made by revision 0009).

Neither database's search structure fits a SQLAlchemy model: PostgreSQL has a generated tsvector column with
a GIN index, which SQLite could not compute, and SQLite an FTS5 virtual table (with its shadow tables and
triggers), which PostgreSQL does not have. The models leave both out. The schema comparison
(`flask db check`, autogenerate, tests/functional/test_migrations.py) skips these names through
`is_model_object`, instead of proposing to drop them.
"""

from __future__ import annotations

# The FTS5 table on SQLite and the tables FTS5 keeps for it; the column and its GIN index on PostgreSQL.
SEARCH_TABLE = "comments_search"
SEARCH_TABLES = frozenset(
    {SEARCH_TABLE, *(f"{SEARCH_TABLE}_{suffix}" for suffix in ("data", "idx", "docsize", "config", "content"))}
)
SEARCH_INDEX = "ix_comments_search"
SEARCH_COLUMN = "search_vector"  # of the comments table


def is_model_object(name: str | None, type_: str, parent_names: dict | None = None) -> bool:
    """Alembic's `include_name` hook: False for the search objects above, True for everything else."""
    if type_ == "table":
        return name not in SEARCH_TABLES
    if type_ == "index":
        return name != SEARCH_INDEX
    if type_ == "column":
        return not (name == SEARCH_COLUMN and (parent_names or {}).get("table_name") == "comments")
    return True
