"""Comments on sections, and replies.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("section_key", sa.String(length=80), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("body_md", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("publication", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.CheckConstraint("kind IN ('general', 'suggestion', 'concern', 'support')", name=op.f("ck_comments_kind")),
        sa.CheckConstraint(
            "publication IN ('public_named', 'public_anonymous', 'private')", name=op.f("ck_comments_publication")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'withdrawn')", name=op.f("ck_comments_status")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_comments_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_comments_document_id_documents")),
        sa.ForeignKeyConstraint(["parent_id"], ["comments.id"], name=op.f("fk_comments_parent_id_comments")),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], name=op.f("fk_comments_version_id_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index("ix_comments_author", "comments", ["author_id", "created_at"])
    op.create_index("ix_comments_parent", "comments", ["parent_id"])
    op.create_index("ix_comments_section_status", "comments", ["document_id", "section_key", "status", "created_at"])
    op.create_index("ix_comments_status_created", "comments", ["status", "created_at", "id"])


def downgrade():
    op.drop_index("ix_comments_status_created", table_name="comments")
    op.drop_index("ix_comments_section_status", table_name="comments")
    op.drop_index("ix_comments_parent", table_name="comments")
    op.drop_index("ix_comments_author", table_name="comments")
    op.drop_table("comments")
