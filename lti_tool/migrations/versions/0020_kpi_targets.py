"""kpi targets: the figures a programme follows and their targets; daily snapshots for trends

Revision ID: 0020_kpi_targets
Revises: 0001_foundation
Create Date: 2026-12-07 05:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0020_kpi_targets"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("kpi", sa.String(length=64), nullable=False),
        sa.Column("target", sa.Double(), nullable=True),
        sa.Column(
            "direction",
            sa.Enum("AT_LEAST", "AT_MOST", name="direction", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_kpi_target_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["user.id"],
            name=op.f("fk_kpi_target_created_by_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["user.id"],
            name=op.f("fk_kpi_target_updated_by_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_target")),
        sa.UniqueConstraint("programme_id", "kpi", name=op.f("uq_kpi_target_programme_id_kpi")),
    )
    with op.batch_alter_table("kpi_target", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpi_target_programme_id"), ["programme_id"], unique=False)
    op.create_table(
        "kpi_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("kpi", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("backfilled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_kpi_snapshot_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_snapshot")),
        sa.UniqueConstraint("programme_id", "kpi", "day", name=op.f("uq_kpi_snapshot_programme_id_kpi_day")),
    )


def downgrade() -> None:
    op.drop_table("kpi_snapshot")
    with op.batch_alter_table("kpi_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpi_target_programme_id"))
    op.drop_table("kpi_target")
