"""Themes (a code frame per document) on comments, tagging in the audit trail, and the published summary.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

`themes`: a document's themes, two levels at most (`parent_id`); `name_key` is the case-folded name, unique
per document. `comment_themes`: which comment carries which theme, gone with either side. Moderation events
gain the field "themes" (a comment tagged or untagged). `documents.responses_published_at`: when the summary
of responses was published; NULL until then (a preview for staff only).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
# "assignee" came with revision 0009 (assignment of comments).
FIELDS_BEFORE = "'status', 'disposition', 'role', 'assignee'"  # as 0009 left it
FIELDS_AFTER = "'status', 'disposition', 'role', 'assignee', 'themes'"


def upgrade():
    op.create_table(
        "themes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_key", sa.String(length=320), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_themes_document_id_documents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["themes.id"], name=op.f("fk_themes_parent_id_themes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_themes")),
        sa.UniqueConstraint("document_id", "name_key", name=op.f("uq_themes_document_id_name_key")),
    )
    op.create_index(op.f("ix_themes_parent_id"), "themes", ["parent_id"])
    op.create_table(
        "comment_themes",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_comment_themes_comment_id_comments"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["themes.id"], name=op.f("fk_comment_themes_theme_id_themes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("comment_id", "theme_id", name=op.f("pk_comment_themes")),
    )
    op.create_index("ix_comment_themes_theme_id", "comment_themes", ["theme_id"])
    _event_fields(FIELDS_AFTER)
    with op.batch_alter_table("documents") as batch_op:
        batch_op.add_column(sa.Column("responses_published_at", Timestamp, nullable=True))


def downgrade():
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("responses_published_at")
    # The trail is append-only, but its tagging events cannot outlive the field they name.
    op.execute("DELETE FROM moderation_events WHERE field = 'themes'")
    _event_fields(FIELDS_BEFORE)
    op.drop_index("ix_comment_themes_theme_id", table_name="comment_themes")
    op.drop_table("comment_themes")
    op.drop_index(op.f("ix_themes_parent_id"), table_name="themes")
    op.drop_table("themes")


def _event_fields(values: str) -> None:
    """Replace the CHECK constraint on moderation_events.field (SQLite: batch mode copies the table)."""
    with op.batch_alter_table("moderation_events") as batch_op:
        batch_op.drop_constraint(op.f("ck_moderation_events_field"), type_="check")
        batch_op.create_check_constraint(op.f("ck_moderation_events_field"), f"field IN ({values})")
