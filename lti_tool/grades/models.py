"""Line items Ritmo writes to and the score outbox: one row per (line item, user)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.accounts.models import User
from lti_tool.db import Base, TimestampMixin, utcnow
from lti_tool.labels import LabelledEnum, labels


class DeliveryState(LabelledEnum):
    PENDING = "pending"
    # Claimed by a deliverer; ``lease_until`` lets another take over if that one dies.
    SENDING = "sending"
    DELIVERED = "delivered"
    # The platform refused it for good (4xx) or it kept failing; a person must act, then retry.
    FAILED = "failed"


DELIVERY_STATE_LABELS = labels(
    DeliveryState,
    {
        DeliveryState.PENDING: _l("waiting to be sent"),
        DeliveryState.SENDING: _l("sending"),
        DeliveryState.DELIVERED: _l("delivered"),
        DeliveryState.FAILED: _l("failed"),
    },
)


class GradeLineItem(TimestampMixin, Base):
    """A gradebook column in one course, found or created by ``resource_id`` and ``tag``."""

    __tablename__ = "grade_line_item"
    __table_args__ = (sa.UniqueConstraint("course_id", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[str] = mapped_column(sa.String(255))
    tag: Mapped[str] = mapped_column(sa.String(255))
    label: Mapped[str] = mapped_column(sa.String(255))
    score_maximum: Mapped[float]
    # The platform's URL for it (query string kept verbatim); empty until found or created.
    url: Mapped[str | None] = mapped_column(sa.String(1024))
    # The LTI resource link the column belongs to (placed by deep linking, or the link it was made
    # for); sent as ``resourceLinkId`` when Ritmo creates or updates the column.
    resource_link_id: Mapped[str | None] = mapped_column(sa.String(255))
    # Label and maximum changes bump ``revision``; delivery PUTs the column before the next score
    # until ``synced_revision`` catches up (see ``line_items.py``).
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    synced_revision: Mapped[int] = mapped_column(default=0, server_default="0")


class ScoreOutbox(Base):
    """The latest score Ritmo wants the LMS to hold for a user on a line item.

    Writers bump ``version`` and overwrite the value; delivery sends the current version and records
    ``delivered_version``. A newer value therefore supersedes a pending older one, and the LMS always
    ends with the latest value (timestamps only grow, so a late older post is ignored there).
    """

    __tablename__ = "score_outbox"
    __table_args__ = (
        sa.UniqueConstraint("line_item_id", "user_id"),
        sa.Index("ix_score_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        sa.ForeignKey("platform.id", ondelete="CASCADE"), index=True
    )
    line_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("grade_line_item.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    score_given: Mapped[float | None]
    score_maximum: Mapped[float]
    activity_progress: Mapped[str] = mapped_column(sa.String(32))
    grading_progress: Mapped[str] = mapped_column(sa.String(32))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    # The score's AGS timestamp; strictly increasing per row.
    score_timestamp: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)
    delivered_version: Mapped[int] = mapped_column(default=0)
    state: Mapped[DeliveryState] = mapped_column(
        sa.Enum(DeliveryState, native_enum=False, length=16), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_status: Mapped[int | None]
    delivered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    line_item: Mapped[GradeLineItem] = relationship()
    user: Mapped[User] = relationship()
