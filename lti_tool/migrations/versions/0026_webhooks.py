"""Webhooks: subscriptions of a platform and the outbox of signed deliveries

Revision ID: 0026_webhooks
Revises: 0001_foundation
Create Date: 2026-12-07 08:50:00

A subscription names a receiver's URL, the events it wants and its signing secret (encrypted: Ritmo
needs it to sign); a delivery is one event for one subscription, with its body and how sending went.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0026_webhooks"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("paused_reason", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["platform.id"],
            name=op.f("fk_webhook_subscription_platform_id_platform"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscription")),
    )
    with op.batch_alter_table("webhook_subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_subscription_platform_id"), ["platform_id"], unique=False)
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.Enum("PENDING", "DELIVERED", "FAILED", name="deliverystatus",
                                    native_enum=False, length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["webhook_subscription.id"],
            name=op.f("fk_webhook_delivery_subscription_id_webhook_subscription"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
    )
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_delivery_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_webhook_delivery_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_subscription_id"), ["subscription_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_subscription")
