"""Registration links: single-use, expiring invitations that make a dynamic registration active

Revision ID: 0008_platform_invites
Revises: 0007_kpi_indexes
Create Date: 2026-12-07 03:00:00

A dynamic registration now waits for an admin's approval unless it comes through a link the admin
made with 'lti-tool platform invite'; only a SHA-256 digest of the link's token is stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0008_platform_invites"
down_revision = "0007_kpi_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("expires_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("platform_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["platform.id"],
                                name=op.f("fk_platform_invite_platform_id_platform"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_invite")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_platform_invite_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("platform_invite")
