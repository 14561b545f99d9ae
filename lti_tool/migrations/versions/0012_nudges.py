"""nudges: the ledger of reminders sent to people (weekly limit, dedupe)

Revision ID: 0012_nudges
Revises: 0006_profiles_matching, 0003_relationship_space
Create Date: 2026-12-07 05:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0012_nudges"
# The notification table (nudge.notification_id) comes from 0003.
down_revision = ("0006_profiles_matching", "0003_relationship_space")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nudge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("action_label", sa.String(length=255), nullable=False),
        sa.Column("action_link", sa.String(length=1024), nullable=False),
        sa.Column("sent_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_nudge_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["match.id"], name=op.f("fk_nudge_match_id_match"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_nudge_user_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_nudge_notification_id_notification"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge")),
        sa.UniqueConstraint("user_id", "dedupe_key", name=op.f("uq_nudge_user_id_dedupe_key")),
    )
    with op.batch_alter_table("nudge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nudge_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index("ix_nudge_user_sent", ["user_id", "sent_at"], unique=False)
        batch_op.create_index("ix_nudge_match_sent", ["match_id", "sent_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("nudge", schema=None) as batch_op:
        batch_op.drop_index("ix_nudge_match_sent")
        batch_op.drop_index("ix_nudge_user_sent")
        batch_op.drop_index(batch_op.f("ix_nudge_programme_id"))
    op.drop_table("nudge")
