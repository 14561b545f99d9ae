"""Users, courses, resource links and course roles, upserted on every launch."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, TimestampMixin, utcnow
from lti_tool.safety.names import clean_name


class CourseRole(enum.StrEnum):
    COORDINATOR = "coordinator"
    PARTICIPANT = "participant"


class User(TimestampMixin, Base):
    """A person of one platform. Keyed by the LTI ``sub``, never by e-mail."""

    __tablename__ = "user"
    __table_args__ = (sa.UniqueConstraint("platform_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("platform.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str | None] = mapped_column(sa.String(255))
    given_name: Mapped[str | None] = mapped_column(sa.String(255))
    family_name: Mapped[str | None] = mapped_column(sa.String(255))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    locale: Mapped[str | None] = mapped_column(sa.String(35))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    last_seen_at: Mapped[datetime | None]
    # Session tokens issued before this are refused (``identity.revocation``).
    sessions_valid_after: Mapped[datetime | None]

    @property
    def display_name(self) -> str:
        return display_name(self.name, self.given_name, self.family_name, self.sub)


def display_name(name: str | None, given_name: str | None, family_name: str | None, sub: str) -> str:
    """How a person is called on pages: the LMS's full name, else given + family, else a stand-in.

    Cleaned here too (bidi controls, invisible characters), so rows stored before names were
    cleaned on the way in are shown safely."""
    full = " ".join(p for p in (clean_name(given_name), clean_name(family_name)) if p)
    return clean_name(name) or full or f"User {sub[:8]}"


class Course(TimestampMixin, Base):
    __tablename__ = "course"
    __table_args__ = (sa.UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("deployment.id", ondelete="SET NULL")
    )
    context_id: Mapped[str] = mapped_column(sa.String(255))
    title: Mapped[str | None] = mapped_column(sa.String(255))
    label: Mapped[str | None] = mapped_column(sa.String(255))
    # Service endpoints the platform announced in its latest launch.
    lineitems_url: Mapped[str | None] = mapped_column(sa.String(1024))
    memberships_url: Mapped[str | None] = mapped_column(sa.String(1024))


class ResourceLink(TimestampMixin, Base):
    """A placement of Ritmo in a course. ``target`` says what it opens (see deep linking)."""

    __tablename__ = "resource_link"
    __table_args__ = (sa.UniqueConstraint("course_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    resource_link_id: Mapped[str] = mapped_column(sa.String(255))
    title: Mapped[str | None] = mapped_column(sa.String(255))
    target: Mapped[str | None] = mapped_column(sa.String(255))
    lineitem_url: Mapped[str | None] = mapped_column(sa.String(1024))

    course: Mapped[Course] = relationship()


class Enrolment(Base):
    """A user's role in a course, as of their latest launch or roster sync."""

    __tablename__ = "enrolment"
    __table_args__ = (sa.UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    role: Mapped[CourseRole] = mapped_column(sa.Enum(CourseRole, native_enum=False, length=16))
    lis_roles: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    is_mentor: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
