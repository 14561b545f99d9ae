"""Meetings' KPI figure: held in the window and upcoming (:mod:`..kpis.figures`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.kpis.figures import WINDOW_DAYS, count_where
from lti_tool.mentoring.meetings.models import TAKING_PLACE, Meeting, MeetingStatus
from lti_tool.mentoring.programmes.models import Programme


def meetings(programme: Programme, now: datetime) -> dict[str, int]:
    since = now - timedelta(days=WINDOW_DAYS)
    row = db.session.execute(
        sa.select(
            count_where(sa.and_(Meeting.starts_at >= since, Meeting.starts_at < now)),
            count_where(sa.and_(Meeting.status == MeetingStatus.CONFIRMED, Meeting.starts_at >= now)),
        ).where(
            Meeting.programme_id == programme.id,
            Meeting.status.in_(TAKING_PLACE),
            Meeting.starts_at >= since,
        )
    ).one()
    return {"held_last_30_days": row[0], "upcoming": row[1]}
