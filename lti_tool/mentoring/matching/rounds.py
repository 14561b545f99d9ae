"""The lifecycle's periodic round: start approved matches on the programme's start date, invite
pairs to check in at their mid-point and to close once their own planned end has passed, and
give notice of (then carry out) the programme's end.

Every step is idempotent (each match records what it was sent), so the round may run as often as
the scheduler likes; :data:`TASK` runs hourly (``jobs/periodic.py``). Each programme commits on its
own, so one programme's failure does not undo another's notices.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.mentoring.matching import closure, duration, lifecycle
from lti_tool.mentoring.matching.models import Match, MatchStatus
from lti_tool.mentoring.matching.statuses import CONFIRMED
from lti_tool.mentoring.programmes.models import Programme

TASK = "matching.lifecycle_round"
log = logging.getLogger(__name__)


def round_task(payload: dict[str, Any]) -> None:
    run_round()


def run_round(now: datetime | None = None) -> dict[str, int]:
    """One round over every programme with a match under way; returns what it did, summed."""
    now = now or utcnow()
    under_way = sa.select(Match.programme_id).where(Match.status.in_([*CONFIRMED, MatchStatus.APPROVED]))
    totals = {"started": 0, "checkins": 0, "planned_ends": 0, "noticed": 0, "closed": 0}
    programmes = db.session.execute(
        sa.select(Programme).where(Programme.id.in_(under_way)).order_by(Programme.id)
    ).scalars()
    for programme in list(programmes):
        totals["started"] += lifecycle.start_approved(programme, now)
        totals["checkins"] += duration.send_midpoints(programme, now)
        totals["planned_ends"] += duration.send_planned_ends(programme, now)
        for key, count in closure.programme_end(programme, now).items():
            totals[key] += count
        db.session.commit()
    if any(totals.values()):
        log.info("match lifecycle round: %s", totals)
    return totals
