"""Meeting and its proposed time slots."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, utcnow
from lti_tool.labels import LabelledEnum, labels

#: The longest meeting title: the column's length.
TITLE_MAX = 200


class MeetingStatus(LabelledEnum):
    PROPOSED = "proposed"  # times offered, none accepted yet
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    HELD = "held"
    MISSED = "missed"


#: Meetings that went (or are going) ahead at their accepted time.
TAKING_PLACE = (MeetingStatus.CONFIRMED, MeetingStatus.HELD)


MEETING_STATUS_LABELS = labels(
    MeetingStatus,
    {
        MeetingStatus.PROPOSED: _l("proposed"),
        MeetingStatus.CONFIRMED: _l("confirmed"),
        MeetingStatus.CANCELLED: _l("cancelled"),
        MeetingStatus.HELD: _l("held"),
        MeetingStatus.MISSED: _l("missed"),
    },
)


class VideoProvider(enum.StrEnum):
    JITSI = "jitsi"
    ZOOM = "zoom"
    TEAMS = "teams"
    MEET = "meet"


class Meeting(Base):
    __tablename__ = "meeting"
    __table_args__ = (
        sa.Index("ix_meeting_match_created", "match_id", "created_at", "id"),
        # The KPI dashboard's meetings held and upcoming, per programme.
        sa.Index("ix_meeting_programme_start", "programme_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"))
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("match.id", ondelete="CASCADE"))
    organiser_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    agenda: Mapped[str] = mapped_column(sa.Text, default="")
    agenda_html: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[MeetingStatus] = mapped_column(
        sa.Enum(MeetingStatus, native_enum=False, length=16), default=MeetingStatus.PROPOSED
    )
    duration_minutes: Mapped[int] = mapped_column(default=45)
    # The accepted time (None while only proposed).
    starts_at: Mapped[datetime | None]
    # Zone the proposer worked in: used for the invitation text, never for storage.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    video_provider: Mapped[VideoProvider] = mapped_column(
        sa.Enum(VideoProvider, native_enum=False, length=16)
    )
    video_url: Mapped[str] = mapped_column(sa.String(1024))
    # RFC 5545: UID stays for the meeting's life; SEQUENCE grows with each change sent out.
    ical_uid: Mapped[str] = mapped_column(sa.String(128), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    proposed_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    notes_html: Mapped[str] = mapped_column(sa.Text, default="")
    outcome_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    slots: Mapped[list[MeetingSlot]] = relationship(
        cascade="all, delete-orphan", order_by="MeetingSlot.starts_at", lazy="selectin"
    )


class MeetingSlot(Base):
    """One time offered for a meeting; the current round's slots are those with ``round`` = latest."""

    __tablename__ = "meeting_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    round: Mapped[int] = mapped_column(default=1)


class MeetingPresence(Base):
    """One stretch of time a member had the meeting's room open in Ritmo, kept up by heartbeats.

    A heartbeat within ``presence.GAP`` of the stretch's last one extends it; a later one starts a
    new stretch, so leaving and coming back does not count as having stayed.
    """

    __tablename__ = "meeting_presence"
    __table_args__ = (sa.Index("ix_meeting_presence_meeting_seen", "meeting_id", "last_seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
