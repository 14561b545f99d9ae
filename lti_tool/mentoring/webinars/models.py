"""Webinars, registrations (with the waiting list and attendance), reminder log and training gates."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.accounts.models import User
from lti_tool.db import Base, TimestampMixin, utcnow
from lti_tool.labels import LabelledEnum, labels
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole


class Audience(enum.StrEnum):
    """Who a webinar or a piece of content is for."""

    MENTORS = "mentors"
    MENTEES = "mentees"
    EVERYONE = "everyone"

    def includes(self, role: ParticipantRole) -> bool:
        if role is ParticipantRole.COORDINATOR or self is Audience.EVERYONE:
            return True
        return (self is Audience.MENTORS) == (role is ParticipantRole.MENTOR)


class WebinarStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class JoinProvider(enum.StrEnum):
    JITSI = "jitsi"
    ZOOM = "zoom"
    TEAMS = "teams"
    BIGBLUEBUTTON = "bigbluebutton"


class Webinar(TimestampMixin, Base):
    __tablename__ = "webinar"
    __table_args__ = (sa.Index("ix_webinar_programme_start", "programme_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(255))
    # Markdown source; rendered sanitised.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    audience: Mapped[Audience] = mapped_column(
        sa.Enum(Audience, native_enum=False, length=16), default=Audience.EVERYONE
    )
    starts_at: Mapped[datetime]
    # The zone the organiser scheduled in: a weekly series keeps its wall-clock time there.
    timezone: Mapped[str] = mapped_column(sa.String(64))
    duration_minutes: Mapped[int]
    host_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # ``None``: no limit.
    capacity: Mapped[int | None]
    join_provider: Mapped[JoinProvider] = mapped_column(sa.Enum(JoinProvider, native_enum=False, length=16))
    join_url: Mapped[str] = mapped_column(sa.String(1024))
    status: Mapped[WebinarStatus] = mapped_column(
        sa.Enum(WebinarStatus, native_enum=False, length=16), default=WebinarStatus.SCHEDULED
    )
    # Webinars created together as a weekly series share this key.
    series_key: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    recording_url: Mapped[str | None] = mapped_column(sa.String(1024))
    slides_url: Mapped[str | None] = mapped_column(sa.String(1024))
    # RFC 5545 SEQUENCE: bumped on every change sent to calendars.
    ics_sequence: Mapped[int] = mapped_column(default=0)
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    host: Mapped[User | None] = relationship(foreign_keys=[host_user_id])

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    def has_ended(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.ends_at


class RegistrationStatus(LabelledEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


REGISTRATION_STATUS_LABELS = labels(
    RegistrationStatus,
    {
        RegistrationStatus.REGISTERED: _l("has a seat"),
        RegistrationStatus.WAITLISTED: _l("on the waiting list"),
        RegistrationStatus.CANCELLED: _l("registration cancelled"),
    },
)


class AttendanceSource(enum.StrEnum):
    JOIN_LINK = "join_link"
    HOST = "host"
    CSV = "csv"


class WebinarRegistration(Base):
    """One person's place at a webinar: seat or waiting list, and whether they attended."""

    __tablename__ = "webinar_registration"
    __table_args__ = (
        sa.UniqueConstraint("webinar_id", "participant_id"),
        sa.Index("ix_webinar_registration_queue", "webinar_id", "status", "registered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(sa.ForeignKey("webinar.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[RegistrationStatus] = mapped_column(
        sa.Enum(RegistrationStatus, native_enum=False, length=16)
    )
    # Waiting-list order: first come, first promoted.
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    attended_at: Mapped[datetime | None]
    attendance_source: Mapped[AttendanceSource | None] = mapped_column(
        sa.Enum(AttendanceSource, native_enum=False, length=16)
    )

    webinar: Mapped[Webinar] = relationship()
    participant: Mapped[Participant] = relationship()


class ReminderKind(enum.StrEnum):
    DAY_BEFORE = "day_before"
    HOUR_BEFORE = "hour_before"
    PROMOTED = "promoted"


class WebinarReminder(Base):
    """A reminder that went out: the unique row is what makes it go out only once.

    It is also the in-app notice: ``read_at`` stays empty until the person dismisses it.
    """

    __tablename__ = "webinar_reminder"
    __table_args__ = (sa.UniqueConstraint("webinar_id", "participant_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(sa.ForeignKey("webinar.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ReminderKind] = mapped_column(sa.Enum(ReminderKind, native_enum=False, length=16))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    emailed: Mapped[bool] = mapped_column(default=False)
    read_at: Mapped[datetime | None]

    webinar: Mapped[Webinar] = relationship()


class TrainingGate(TimestampMixin, Base):
    """Before matching, people of ``role`` must complete ``module_id`` or attend ``webinar_id``."""

    __tablename__ = "training_gate"
    __table_args__ = (
        sa.CheckConstraint("(module_id IS NULL) <> (webinar_id IS NULL)", name="one_requirement"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    role: Mapped[ParticipantRole] = mapped_column(sa.Enum(ParticipantRole, native_enum=False, length=16))
    module_id: Mapped[int | None] = mapped_column(sa.ForeignKey("content_module.id", ondelete="CASCADE"))
    webinar_id: Mapped[int | None] = mapped_column(sa.ForeignKey("webinar.id", ondelete="CASCADE"))
