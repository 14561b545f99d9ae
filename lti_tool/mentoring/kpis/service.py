"""A programme's key figures for its coordinator: every figure the features registered
(:mod:`lti_tool.mentoring.kpis.figures`), plus the two that belong to no single feature: activity
of the live pairs (forum, chat and meetings together) and the course's gradebook deliveries (grades
knows nothing of programmes). The queries run on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from lti_tool.db import db, utcnow
from lti_tool.grades.models import DeliveryState, GradeLineItem, ScoreOutbox
from lti_tool.mentoring.conversations.models import ChatMessage, Post, Thread
from lti_tool.mentoring.kpis.figures import WEEKS, WINDOW_DAYS, count_where, registered
from lti_tool.mentoring.matching import statuses
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.meetings.models import TAKING_PLACE, Meeting
from lti_tool.mentoring.programmes.models import Programme

#: Scores Ritmo still has to get into the LMS gradebook.
WAITING = (DeliveryState.PENDING, DeliveryState.SENDING)


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
    header: dict[str, Any] = {
        "programme_id": programme.id,
        "generated_at": now.isoformat(),
        "window": {"days": WINDOW_DAYS, "since": since.isoformat()},
    }
    return header | {name: figure(programme, now) for name, figure in registered(current_app).items()}


def activity(programme: Programme, now: datetime) -> dict[str, Any]:
    """Live pairs with a post, chat message or meeting in the window, and weekly message counts."""
    programme_id = programme.id
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
        sa.select(sa.func.count(), count_where(sa.or_(posted, chatted, met))).where(
            Match.programme_id == programme_id, Match.status.in_(statuses.CONFIRMED)
        )
    ).one()
    weeks = [(now - timedelta(days=7 * (n + 1)), now - timedelta(days=7 * n)) for n in range(WEEKS)]
    # Forum posts belong to the programme through their thread; chat messages through their match.
    posts = db.session.execute(
        sa.select(*(count_where(sa.and_(Post.created_at >= a, Post.created_at < b)) for a, b in weeks))
        .join(Thread, Thread.id == Post.thread_id)
        .where(Thread.programme_id == programme_id, Post.created_at >= weeks[-1][0], Post.created_at < now)
    ).one()
    chats = db.session.execute(
        sa.select(
            *(count_where(sa.and_(ChatMessage.created_at >= a, ChatMessage.created_at < b)) for a, b in weeks)
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
            {
                "week": n + 1,
                "starts_at": a.isoformat(),
                "ends_at": b.isoformat(),
                "posts": posts[n],
                "chat_messages": chats[n],
            }
            for n, (a, b) in enumerate(weeks)
        ],
    }


def gradebook(programme: Programme, now: datetime) -> dict[str, int]:
    """Scores of the programme's course for the LMS gradebook, by whether they got there yet."""
    row = db.session.execute(
        sa.select(
            count_where(ScoreOutbox.state == DeliveryState.DELIVERED),
            count_where(ScoreOutbox.state.in_(WAITING)),
            count_where(ScoreOutbox.state == DeliveryState.FAILED),
        )
        .join(GradeLineItem, GradeLineItem.id == ScoreOutbox.line_item_id)
        .where(GradeLineItem.course_id == programme.course_id)
    ).one()
    return {"delivered": row[0], "waiting": row[1], "failed": row[2]}
