"""What a coordinator chose to follow and aims for (``kpi_target``), and each figure's value per day
(``kpi_snapshot``), from which the trend charts are drawn."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, TimestampMixin, utcnow


class Direction(enum.StrEnum):
    """Whether a figure meets its target by reaching it (``at_least``) or by staying under it."""

    AT_LEAST = "at_least"
    AT_MOST = "at_most"


class KpiTarget(TimestampMixin, Base):
    """A catalogue figure the programme follows, with the coordinator's target (optional)."""

    __tablename__ = "kpi_target"
    __table_args__ = (sa.UniqueConstraint("programme_id", "kpi"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    kpi: Mapped[str] = mapped_column(sa.String(64))
    target: Mapped[float | None]
    direction: Mapped[Direction] = mapped_column(
        sa.Enum(Direction, native_enum=False, length=16), default=Direction.AT_LEAST
    )
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    updated_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KpiSnapshot(Base):
    """A figure's value on one day (UTC), taken by the daily task or back-filled from timestamps."""

    __tablename__ = "kpi_snapshot"
    __table_args__ = (sa.UniqueConstraint("programme_id", "kpi", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"))
    kpi: Mapped[str] = mapped_column(sa.String(64))
    day: Mapped[date]
    value: Mapped[float | None]
    backfilled: Mapped[bool] = mapped_column(default=False)
