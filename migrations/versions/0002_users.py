"""Accounts: reviewers, moderators and admins.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
RESPONDENT_TYPES = (
    "national_statistics_office",
    "other_government",
    "international_organisation",
    "academia_research",
    "private_sector",
    "civil_society",
    "individual",
)


def upgrade():
    respondent_types = ", ".join(f"'{value}'" for value in RESPONDENT_TYPES)
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("respondent_type", sa.String(length=40), nullable=False),
        sa.Column("country", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("session_token", sa.String(length=64), nullable=False),
        sa.Column("email_confirmed_at", Timestamp, nullable=True),
        sa.Column("privacy_accepted_at", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_login_at", Timestamp, nullable=True),
        sa.CheckConstraint(f"respondent_type IN ({respondent_types})", name=op.f("ck_users_respondent_type")),
        sa.CheckConstraint("role IN ('reviewer', 'moderator', 'admin')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("session_token", name=op.f("uq_users_session_token")),
    )


def downgrade():
    op.drop_table("users")
