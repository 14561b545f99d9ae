"""The catalogue's programme figures as single numbers, each one aggregate query.

Every function is ``fn(programme_id, at) -> float | None`` (``None``: nothing to measure yet). Those
in :data:`HISTORICAL` read only timestamps (a match's ``started_at``/``ended_at``, a post's
``created_at``, a completion's ``completed_at``), so they give the value as it was at a past ``at``
and the trend can be back-filled; the others read a current state that keeps no history (a
participant's status, the profile answers, a goal's status, the live matches), so their trend
starts on the day the daily snapshots began.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.conversations.models import ChatMessage, Post
from lti_tool.mentoring.goals.models import CompletionState, Goal, GoalStatus, Milestone, MilestoneCompletion
from lti_tool.mentoring.kpis.figures import WINDOW_DAYS, count_where
from lti_tool.mentoring.matching import statuses
from lti_tool.mentoring.matching.models import Match, MatchMentee
from lti_tool.mentoring.meetings.models import TAKING_PLACE, Meeting
from lti_tool.mentoring.profiles.models import Answer, Audience, Question
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus

Measure = Callable[[int, datetime], float | None]
PEOPLE = (ParticipantRole.MENTEE, ParticipantRole.MENTOR)


def share(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``; ``None`` when there is no whole yet."""
    return None if not whole else round(100.0 * part / whole, 1)


def taking_part(programme_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(Participant.programme_id == programme_id, Participant.role.in_(PEOPLE))


def participation(programme_id: int, at: datetime) -> float | None:
    """Share of the programme's mentors and mentees taking part (not paused, not withdrawn)."""
    row = db.session.execute(
        sa.select(sa.func.count(), count_where(Participant.status == ParticipantStatus.ACTIVE)).where(
            taking_part(programme_id)
        )
    ).one()
    return share(row[1], row[0])


def complete_profiles() -> sa.ColumnElement[bool]:
    """The participant answered every required question meant for their role."""
    meant = sa.or_(
        Question.audience == Audience.EVERYONE,
        sa.and_(Question.audience == Audience.MENTORS, Participant.role == ParticipantRole.MENTOR),
        sa.and_(Question.audience == Audience.MENTEES, Participant.role == ParticipantRole.MENTEE),
    )
    unanswered = sa.exists().where(
        Question.programme_id == Participant.programme_id,
        Question.required.is_(True),
        meant,
        ~sa.exists().where(Answer.participant_id == Participant.id, Answer.question_id == Question.id),
    )
    return ~unanswered


def profile_completion(programme_id: int, at: datetime) -> float | None:
    """Share of the mentors and mentees taking part whose profile has every required answer."""
    row = db.session.execute(
        sa.select(sa.func.count(), count_where(complete_profiles())).where(
            taking_part(programme_id), Participant.status != ParticipantStatus.WITHDRAWN
        )
    ).one()
    return share(row[1], row[0])


def first_matches(programme_id: int, at: datetime) -> sa.Subquery:
    """Each mentee's first match start before ``at``."""
    return (
        sa.select(MatchMentee.mentee_id, sa.func.min(Match.started_at).label("started_at"))
        .join(Match, Match.id == MatchMentee.match_id)
        .where(Match.programme_id == programme_id, Match.started_at.is_not(None), Match.started_at < at)
        .group_by(MatchMentee.mentee_id)
        .subquery()
    )


def days_between(start: Any, end: Any) -> sa.ColumnElement[Any]:
    """``end - start`` in days, on PostgreSQL and SQLite alike."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.extract("epoch", end - start) / 86400.0
    return sa.func.julianday(end) - sa.func.julianday(start)


def time_to_match(programme_id: int, at: datetime) -> float | None:
    """Average days from joining the programme to the first match's start, over mentees matched
    before ``at`` (a start recorded before the joining counts as 0)."""
    first = first_matches(programme_id, at)
    days = days_between(Participant.created_at, first.c.started_at)
    value = db.session.execute(
        sa.select(sa.func.avg(sa.case((days < 0, 0.0), else_=days))).join(
            first, first.c.mentee_id == Participant.id
        )
    ).scalar_one()
    return None if value is None else round(float(value), 1)


def live_mentees(programme_id: int) -> sa.Select[Any]:
    return (
        sa.select(MatchMentee.mentee_id)
        .join(Match, Match.id == MatchMentee.match_id)
        .where(Match.programme_id == programme_id, Match.status.in_(statuses.CONFIRMED))
    )


def matched_share(programme_id: int, at: datetime) -> float | None:
    """Share of mentees still in the programme who have a live (approved or started) match."""
    row = db.session.execute(
        sa.select(sa.func.count(), count_where(Participant.id.in_(live_mentees(programme_id)))).where(
            Participant.programme_id == programme_id,
            Participant.role == ParticipantRole.MENTEE,
            Participant.status != ParticipantStatus.WITHDRAWN,
        )
    ).one()
    return share(row[1], row[0])


def live_at(programme_id: int, at: datetime) -> sa.ColumnElement[bool]:
    """The match had started before ``at`` and had not ended by then."""
    return sa.and_(
        Match.programme_id == programme_id,
        Match.started_at.is_not(None),
        Match.started_at < at,
        sa.or_(Match.ended_at.is_(None), Match.ended_at >= at),
    )


def was_active(at: datetime) -> sa.ColumnElement[bool]:
    """A post, chat message or meeting of the match in the 30 days before ``at``."""
    since = at - timedelta(days=WINDOW_DAYS)
    return sa.or_(
        sa.exists().where(Post.match_id == Match.id, Post.created_at >= since, Post.created_at < at),
        sa.exists().where(
            ChatMessage.match_id == Match.id, ChatMessage.created_at >= since, ChatMessage.created_at < at
        ),
        sa.exists().where(
            Meeting.match_id == Match.id,
            Meeting.status.in_(TAKING_PLACE),
            Meeting.starts_at >= since,
            Meeting.starts_at < at,
        ),
    )


def active_pairs(programme_id: int, at: datetime) -> float | None:
    """Started pairs, not ended, with a post, chat message or meeting in the last 30 days."""
    return float(
        db.session.execute(
            sa.select(sa.func.count()).where(live_at(programme_id, at), was_active(at))
        ).scalar_one()
    )


def meetings_per_pair(programme_id: int, at: datetime) -> float | None:
    """Meetings taking place in the last 30 days per pair live at ``at`` (a month's rate)."""
    pairs = db.session.execute(sa.select(sa.func.count()).where(live_at(programme_id, at))).scalar_one()
    since = at - timedelta(days=WINDOW_DAYS)
    meetings = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Meeting)
        .join(Match, Match.id == Meeting.match_id)
        .where(
            live_at(programme_id, at),
            Meeting.status.in_(TAKING_PLACE),
            Meeting.starts_at >= since,
            Meeting.starts_at < at,
        )
    ).scalar_one()
    return None if not pairs else round(meetings / pairs, 2)


