"""Webhook subscriptions of a platform and the outbox of deliveries, one row per subscription and event."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, TimestampMixin, utcnow
from lti_tool.labels import LabelledEnum, labels


class DeliveryStatus(LabelledEnum):
    # Due at ``next_attempt_at``; a sender claims a row by moving that time a lease ahead, so a
    # sender that dies leaves the row due again soon after.
    PENDING = "pending"
    DELIVERED = "delivered"
    # Retries ran out, the receiver answered 410, or the subscription was removed; re-send to try again.
    FAILED = "failed"


DELIVERY_STATUS_LABELS = labels(
    DeliveryStatus,
    {
        DeliveryStatus.PENDING: _l("waiting to be sent"),
        DeliveryStatus.DELIVERED: _l("delivered"),
        DeliveryStatus.FAILED: _l("failed"),
    },
)


class WebhookSubscription(TimestampMixin, Base):
    """A URL of an institution's system that receives the chosen events of one platform."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(sa.String(2048))
    # Public event names (``match.approved``...), see ``catalogue.EVENTS``.
    events: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # The signing secret, encrypted (``sealing``): Ritmo needs it back to sign, so it cannot be hashed.
    secret_sealed: Mapped[str] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(default=True)
    # Why Ritmo paused it (a 410 from the receiver); empty when an admin paused it or it is active.
    paused_reason: Mapped[str] = mapped_column(sa.String(255), default="")
    description: Mapped[str] = mapped_column(sa.String(255), default="")


class WebhookDelivery(Base):
    """One event for one subscription: the exact body sent, and how sending it went."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_subscription.id", ondelete="CASCADE"), index=True
    )
    # The event's id: the same for every subscription and every re-send (receivers dedupe on it).
    event_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    event_type: Mapped[str] = mapped_column(sa.String(64))
    # The JSON body, serialised once so every attempt signs and sends the same bytes.
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        sa.Enum(DeliveryStatus, native_enum=False, length=16), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_status: Mapped[int | None]
    # Ritmo's own words (status line, network error), never the receiver's body.
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    subscription: Mapped[WebhookSubscription] = relationship()
