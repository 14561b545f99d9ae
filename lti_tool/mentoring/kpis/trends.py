"""Each figure's value per day: the daily task (``kpis.snapshots``) stores every catalogue figure of
every programme once a day, and back-fills the days before, up to :data:`BACKFILL_DAYS`, for the
figures computable from timestamps (:data:`.measures.HISTORICAL` and the survey figures). The
charts read these rows only, so a trend costs one indexed read however big the programme is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.mentoring.kpis import catalogue
from lti_tool.mentoring.kpis.models import KpiSnapshot
from lti_tool.mentoring.programmes.models import Participant, Programme

TASK = "kpis.snapshots"
BACKFILL_DAYS = 90
TREND_DAYS = 90


def end_of(day: date) -> datetime:
    """The first instant after ``day`` (UTC): a past day's value is the value as of then."""
    return datetime.combine(day + timedelta(days=1), time.min, UTC)


def _stored_days(programme_id: int, since: date) -> set[tuple[str, date]]:
    rows = db.session.execute(
        sa.select(KpiSnapshot.kpi, KpiSnapshot.day).where(
            KpiSnapshot.programme_id == programme_id, KpiSnapshot.day >= since
        )
    ).all()
    return {(kpi, day) for kpi, day in rows}


def snapshot(programme: Programme, now: datetime) -> int:
    """Store today's value of every figure not stored yet today, and back-fill the missing past
    days of the historical ones. Returns the rows written; the caller commits."""
    today = now.date()
    first = db.session.execute(
        sa.select(sa.func.min(Participant.created_at)).where(Participant.programme_id == programme.id)
    ).scalar_one()
    earliest = max(today - timedelta(days=BACKFILL_DAYS), first.date() if first else today)
    stored = _stored_days(programme.id, earliest)
    rows: list[dict[str, Any]] = []
    missing_today = [k.key for k in catalogue.CATALOGUE if (k.key, today) not in stored]
    if missing_today:
        for key, value in catalogue.values(programme.id, now, missing_today).items():
            rows.append(
                {"programme_id": programme.id, "kpi": key, "day": today, "value": value, "backfilled": False}
            )
    day = earliest
    while day < today:
        keys = [k.key for k in catalogue.CATALOGUE if k.historical and (k.key, day) not in stored]
        if keys:
            for key, value in catalogue.values(programme.id, end_of(day), keys).items():
                rows.append(
                    {"programme_id": programme.id, "kpi": key, "day": day, "value": value, "backfilled": True}
                )
        day += timedelta(days=1)
    if rows:
        db.session.execute(sa.insert(KpiSnapshot), rows)
    return len(rows)


def snapshots_task(payload: dict[str, Any]) -> None:
    """The periodic job: every programme, one transaction each."""
    now = utcnow()
    for programme_id in list(db.session.execute(sa.select(Programme.id)).scalars()):
        snapshot(db.session.get_one(Programme, programme_id), now)
        db.session.commit()


def series(
    programme_id: int, key: str, now: datetime, days: int = TREND_DAYS
) -> list[tuple[date, float | None]]:
    """The stored daily values of ``key`` over the last ``days`` days, oldest first."""
    since = now.date() - timedelta(days=days)
    rows = db.session.execute(
        sa.select(KpiSnapshot.day, KpiSnapshot.value)
        .where(KpiSnapshot.programme_id == programme_id, KpiSnapshot.kpi == key, KpiSnapshot.day >= since)
        .order_by(KpiSnapshot.day)
    ).all()
    return [(day, value) for day, value in rows]
