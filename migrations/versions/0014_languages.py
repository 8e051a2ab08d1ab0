"""Languages: an account's interface language, the language a comment was written in, and translations.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

`users.language`: the interface language the account chose (NULL: none chosen). `comments.language`: the
interface language the comment was written in ("en" for every comment written before). `documents.language`
("en" for existing documents), `documents.translation_of` (the slug of the document a translation translates,
NULL for an original) and `documents.translation_partial` (some sections are not translated yet).
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("comments") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=False, server_default="en"))
    with op.batch_alter_table("documents") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=False, server_default="en"))
        batch_op.add_column(sa.Column("translation_of", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("translation_partial", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("translation_partial")
        batch_op.drop_column("translation_of")
        batch_op.drop_column("language")
    with op.batch_alter_table("comments") as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("language")
