"""Milestones (programme templates), goals (per match) and milestone completions (per mentee)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool import translated
from lti_tool.db import Base, TimestampMixin, utcnow
from lti_tool.labels import LabelledEnum, labels


class CompletionMode(enum.StrEnum):
    """How a milestone gets done: a person says so, or a rule over events sees it happen."""

    MANUAL = "manual"
    AUTOMATIC = "automatic"


#: Events a milestone rule may count, with what they mean to a coordinator.
RULE_EVENTS: dict[str, LazyString] = {
    "meeting.held": _l("meetings held"),
    "message.sent": _l("messages exchanged"),
    "goal.plan_agreed": _l("goal plan agreed"),
    "survey.answered": _l("surveys answered"),
    "webinar.attended": _l("webinars attended"),
    "content.viewed": _l("content items viewed"),
    "content.completed": _l("content items completed"),
}
#: Events about the whole match (counted per match); the others are about one person.
MATCH_EVENTS = frozenset({"meeting.held", "message.sent", "goal.plan_agreed"})


class CompletionState(enum.StrEnum):
    # The mentee marked it done; the mentor has not confirmed yet (no grade until then).
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    COMPLETED = "completed"


class CompletionSource(enum.StrEnum):
    MANUAL = "manual"
    RULE = "rule"


class GoalStatus(LabelledEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    DROPPED = "dropped"


GOAL_STATUS_LABELS = labels(
    GoalStatus,
    {
        GoalStatus.OPEN: _l("open"),
        GoalStatus.IN_PROGRESS: _l("in progress"),
        GoalStatus.ACHIEVED: _l("achieved"),
        GoalStatus.DROPPED: _l("dropped"),
    },
)


class Milestone(TimestampMixin, Base):
    """A step every match of a programme goes through, defined by the coordinator."""

    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # What counts as evidence ("a summary of the first meeting", "the agreed goal plan").
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    # Either a fixed date or a number of days after the match started (both may be empty).
    due_on: Mapped[date | None]
    due_offset_days: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)
    graded: Mapped[bool] = mapped_column(default=False)
    points: Mapped[float] = mapped_column(default=0.0)
    completion_mode: Mapped[CompletionMode] = mapped_column(
        sa.Enum(CompletionMode, native_enum=False, length=16), default=CompletionMode.MANUAL
    )
    # Manual milestones: the mentor confirms what the mentee marked done.
    requires_confirmation: Mapped[bool] = mapped_column(default=True)
    # Automatic milestones: done once ``rule_event`` happened ``rule_count`` times.
    rule_event: Mapped[str | None] = mapped_column(sa.String(64))
    rule_count: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The title and description in each programme language (see :mod:`lti_tool.translated`).
    texts: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    @property
    def shown_title(self) -> str:
        return translated.shown(self.texts, "title", self.title)

    @property
    def shown_description(self) -> str:
        return translated.shown(self.texts, "description", self.description)


class MilestoneCompletion(Base):
    """A mentee's completion of a milestone (one row at most; undoing deletes it)."""

    __tablename__ = "milestone_completion"
    __table_args__ = (sa.UniqueConstraint("milestone_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        sa.ForeignKey("milestone.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    match_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("match.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[CompletionState] = mapped_column(
        sa.Enum(CompletionState, native_enum=False, length=32)
    )
    source: Mapped[CompletionSource] = mapped_column(
        sa.Enum(CompletionSource, native_enum=False, length=16)
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    marked_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    confirmed_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    milestone: Mapped[Milestone] = relationship()


class Goal(TimestampMixin, Base):
    """A specific, measurable target a match sets itself; both sides edit it."""

    __tablename__ = "goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("match.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    # How everyone will know it is reached ("three mock interviews by May").
    measure: Mapped[str] = mapped_column(sa.Text, default="")
    due_on: Mapped[date | None]
    status: Mapped[GoalStatus] = mapped_column(
        sa.Enum(GoalStatus, native_enum=False, length=16), default=GoalStatus.OPEN
    )
    created_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    notes: Mapped[list[GoalNote]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", order_by="GoalNote.id"
    )


class GoalNote(Base):
    """A progress note on a goal."""

    __tablename__ = "goal_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(sa.ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    goal: Mapped[Goal] = relationship(back_populates="notes")


class GoalPlanAgreement(Base):
    """A member's agreement to the match's goal plan; all members agreeing emits ``goal.plan_agreed``."""

    __tablename__ = "goal_plan_agreement"
    __table_args__ = (sa.UniqueConstraint("match_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("match.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    agreed_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventTally(Base):
    """How often an event happened for a match (``m:<id>``) or a person (``p:<id>``): rule input."""

    __tablename__ = "event_tally"
    __table_args__ = (sa.UniqueConstraint("programme_id", "scope_key", "event_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    scope_key: Mapped[str] = mapped_column(sa.String(32))
    event_name: Mapped[str] = mapped_column(sa.String(64))
    count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
