"""Programme and Participant: the spine every mentoring feature hangs from."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.accounts.models import Course, User
from lti_tool.db import Base, TimestampMixin
from lti_tool.labels import LabelledEnum, labels

DEFAULT_MENTOR_CAPACITY = 3
#: The days a programme's dates and a match's planned end may fall on: far beyond any programme,
#: and clear of the calendar's ends (times are worked out from the day after a date).
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)


class MatchingMode(enum.StrEnum):
    ONE_TO_ONE = "one_to_one"
    GROUP = "group"
    MENTEE_CHOICE = "mentee_choice"


class RoleSource(enum.StrEnum):
    """Who decides whether a person mentors or is mentored."""

    LMS = "lms"
    SELF = "self"
    COORDINATOR = "coordinator"


class ParticipantRole(LabelledEnum):
    MENTEE = "mentee"
    MENTOR = "mentor"
    COORDINATOR = "coordinator"


PARTICIPANT_ROLE_LABELS = labels(
    ParticipantRole,
    {
        ParticipantRole.MENTEE: _l("mentee"),
        ParticipantRole.MENTOR: _l("mentor"),
        ParticipantRole.COORDINATOR: _l("coordinator"),
    },
)


class RoleOrigin(enum.StrEnum):
    """Who set a participant's current role: the LMS may change only what the LMS set
    (``programmes/role_rules.py``); a link with ``ritmo_role=mentor``, the person's own choice and the
    coordinator's assignment stand until a person changes them."""

    LMS = "lms"
    LINK = "link"
    SELF = "self"
    COORDINATOR = "coordinator"


class ParticipantStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    WITHDRAWN = "withdrawn"


class Programme(TimestampMixin, Base):
    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    matching_mode: Mapped[MatchingMode] = mapped_column(
        sa.Enum(MatchingMode, native_enum=False, length=16), default=MatchingMode.ONE_TO_ONE
    )
    role_source: Mapped[RoleSource] = mapped_column(
        sa.Enum(RoleSource, native_enum=False, length=16), default=RoleSource.LMS
    )
    default_capacity: Mapped[int] = mapped_column(default=DEFAULT_MENTOR_CAPACITY)
    requires_approval: Mapped[bool] = mapped_column(default=True)
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    # Feature settings that do not deserve a column (cadence, request deadline, gates...).
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)

    course: Mapped[Course] = relationship()


class Participant(TimestampMixin, Base):
    """A user in one programme, with the part they play there."""

    __tablename__ = "participant"
    __table_args__ = (sa.UniqueConstraint("programme_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[ParticipantRole] = mapped_column(sa.Enum(ParticipantRole, native_enum=False, length=16))
    # Mentees a mentor takes at most; ``None`` means the programme's default.
    capacity: Mapped[int | None]
    status: Mapped[ParticipantStatus] = mapped_column(
        sa.Enum(ParticipantStatus, native_enum=False, length=16), default=ParticipantStatus.ACTIVE
    )
    role_origin: Mapped[RoleOrigin] = mapped_column(
        sa.Enum(RoleOrigin, native_enum=False, length=16), default=RoleOrigin.LMS, server_default="LMS"
    )
    # The role the LMS last gave (a launch or a roster sync); ``None`` before it said anything.
    # Where it differs from ``role`` and the rule kept Ritmo's, the participants page shows it.
    lms_role: Mapped[ParticipantRole | None] = mapped_column(
        sa.Enum(ParticipantRole, native_enum=False, length=16)
    )

    programme: Mapped[Programme] = relationship()
    user: Mapped[User] = relationship()
