"""Matches: a mentor with one or more mentees, from proposal to end."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, TimestampMixin
from lti_tool.labels import LabelledEnum, labels
from lti_tool.mentoring.programmes.models import Participant


class MatchStatus(LabelledEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    ACTIVE = "active"
    ENDED = "ended"


MATCH_STATUS_LABELS = labels(
    MatchStatus,
    {
        MatchStatus.PROPOSED: _l("proposed"),
        MatchStatus.APPROVED: _l("approved"),
        MatchStatus.ACTIVE: _l("active"),
        MatchStatus.ENDED: _l("ended"),
    },
)


class EndReason(enum.StrEnum):
    """Why a match ended (the audit trail keeps the person's own words)."""

    COMPLETED = "completed"
    REMATCH = "rematch"  # a participant asked for another partner: never propose this pair again
    COORDINATOR = "coordinator"
    REMOVED = "removed"  # a proposal dropped before approval
    PROGRAMME_ENDED = "programme_ended"  # still open on the programme's end date, closed after notice
    WITHDRAWN = "withdrawn"  # a member left the course or no longer has the part they played


class ClosureReason(LabelledEnum):
    """Why a pair closes their match (what the proposer chose; the KPI counts end reasons)."""

    GOALS_MET = "goals_met"
    TIME_UP = "time_up"
    NOT_NEEDED = "not_needed"
    OTHER = "other"


CLOSURE_REASON_LABELS = labels(
    ClosureReason,
    {
        ClosureReason.GOALS_MET: _l("we reached our goals"),
        ClosureReason.TIME_UP: _l("the planned time is over"),
        ClosureReason.NOT_NEEDED: _l("the mentee no longer needs mentoring"),
        ClosureReason.OTHER: _l("another reason"),
    },
)


class ReflectionKind(enum.StrEnum):
    """What a member wrote: the mid-point check-in, or the closing reflection."""

    MIDPOINT = "midpoint"
    CLOSING = "closing"


class Feeling(LabelledEnum):
    """How the mid-point is going, in one word (the check-in's first question)."""

    WELL = "well"
    MIXED = "mixed"
    HARD = "hard"


FEELING_LABELS = labels(
    Feeling,
    {Feeling.WELL: _l("going well"), Feeling.MIXED: _l("mixed"), Feeling.HARD: _l("hard going")},
)


class RunState(LabelledEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


RUN_STATE_LABELS = labels(
    RunState,
    {
        RunState.QUEUED: _l("queued"),
        RunState.RUNNING: _l("running"),
        RunState.DONE: _l("finished"),
        RunState.FAILED: _l("failed"),
    },
)


class MatchRun(TimestampMixin, Base):
    """One background matching of a programme, with visible progress and its outcome."""

    __tablename__ = "match_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    state: Mapped[RunState] = mapped_column(
        sa.Enum(RunState, native_enum=False, length=16), default=RunState.QUEUED
    )
    progress: Mapped[int] = mapped_column(default=0)  # percent
    stage: Mapped[str] = mapped_column(sa.String(64), default="queued")
    requested_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Counts, total score, timings and rejected locks.
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def stage_label(self) -> str:
        return str(RUN_STAGE_LABELS[self.stage]) if self.stage in RUN_STAGE_LABELS else self.stage


#: What the coordinator reads for ``MatchRun.stage`` (the service sets these values as the run goes on).
RUN_STAGE_LABELS: dict[str, LazyString] = {
    "queued": _l("waiting to start"),
    "loading": _l("loading the profiles"),
    "solving": _l("finding the best pairs"),
    "explaining": _l("writing the explanations"),
    "saving": _l("saving the proposals"),
    "done": _l("finished"),
    "failed": _l("failed"),
}


class UnmatchedMentee(Base):
    """A mentee a run could not place, with the engine's reason."""

    __tablename__ = "match_unmatched"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("match_run.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.String(512))

    participant: Mapped[Participant] = relationship()


class RequestStatus(LabelledEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


REQUEST_STATUS_LABELS = labels(
    RequestStatus,
    {
        RequestStatus.PENDING: _l("waiting for an answer"),
        RequestStatus.ACCEPTED: _l("accepted"),
        RequestStatus.DECLINED: _l("declined"),
        RequestStatus.EXPIRED: _l("expired"),
        RequestStatus.WITHDRAWN: _l("withdrawn"),
    },
)


class MatchRequest(TimestampMixin, Base):
    """Mentee-choice mode: a mentee asks one recommended mentor, who answers before a deadline."""

    __tablename__ = "match_request"
    __table_args__ = (
        sa.Index("ix_match_request_mentor_status", "mentor_id", "status"),
        sa.Index("ix_match_request_mentee_status", "mentee_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"))
    status: Mapped[RequestStatus] = mapped_column(
        sa.Enum(RequestStatus, native_enum=False, length=16), default=RequestStatus.PENDING
    )
    score: Mapped[float | None]
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]

    mentee: Mapped[Participant] = relationship(foreign_keys=[mentee_id])
    mentor: Mapped[Participant] = relationship(foreign_keys=[mentor_id])


class Match(TimestampMixin, Base):
    __tablename__ = "match"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    status: Mapped[MatchStatus] = mapped_column(
        sa.Enum(MatchStatus, native_enum=False, length=16), default=MatchStatus.PROPOSED
    )
    score: Mapped[float | None]
    # Per-criterion reasons, in the shape the matching engine explains them.
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    locked: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    # The run that proposed it (None for manual pairs and accepted mentee requests).
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("match_run.id", ondelete="SET NULL"), index=True)
    end_reason: Mapped[EndReason | None] = mapped_column(sa.Enum(EndReason, native_enum=False, length=16))
    # The planned end set by a coordinator for this match; None: the programme's end date.
    planned_end_on: Mapped[date | None]
    # Sent once each: the mid-point check-in, and the notice that the programme's end closes the match.
    midpoint_sent_at: Mapped[datetime | None]
    end_notice_sent_at: Mapped[datetime | None]
    # Sent once per planned end: the pair's own planned end has passed (reset when it is moved).
    planned_end_sent_at: Mapped[datetime | None]
    # A member's proposal to close, waiting for the other side (cleared when declined or withdrawn).
    closure_proposed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="SET NULL")
    )
    closure_proposed_at: Mapped[datetime | None]
    closure_reason: Mapped[ClosureReason | None] = mapped_column(
        sa.Enum(ClosureReason, native_enum=False, length=16)
    )

    mentor: Mapped[Participant] = relationship(foreign_keys=[mentor_id])
    members: Mapped[list[MatchMentee]] = relationship(back_populates="match", cascade="all, delete-orphan")


class MatchMentee(Base):
    __tablename__ = "match_mentee"
    __table_args__ = (sa.UniqueConstraint("match_id", "mentee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("match.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    # This pair's own score and per-criterion reasons (a group's mentees differ).
    score: Mapped[float | None]
    explanation: Mapped[dict[str, Any] | None]
    # Locked by a coordinator: re-runs keep the pair as it is.
    locked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    match: Mapped[Match] = relationship(back_populates="members")
    mentee: Mapped[Participant] = relationship()


class MatchReflection(TimestampMixin, Base):
    """What one member wrote about their match: the mid-point check-in or the closing reflection.

    Visible to the pair and the programme's coordinators; one of each kind per member and match.
    """

    __tablename__ = "match_reflection"
    __table_args__ = (sa.UniqueConstraint("match_id", "participant_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("match.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ReflectionKind] = mapped_column(sa.Enum(ReflectionKind, native_enum=False, length=16))
    feeling: Mapped[Feeling | None] = mapped_column(sa.Enum(Feeling, native_enum=False, length=16))
    # What the member typed, and its sanitised HTML (rendered once, when written, like posts).
    text: Mapped[str] = mapped_column(sa.Text, default="")
    text_html: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime | None]

    participant: Mapped[Participant] = relationship()
