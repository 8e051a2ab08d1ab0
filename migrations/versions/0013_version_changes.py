"""The next version from the web: where a version came from, per-section change notes, and an opt-out.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

`versions.origin` ("file" for `flask guidance load`, "web" for an upload at /admin/guidance; existing
versions came from files). `sections.change_note` and `change_note_html`: the drafting team's "changes made
in response to comments" for a section of a new version, NULL when none was written. `users.notify_changes`
(default true): whether a reviewer is mailed when a new version changes a section they commented on.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("versions") as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=10), nullable=False, server_default="file"))
    with op.batch_alter_table("sections") as batch_op:
        batch_op.add_column(sa.Column("change_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("change_note_html", sa.Text(), nullable=True))
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("notify_changes", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("notify_changes")
    with op.batch_alter_table("sections") as batch_op:
        batch_op.drop_column("change_note_html")
        batch_op.drop_column("change_note")
    with op.batch_alter_table("versions") as batch_op:
        batch_op.drop_column("origin")