def milestones_completed(programme_id: int, at: datetime) -> float | None:
    """Milestone completions confirmed before ``at``."""
    return float(
        db.session.execute(
            sa.select(sa.func.count())
            .select_from(MilestoneCompletion)
            .join(Milestone, Milestone.id == MilestoneCompletion.milestone_id)
            .where(
                Milestone.programme_id == programme_id,
                MilestoneCompletion.state == CompletionState.COMPLETED,
                MilestoneCompletion.completed_at < at,
            )
        ).scalar_one()
    )


def goals_completed(programme_id: int, at: datetime) -> float | None:
    """Share of the pairs' goals achieved (dropped goals count as not achieved)."""
    row = db.session.execute(
        sa.select(sa.func.count(), count_where(Goal.status == GoalStatus.ACHIEVED))
        .join(Match, Match.id == Goal.match_id)
        .where(Match.programme_id == programme_id)
    ).one()
    return share(row[1], row[0])


def programme_completion(programme_id: int, at: datetime) -> float | None:
    """Share of the pairs that started before ``at`` which had ended having run their course by then."""
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            count_where(sa.and_(Match.ended_at < at, Match.end_reason.in_(statuses.COMPLETING))),
        ).where(Match.programme_id == programme_id, Match.started_at.is_not(None), Match.started_at < at)
    ).one()
    return share(row[1], row[0])


#: Figures whose value at a past day can be computed from timestamps (trends are back-filled).
HISTORICAL = frozenset(
    {"time_to_match", "active_pairs", "meetings_per_pair", "milestones_completed", "programme_completion"}
)
