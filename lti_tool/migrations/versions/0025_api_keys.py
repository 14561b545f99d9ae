"""API keys for institutions' systems, and the record of every call made with one

Revision ID: 0025_api_keys
Revises: 0001_foundation
Create Date: 2026-12-07 08:45:00

``api_key`` holds each key's public prefix and the SHA-256 digest of its secret (never the secret),
its platform, scopes and times; ``api_key_use`` one row per call (kept for a retention period).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0025_api_keys"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["platform.id"], name=op.f("fk_api_key_platform_id_platform"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_key_prefix")),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_key_platform_id"), ["platform_id"], unique=False)
    op.create_table(
        "api_key_use",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"], ["api_key.id"], name=op.f("fk_api_key_use_key_id_api_key"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key_use")),
    )
    with op.batch_alter_table("api_key_use", schema=None) as batch_op:
        batch_op.create_index("ix_api_key_use_key_at", ["key_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_key_use_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_key_use", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_use_at"))
        batch_op.drop_index("ix_api_key_use_key_at")
    op.drop_table("api_key_use")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_platform_id"))
    op.drop_table("api_key")
