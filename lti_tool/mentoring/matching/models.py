"""Matches: a mentor with one or more mentees, from proposal to end."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, TimestampMixin
from lti_tool.mentoring.programmes.models import Participant


class MatchStatus(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    ACTIVE = "active"
    ENDED = "ended"


class Match(TimestampMixin, Base):
    __tablename__ = "match"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[MatchStatus] = mapped_column(
        sa.Enum(MatchStatus, native_enum=False, length=16), default=MatchStatus.PROPOSED
    )
    score: Mapped[float | None]
    # Per-criterion reasons, in the shape the matching engine explains them.
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    locked: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    mentor: Mapped[Participant] = relationship(foreign_keys=[mentor_id])
    members: Mapped[list[MatchMentee]] = relationship(
        back_populates="match", cascade="all, delete-orphan"
    )


class MatchMentee(Base):
    __tablename__ = "match_mentee"
    __table_args__ = (sa.UniqueConstraint("match_id", "mentee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("match.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )

    match: Mapped[Match] = relationship(back_populates="members")
    mentee: Mapped[Participant] = relationship()
