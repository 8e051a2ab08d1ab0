"""The audit trail forgets staff accounts deleted before the trail learnt to.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Deleting an account now replaces the name and email in the labels of the moderation events it made with
"Deleted account" (services/moderation.py). Events of accounts deleted earlier still hold them in
`actor_label`, although their `actor_id` is already NULL: this clears them. Data only, no schema change;
the downgrade cannot bring the names back and leaves them as they are.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The labels of models/comment.py, written out: a migration must not change when the models do.
DELETED_ACCOUNT = "Deleted account"
COMMAND_LINE = "command line"


def upgrade():
    op.execute(
        sa.text(
            "UPDATE moderation_events SET actor_label = :deleted "
            "WHERE actor_id IS NULL AND actor_label NOT IN (:deleted, :command_line)"
        ).bindparams(deleted=DELETED_ACCOUNT, command_line=COMMAND_LINE)
    )


def downgrade():
    pass
