"""About this consultation: who runs it, why, what becomes of the responses, what follows, its timeline.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Columns on documents, each with a server default ("" or an empty list), so the upgrade works on a database
that already has documents; the next `guidance load` fills them in from the front matter.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TEXT_COLUMNS = ("why", "how_responses_are_used", "what_happens_next")


def upgrade():
    with op.batch_alter_table("documents") as batch_op:
        batch_op.add_column(sa.Column("organiser", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("contact", sa.String(length=254), nullable=False, server_default=""))
        for name in TEXT_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("timeline", sa.JSON(), nullable=False, server_default="[]"))


def downgrade():
    with op.batch_alter_table("documents") as batch_op:
        for name in ("timeline", *reversed(TEXT_COLUMNS), "contact", "organiser"):
            batch_op.drop_column(name)
