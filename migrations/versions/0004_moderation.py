"""Moderation decisions, the drafting team's dispositions, and the append-only audit trail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

The new text columns get a server default so the upgrade works on a database that already has comments.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
REASONS = "'off_topic', 'abusive', 'spam', 'personal_data', 'duplicate', 'other'"
DISPOSITIONS = "'accepted', 'partially_accepted', 'noted', 'not_accepted', 'out_of_scope'"


def upgrade():
    op.create_table(
        "moderation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("from_value", sa.String(length=30), nullable=True),
        sa.Column("to_value", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.CheckConstraint("field IN ('status', 'disposition', 'role')", name=op.f("ck_moderation_events_field")),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_moderation_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], name=op.f("fk_moderation_events_comment_id_comments")),
        sa.ForeignKeyConstraint(
            ["subject_user_id"],
            ["users.id"],
            name=op.f("fk_moderation_events_subject_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_events")),
    )
    op.create_index("ix_moderation_events_comment", "moderation_events", ["comment_id", "created_at"])
    op.create_index("ix_moderation_events_created", "moderation_events", ["created_at"])

    with op.batch_alter_table("comments") as batch_op:
        batch_op.add_column(sa.Column("moderated_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("moderated_at", Timestamp, nullable=True))
        batch_op.add_column(sa.Column("moderation_reason", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("moderation_note", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("disposition", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("response", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("responded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("responded_at", Timestamp, nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_comments_moderated_by_id_users"), "users", ["moderated_by_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            op.f("fk_comments_responded_by_id_users"), "users", ["responded_by_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_check_constraint(op.f("ck_comments_moderation_reason"), f"moderation_reason IN ({REASONS})")
        batch_op.create_check_constraint(op.f("ck_comments_disposition"), f"disposition IN ({DISPOSITIONS})")


def downgrade():
    with op.batch_alter_table("comments") as batch_op:
        batch_op.drop_constraint(op.f("ck_comments_disposition"), type_="check")
        batch_op.drop_constraint(op.f("ck_comments_moderation_reason"), type_="check")
        batch_op.drop_constraint(op.f("fk_comments_responded_by_id_users"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_comments_moderated_by_id_users"), type_="foreignkey")
        for column in ("responded_at", "responded_by_id", "response", "disposition", "moderation_note",
                       "moderation_reason", "moderated_at", "moderated_by_id"):  # fmt: skip
            batch_op.drop_column(column)
    op.drop_index("ix_moderation_events_created", table_name="moderation_events")
    op.drop_index("ix_moderation_events_comment", table_name="moderation_events")
    op.drop_table("moderation_events")
