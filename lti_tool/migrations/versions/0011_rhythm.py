"""rhythm: a programme's cadence, each live pair's followed rhythm, the writing scan's watermark

Revision ID: 0011_rhythm
Revises: 0006_profiles_matching
Create Date: 2026-12-07 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0011_rhythm"
down_revision = "0006_profiles_matching"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rhythm_cadence",
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("meet_every_days", sa.Integer(), nullable=False),
        sa.Column("write_every_days", sa.Integer(), nullable=False),
        sa.Column("phases", sa.JSON(), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_rhythm_cadence_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["user.id"],
            name=op.f("fk_rhythm_cadence_updated_by_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("programme_id", name=op.f("pk_rhythm_cadence")),
    )
    op.create_table(
        "rhythm_pair",
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("last_written_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_writer_user_id", sa.Integer(), nullable=True),
        sa.Column("awaiting_reply_since", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_since", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("episode_since", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalation", sa.Integer(), nullable=False),
        sa.Column("escalated_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("followed_up_until", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("evaluated_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_check_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["match_id"], ["match.id"], name=op.f("fk_rhythm_pair_match_id_match"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_rhythm_pair_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["last_writer_user_id"],
            ["user.id"],
            name=op.f("fk_rhythm_pair_last_writer_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("match_id", name=op.f("pk_rhythm_pair")),
    )
    with op.batch_alter_table("rhythm_pair", schema=None) as batch_op:
        batch_op.create_index("ix_rhythm_pair_programme_state", ["programme_id", "state"], unique=False)
    op.create_table(
        "rhythm_scan",
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("scanned_until", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("evaluated_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_rhythm_scan_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("programme_id", name=op.f("pk_rhythm_scan")),
    )


def downgrade() -> None:
    op.drop_table("rhythm_scan")
    with op.batch_alter_table("rhythm_pair", schema=None) as batch_op:
        batch_op.drop_index("ix_rhythm_pair_programme_state")
    op.drop_table("rhythm_pair")
    op.drop_table("rhythm_cadence")
