"""Near-duplicate comments: groups, each comment's signature and its MinHash LSH band hashes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

Three new tables, no change to existing ones. Comments already in the database have no signature yet:
`flask --app wsgi comments similar` compares them (services/similarity.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "similar_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_similar_groups_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_similar_groups")),
    )
    op.create_index("ix_similar_groups_document", "similar_groups", ["document_id"])
    op.create_table(
        "comment_signatures",
        sa.Column("comment_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("shingles", sa.Integer(), nullable=False),
        sa.Column("compared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_comment_signatures_comment_id_comments"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_comment_signatures_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["similar_groups.id"],
            name=op.f("fk_comment_signatures_group_id_similar_groups"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("comment_id", name=op.f("pk_comment_signatures")),
    )
    op.create_index("ix_comment_signatures_group", "comment_signatures", ["group_id", "comment_id"])
    op.create_index("ix_comment_signatures_document", "comment_signatures", ["document_id", "comment_id"])
    op.create_table(
        "comment_bands",
        sa.Column("comment_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("band", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment_signatures.comment_id"],
            name=op.f("fk_comment_bands_comment_id_comment_signatures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_comment_bands_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("comment_id", "band", name=op.f("pk_comment_bands")),
    )
    op.create_index("ix_comment_bands_lookup", "comment_bands", ["document_id", "band", "hash", "comment_id"])


def downgrade():
    op.drop_index("ix_comment_bands_lookup", table_name="comment_bands")
    op.drop_table("comment_bands")
    op.drop_index("ix_comment_signatures_document", table_name="comment_signatures")
    op.drop_index("ix_comment_signatures_group", table_name="comment_signatures")
    op.drop_table("comment_signatures")
    op.drop_index("ix_similar_groups_document", table_name="similar_groups")
    op.drop_table("similar_groups")
