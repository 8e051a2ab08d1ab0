"""The worklist: who answers each comment, assignment in the audit trail, and full-text search.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

`comments.assignee_id`: the member of the drafting team who answers the comment (NULL: nobody), kept NULL
when that account is deleted. Moderation events gain the field "assignee". `ix_comments_created` serves the
worklist in age order.

Full-text search over a comment's text, quote and response uses each database's own engine, outside the
models (the names are listed in consult_app/models/search.py, which the schema comparison skips):
- PostgreSQL: a stored generated column `search_vector`, the tsvector of the text, quote and response
  (English configuration), with a GIN index. Stored rather than an expression index: a phrase search must
  recheck every candidate's word positions, which the index does not keep (1.2 s for a common phrase among
  200,000 comments when each tsvector is computed again, see bench/search.py);
- SQLite: an FTS5 table `comments_search` whose content is the comments table itself (external content),
  kept in step by three triggers. A later revision that makes SQLite copy the comments table (batch mode
  with anything but added columns and indexes) drops these triggers and must create them again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FIELDS_BEFORE = "'status', 'disposition', 'role'"
FIELDS_AFTER = "'status', 'disposition', 'role', 'assignee'"

# Written out here rather than imported: a migration must not change when the app does.
POSTGRES_SEARCH = [
    "ALTER TABLE comments ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('english'::regconfig, body_md || ' ' || quote || ' ' || response)) STORED",
    "CREATE INDEX ix_comments_search ON comments USING gin (search_vector)",
]
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE comments_search USING fts5(body_md, quote, response, content='comments', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER comments_search_insert AFTER INSERT ON comments BEGIN "
    "INSERT INTO comments_search (rowid, body_md, quote, response) "
    "VALUES (new.id, new.body_md, new.quote, new.response); END",
    "CREATE TRIGGER comments_search_delete AFTER DELETE ON comments BEGIN "
    "INSERT INTO comments_search (comments_search, rowid, body_md, quote, response) "
    "VALUES ('delete', old.id, old.body_md, old.quote, old.response); END",
    "CREATE TRIGGER comments_search_update AFTER UPDATE OF body_md, quote, response ON comments BEGIN "
    "INSERT INTO comments_search (comments_search, rowid, body_md, quote, response) "
    "VALUES ('delete', old.id, old.body_md, old.quote, old.response); "
    "INSERT INTO comments_search (rowid, body_md, quote, response) "
    "VALUES (new.id, new.body_md, new.quote, new.response); END",
    # Index the comments already there.
    "INSERT INTO comments_search (comments_search) VALUES ('rebuild')",
]
SQLITE_SEARCH_DROP = [
    "DROP TRIGGER IF EXISTS comments_search_insert",
    "DROP TRIGGER IF EXISTS comments_search_delete",
    "DROP TRIGGER IF EXISTS comments_search_update",
    "DROP TABLE IF EXISTS comments_search",
]


def upgrade():
    # On SQLite a foreign key means copying the table: done before the search triggers are attached to it.
    with op.batch_alter_table("comments") as batch_op:
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_comments_assignee_id_users"), "users", ["assignee_id"], ["id"], ondelete="SET NULL"
        )
    op.create_index("ix_comments_created", "comments", ["created_at", "id"])
    op.create_index("ix_comments_assignee", "comments", ["assignee_id", "disposition"])
    _event_fields(FIELDS_AFTER)
    for statement in POSTGRES_SEARCH if op.get_context().dialect.name == "postgresql" else SQLITE_SEARCH:
        op.execute(statement)


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_comments_search")
        op.execute("ALTER TABLE comments DROP COLUMN IF EXISTS search_vector")
    else:
        for statement in SQLITE_SEARCH_DROP:
            op.execute(statement)
    # The trail is append-only, but its assignment events cannot outlive the field they name.
    op.execute("DELETE FROM moderation_events WHERE field = 'assignee'")
    _event_fields(FIELDS_BEFORE)
    op.drop_index("ix_comments_assignee", table_name="comments")
    op.drop_index("ix_comments_created", table_name="comments")
    with op.batch_alter_table("comments") as batch_op:
        batch_op.drop_constraint(op.f("fk_comments_assignee_id_users"), type_="foreignkey")
        batch_op.drop_column("assignee_id")


def _event_fields(values: str) -> None:
    """Replace the CHECK constraint on moderation_events.field (SQLite: batch mode copies the table)."""
    with op.batch_alter_table("moderation_events") as batch_op:
        batch_op.drop_constraint(op.f("ck_moderation_events_field"), type_="check")
        batch_op.create_check_constraint(op.f("ck_moderation_events_field"), f"field IN ({values})")
