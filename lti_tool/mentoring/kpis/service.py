"""A programme's key figures for its coordinator, each computed by one SQL aggregate query.

Every figure is counted by the database (``count(*) FILTER``, ``GROUP BY``, ``EXISTS``): no rows are
loaded into Python, so a 100,000-participant programme costs a handful of indexed scans. Windows
are relative to ``now`` (UTC): "the last 30 days" is ``[now - 30 days, now)``; week 1 is the last
7 days, week 4 the 7 days that ended 21 days ago. The queries run on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.grades.models import DeliveryState, GradeLineItem, ScoreOutbox
from lti_tool.mentoring.conversations.models import ChatMessage, Post, Thread
from lti_tool.mentoring.goals.models import CompletionState, Milestone, MilestoneCompletion
from lti_tool.mentoring.matching import statuses
from lti_tool.mentoring.matching.models import (
    EndReason,
    Match,
    MatchMentee,
    MatchRequest,
    MatchStatus,
    RequestStatus,
)
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus
from lti_tool.mentoring.profiles.models import Answer
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus, Programme
from lti_tool.mentoring.webinars.models import RegistrationStatus, Webinar, WebinarRegistration

WINDOW_DAYS = 30
WEEKS = 4
# The dashboard's "live" pairs are the confirmed matches (statuses.CONFIRMED: approved or started),
# not matching's wider set of matches holding a place (which includes proposals).
#: Scores Ritmo still has to get into the LMS gradebook.
WAITING = (DeliveryState.PENDING, DeliveryState.SENDING)
#: Meetings that went (or are going) ahead at their accepted time.
TAKING_PLACE = (MeetingStatus.CONFIRMED, MeetingStatus.HELD)


def dashboard(programme: Programme, now: datetime | None = None) -> dict[str, Any]:
    """Every KPI of ``programme`` as of ``now``, in the shape the JSON API returns."""
    now = now or utcnow()
    since = now - timedelta(days=WINDOW_DAYS)
    if db.session.get_bind().dialect.name == "postgresql":
        # Measured at 100,000 participants (bench/kpi.py): the activity query's estimated cost (an
        # index probe per live pair) makes PostgreSQL JIT-compile it, ~200 ms of compiling for as
        # much work; and parallel workers each rebuild the same hash of the programme's matches.
        # Both cost more than they save on queries this short; this transaction only.
        db.session.execute(sa.text("SET LOCAL jit = off"))
        db.session.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))
    return {
        "programme_id": programme.id,
        "generated_at": now.isoformat(),
        "window": {"days": WINDOW_DAYS, "since": since.isoformat()},
        "participants": participants(programme.id),
        "mentees": mentees(programme.id),
        "matches": matches(programme.id),
        "pending_requests": pending_requests(programme.id),
        "profiles_started": profiles_started(programme.id),
        "activity": activity(programme.id, now),
        "meetings": meetings(programme.id, now),
        "milestones": milestones(programme.id),
        "webinars": webinars(programme.id),
        "gradebook": gradebook(programme.course_id),
    }


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.count().filter(condition)


def participants(programme_id: int) -> dict[str, Any]:
    rows = db.session.execute(
        sa.select(Participant.role, Participant.status, sa.func.count())
        .where(Participant.programme_id == programme_id)
        .group_by(Participant.role, Participant.status)
    ).all()
    by_role: dict[str, dict[str, int]] = {
        role.value: {status.value: 0 for status in ParticipantStatus} | {"total": 0}
        for role in ParticipantRole
    }
    for role, status, count in rows:
        by_role[role.value][status.value] = count
        by_role[role.value]["total"] += count
    return {"total": sum(r["total"] for r in by_role.values()), "by_role": by_role}


def _live_matches(programme_id: int) -> sa.Select[Any]:
    return sa.select(Match.id).where(Match.programme_id == programme_id, Match.status.in_(statuses.CONFIRMED))


def mentees(programme_id: int) -> dict[str, int]:
    """Mentees in a live match, and those still taking part (not withdrawn) without one."""
    live = (
        sa.select(MatchMentee.mentee_id)
        .where(MatchMentee.match_id.in_(_live_matches(programme_id)))
        .distinct()
        .subquery()
    )
    # One outer join, so the live mentees are found once for both figures.
    row = db.session.execute(
        sa.select(
            _count(live.c.mentee_id.is_not(None)),
            _count(sa.and_(live.c.mentee_id.is_(None), Participant.status != ParticipantStatus.WITHDRAWN)),
        )
        .select_from(Participant)
        .outerjoin(live, live.c.mentee_id == Participant.id)
        .where(Participant.programme_id == programme_id, Participant.role == ParticipantRole.MENTEE)
    ).one()
    return {"matched": row[0], "unmatched": row[1]}


def matches(programme_id: int) -> dict[str, Any]:
    rows = db.session.execute(
        sa.select(Match.status, Match.end_reason, sa.func.count())
        .where(Match.programme_id == programme_id)
        .group_by(Match.status, Match.end_reason)
    ).all()
    by_status = {status.value: 0 for status in MatchStatus}
    # A match ended before reasons were recorded has none: "not_recorded".
    ended = {reason.value: 0 for reason in EndReason} | {"not_recorded": 0}
    for status, reason, count in rows:
        by_status[status.value] += count
        if status is MatchStatus.ENDED:
            ended[reason.value if reason else "not_recorded"] += count
    live = sum(by_status[s.value] for s in statuses.CONFIRMED)
    return {"by_status": by_status, "live": live, "ended_by_reason": ended}


def pending_requests(programme_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).where(
            MatchRequest.programme_id == programme_id, MatchRequest.status == RequestStatus.PENDING
        )
    ).scalar_one()


def profiles_started(programme_id: int) -> int:
    """Participants who answered at least one question of the questionnaire."""
    answered = sa.exists().where(Answer.participant_id == Participant.id)
    return db.session.execute(
        sa.select(sa.func.count()).where(Participant.programme_id == programme_id, answered)
    ).scalar_one()


def activity(programme_id: int, now: datetime) -> dict[str, Any]:
    """Live pairs with a post, chat message or meeting in the window, and weekly message counts."""
    since = now - timedelta(days=WINDOW_DAYS)
    posted = sa.exists().where(Post.match_id == Match.id, Post.created_at >= since, Post.created_at < now)
    chatted = sa.exists().where(
        ChatMessage.match_id == Match.id, ChatMessage.created_at >= since, ChatMessage.created_at < now
    )
    met = sa.exists().where(
        Meeting.match_id == Match.id,
        Meeting.status.in_(TAKING_PLACE),
        Meeting.starts_at >= since,
        Meeting.starts_at < now,
    )
    live, active = db.session.execute(
        sa.select(sa.func.count(), _count(sa.or_(posted, chatted, met))).where(
            Match.programme_id == programme_id, Match.status.in_(statuses.CONFIRMED)
        )
    ).one()
    weeks = [(now - timedelta(days=7 * (n + 1)), now - timedelta(days=7 * n)) for n in range(WEEKS)]
    # Forum posts belong to the programme through their thread; chat messages through their match.
    posts = db.session.execute(
        sa.select(*(_count(sa.and_(Post.created_at >= a, Post.created_at < b)) for a, b in weeks))
        .join(Thread, Thread.id == Post.thread_id)
        .where(Thread.programme_id == programme_id, Post.created_at >= weeks[-1][0], Post.created_at < now)
    ).one()
    chats = db.session.execute(
        sa.select(
            *(_count(sa.and_(ChatMessage.created_at >= a, ChatMessage.created_at < b)) for a, b in weeks)
        )
        .join(Match, Match.id == ChatMessage.match_id)
        .where(
            Match.programme_id == programme_id,
            ChatMessage.created_at >= weeks[-1][0],
            ChatMessage.created_at < now,
        )
    ).one()
    return {
        "active_pairs": active,
        "quiet_pairs": live - active,
        "weeks": [
            {"week": n + 1, "starts_at": a.isoformat(), "ends_at": b.isoformat(),
             "posts": posts[n], "chat_messages": chats[n]}
            for n, (a, b) in enumerate(weeks)
        ],
    }


def meetings(programme_id: int, now: datetime) -> dict[str, int]:
    since = now - timedelta(days=WINDOW_DAYS)
    row = db.session.execute(
        sa.select(
            _count(sa.and_(Meeting.starts_at >= since, Meeting.starts_at < now)),
            _count(sa.and_(Meeting.status == MeetingStatus.CONFIRMED, Meeting.starts_at >= now)),
        ).where(
            Meeting.programme_id == programme_id,
            Meeting.status.in_(TAKING_PLACE),
            Meeting.starts_at >= since,
        )
    ).one()
    return {"held_last_30_days": row[0], "upcoming": row[1]}


def milestones(programme_id: int) -> dict[str, int]:
    row = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(MilestoneCompletion.participant_id)))
        .join(Milestone, Milestone.id == MilestoneCompletion.milestone_id)
        .where(
            Milestone.programme_id == programme_id,
            MilestoneCompletion.state == CompletionState.COMPLETED,
        )
    ).one()
    return {"completed": row[0], "mentees_with_one_completed": row[1]}


def webinars(programme_id: int) -> dict[str, int]:
    r = WebinarRegistration
    row = db.session.execute(
        sa.select(
            _count(r.status == RegistrationStatus.REGISTERED),
            _count(r.status == RegistrationStatus.WAITLISTED),
            _count(r.status == RegistrationStatus.CANCELLED),
            _count(r.attended_at.is_not(None)),
        )
        .join(Webinar, Webinar.id == r.webinar_id)
        .where(Webinar.programme_id == programme_id)
    ).one()
    return {"registered": row[0], "waitlisted": row[1], "cancelled": row[2], "attended": row[3]}


def gradebook(course_id: int) -> dict[str, int]:
    """Scores of the programme's course for the LMS gradebook, by whether they got there yet."""
    row = db.session.execute(
        sa.select(
            _count(ScoreOutbox.state == DeliveryState.DELIVERED),
            _count(ScoreOutbox.state.in_(WAITING)),
            _count(ScoreOutbox.state == DeliveryState.FAILED),
        )
        .join(GradeLineItem, GradeLineItem.id == ScoreOutbox.line_item_id)
        .where(GradeLineItem.course_id == course_id)
    ).one()
    return {"delivered": row[0], "waiting": row[1], "failed": row[2]}
