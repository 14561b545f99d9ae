"""Attention: the record of who acted on the coordinator's attention list

Revision ID: 0014_attention
Revises: 0001_foundation
Create Date: 2026-12-07 05:30:00

The list itself is computed from the registered sources on each view; only what a coordinator did
about an item (which action, when, with what note and result) is stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0014_attention"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attention_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("action_label", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_attention_action_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["user.id"],
            name=op.f("fk_attention_action_actor_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attention_action")),
    )
    with op.batch_alter_table("attention_action", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attention_action_item", ["programme_id", "source", "key", "at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_attention_action_actor_user_id"), ["actor_user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("attention_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attention_action_actor_user_id"))
        batch_op.drop_index("ix_attention_action_item")
    op.drop_table("attention_action")
