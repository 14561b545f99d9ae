"""match lifecycle: planned end, mid-point and end notices, closing proposals, reflections

Revision ID: 0010_match_lifecycle
Revises: 0006_profiles_matching
Create Date: 2026-12-07 05:30:00

A match gets its own planned end, the moments its mid-point check-in and its programme-end notice
were sent (each once), and a member's pending proposal to close it; ``match_reflection`` keeps
what members write at the mid-point and at the close. End reasons gain ``programme_ended`` and
``withdrawn`` (the column is a plain string: no schema change).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0010_match_lifecycle"
down_revision = "0006_profiles_matching"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned_end_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("midpoint_sent_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("end_notice_sent_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("planned_end_sent_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("closure_proposed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("closure_proposed_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "closure_reason",
                sa.Enum(
                    "GOALS_MET",
                    "TIME_UP",
                    "NOT_NEEDED",
                    "OTHER",
                    name="closurereason",
                    native_enum=False,
                    length=16,
                ),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_match_closure_proposed_by_id_participant"),
            "participant",
            ["closure_proposed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "match_reflection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("MIDPOINT", "CLOSING", name="reflectionkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "feeling",
            sa.Enum("WELL", "MIXED", "HARD", name="feeling", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_html", sa.Text(), nullable=False),
        sa.Column("updated_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"], ["match.id"], name=op.f("fk_match_reflection_match_id_match"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_match_reflection_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_reflection")),
        sa.UniqueConstraint(
            "match_id",
            "participant_id",
            "kind",
            name=op.f("uq_match_reflection_match_id_participant_id_kind"),
        ),
    )
    with op.batch_alter_table("match_reflection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_reflection_match_id"), ["match_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_match_reflection_participant_id"), ["participant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("match_reflection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_reflection_participant_id"))
        batch_op.drop_index(batch_op.f("ix_match_reflection_match_id"))
    op.drop_table("match_reflection")
    with op.batch_alter_table("match", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_match_closure_proposed_by_id_participant"), type_="foreignkey"
        )
        batch_op.drop_column("closure_reason")
        batch_op.drop_column("closure_proposed_at")
        batch_op.drop_column("closure_proposed_by_id")
        batch_op.drop_column("planned_end_sent_at")
        batch_op.drop_column("end_notice_sent_at")
        batch_op.drop_column("midpoint_sent_at")
        batch_op.drop_column("planned_end_on")
