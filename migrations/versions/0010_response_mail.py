"""Telling authors about the drafting team's response: an opt-out per account, and a "mail due" time per comment.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

`users.notify_responses` (default true: everyone who has an account hears about the answer to what they
wrote, until they turn it off on the account page). `comments.response_mail_due_at`: set when a comment's
disposition or response changes in a way its author should hear about, cleared when the mail worker has
queued the author's digest (services/response_mail.py); indexed for the worker's question "which are due?".
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("notify_responses", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("comments") as batch_op:
        batch_op.add_column(sa.Column("response_mail_due_at", Timestamp, nullable=True))
        batch_op.create_index("ix_comments_response_mail_due", ["response_mail_due_at"])


def downgrade():
    with op.batch_alter_table("comments") as batch_op:
        batch_op.drop_index("ix_comments_response_mail_due")
        batch_op.drop_column("response_mail_due_at")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("notify_responses")
