"""Matching's KPI figures: mentees with and without a pair, matches by status, completed and ended
by reason, requests waiting (:mod:`..kpis.figures`). The dashboard's "live" pairs are the confirmed matches
(:data:`statuses.CONFIRMED`: approved or started), not the wider set holding a place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.kpis.figures import count_where
from lti_tool.mentoring.matching import statuses
from lti_tool.mentoring.matching.models import (
    EndReason,
    Match,
    MatchMentee,
    MatchRequest,
    MatchStatus,
    RequestStatus,
)
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus, Programme


def _live_matches(programme_id: int) -> sa.Select[Any]:
    return sa.select(Match.id).where(Match.programme_id == programme_id, Match.status.in_(statuses.CONFIRMED))


def mentees(programme: Programme, now: datetime) -> dict[str, int]:
    """Mentees in a live match, and those still taking part (not withdrawn) without one."""
    live = (
        sa.select(MatchMentee.mentee_id)
        .where(MatchMentee.match_id.in_(_live_matches(programme.id)))
        .distinct()
        .subquery()
    )
    # One outer join, so the live mentees are found once for both figures.
    row = db.session.execute(
        sa.select(
            count_where(live.c.mentee_id.is_not(None)),
            count_where(
                sa.and_(live.c.mentee_id.is_(None), Participant.status != ParticipantStatus.WITHDRAWN)
            ),
        )
        .select_from(Participant)
        .outerjoin(live, live.c.mentee_id == Participant.id)
        .where(Participant.programme_id == programme.id, Participant.role == ParticipantRole.MENTEE)
    ).one()
    return {"matched": row[0], "unmatched": row[1]}


def matches(programme: Programme, now: datetime) -> dict[str, Any]:
    rows = db.session.execute(
        sa.select(Match.status, Match.end_reason, sa.func.count())
        .where(Match.programme_id == programme.id)
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
    # Completed: ended having run their course (closed by the pair, a coordinator or the programme's end).
    completed = sum(ended[r.value] for r in statuses.COMPLETING)
    return {"by_status": by_status, "live": live, "completed": completed, "ended_by_reason": ended}


def pending_requests(programme: Programme, now: datetime) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).where(
            MatchRequest.programme_id == programme.id, MatchRequest.status == RequestStatus.PENDING
        )
    ).scalar_one()
