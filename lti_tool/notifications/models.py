"""Notifications and per-person e-mail preferences."""

from __future__ import annotations

import enum
from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, utcnow


class EmailMode(enum.StrEnum):
    IMMEDIATE = "immediate"  # one e-mail per notification, at once
    DIGEST = "digest"  # one e-mail a day listing what happened
    OFF = "off"  # in-app only


#: The mode of a person who never chose one.
DEFAULT_MODE = EmailMode.IMMEDIATE


class EmailState(enum.StrEnum):
    PENDING = "pending"  # waits for the daily digest
    QUEUED = "queued"  # handed to the mail job
    SKIPPED = "skipped"  # no address, or e-mail off
    DIGESTED = "digested"  # included in a digest


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        sa.Index("ix_notification_user_created", "user_id", "created_at", "id"),
        sa.Index("ix_notification_email_state", "email_state", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(255))
    text: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(1024))
    # An .ics attachment kept for the digest (RFC 5545 text).
    ics: Mapped[str | None] = mapped_column(sa.Text)
    email_state: Mapped[EmailState] = mapped_column(sa.Enum(EmailState, native_enum=False, length=16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # The match it is about (its history shows the e-mail to the recipient), and the course whose
    # session a sign-in link in the e-mail opens; both optional.
    match_id: Mapped[int | None] = mapped_column(sa.ForeignKey("match.id", ondelete="SET NULL"), index=True)
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course.id", ondelete="SET NULL"))
    # When a QUEUED e-mail was held for the person's quiet hours: the time it is sent.
    email_after: Mapped[datetime | None]


class EmailPreference(Base):
    """How a person wants e-mail; no row means :data:`DEFAULT_MODE`."""

    __tablename__ = "email_preference"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    mode: Mapped[EmailMode] = mapped_column(sa.Enum(EmailMode, native_enum=False, length=16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Set when the person unsubscribed through a link (shown on the preferences page).
    unsubscribed_at: Mapped[datetime | None]
    # Quiet hours, wall-clock times in the person's zone (both or neither): immediate e-mails
    # falling between them wait until ``quiet_end``; start after end spans midnight.
    quiet_start: Mapped[time | None] = mapped_column(sa.Time)
    quiet_end: Mapped[time | None] = mapped_column(sa.Time)
