"""A programme's expected rhythm (cadence), each live pair's followed rhythm, and the scan watermark.

``PairRhythm`` is what the daily evaluation remembers about a pair: the writing it has folded in
(who wrote last and since when they wait for a reply), the health it last saw, since when, and how
far the nudges about the current episode have escalated (pair, mentor, coordinator).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, utcnow


class Cadence(Base):
    """The rhythm a programme expects of its pairs; per-phase overrides in ``phases``."""

    __tablename__ = "rhythm_cadence"

    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True
    )
    meet_every_days: Mapped[int]
    write_every_days: Mapped[int]
    # {"start": {"meet_every_days": 7, "write_every_days": 3}, "closing": {...}}: validated by
    # ``schemas.RhythmCadenceIn``; a phase left out uses the two columns above.
    phases: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PairRhythm(Base):
    """One live pair as the rhythm evaluation last saw it."""

    __tablename__ = "rhythm_pair"
    __table_args__ = (sa.Index("ix_rhythm_pair_programme_state", "programme_id", "state"),)

    match_id: Mapped[int] = mapped_column(sa.ForeignKey("match.id", ondelete="CASCADE"), primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"))
    # Writing folded in from posts and chat: the newest message, its author, and since when that
    # author's run of messages waits for an answer from someone else.
    last_written_at: Mapped[datetime | None]
    last_writer_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    awaiting_reply_since: Mapped[datetime | None]
    # The health last evaluated (a ``HealthState`` value) and when this state began.
    state: Mapped[str] = mapped_column(sa.String(16), default="on_track")
    state_since: Mapped[datetime] = mapped_column(default=utcnow)
    # Reason codes with their numbers, so a page can say them in the viewer's language.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # Start of the current trouble episode (quiet or at risk), None while on track or slowing.
    episode_since: Mapped[datetime | None]
    # 0 none, 1 the pair was nudged, 2 the mentor, 3 the coordinator (attention list).
    escalation: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[datetime | None]
    # A coordinator followed the pair up: the attention list leaves it out until then.
    followed_up_until: Mapped[datetime | None]
    # When the state last changed in substance (state, reasons or episode).
    evaluated_at: Mapped[datetime | None]
    # The earliest time a threshold may be crossed with no new activity: the daily run looks at an
    # on-track pair again then (or when something that can only worsen it happens, see ``due``).
    next_check_at: Mapped[datetime | None]


class RhythmScan(Base):
    """How far a programme's posts and chat have been folded into ``PairRhythm``."""

    __tablename__ = "rhythm_scan"

    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True
    )
    scanned_until: Mapped[datetime]
    # The last daily run: what changed since then (cadence, milestones, cancellations) is due.
    evaluated_at: Mapped[datetime | None]
