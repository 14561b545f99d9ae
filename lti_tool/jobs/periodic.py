"""Periodic tasks: one schedule, read by both schedulers (the in-process runner and Celery beat).

A scheduler does not run a periodic task itself: it *arms* the task's single row in the job table
(``dedupe_key = "periodic:<task>"``) once per period, and the job runs like any other, with the
table's leases and retries. Arming is one conditional statement, so the task runs once per period
however many schedulers there are (every gunicorn process has an in-process runner; a beat
restarted twice in a minute is harmless too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from lti_tool.db import db, utcnow
from lti_tool.jobs.models import Job, JobState


@dataclass(frozen=True)
class Periodic:
    task: str
    every: timedelta


#: Every periodic task, in both modes. Tasks that reschedule themselves (``grades.sweep``,
#: ``notifications.digest``) are not here: they queue their next run as they finish.
SCHEDULE: tuple[Periodic, ...] = (
    # A safety net for the reminders each webinar schedules for itself: it catches those whose
    # job was missed (a webinar moved close to its start, a runner that was down at the time).
    Periodic("webinars.reminder_sweep", timedelta(minutes=5)),
    # The match lifecycle: approved matches start, mid-point check-ins, the programme's end (matching).
    Periodic("matching.lifecycle_round", timedelta(hours=1)),
    # Support requests near or past their response-time target: one reminder each (support).
    Periodic("support.reminders", timedelta(minutes=15)),
    # The coordinators' attention digest: hourly, it sends from the digest hour on, once a day each.
    Periodic("attention.digest", timedelta(hours=1)),
    # Milestones and goals near or past due, profiles incomplete before matching (nudges).
    Periodic("nudges.daily", timedelta(days=1)),
    # Every live pair's health against its programme's cadence, and the nudges it calls for.
    Periodic("rhythm.daily", timedelta(days=1)),
    # Launches' ``last_seen_at`` noted in the shared cache, written in bulk (launch).
    Periodic("launch.last_seen", timedelta(minutes=1)),
    # Signed webhook deliveries that are due: new events and retries (webhooks).
    Periodic("webhooks.deliver", timedelta(minutes=1)),
    # Sign-in links of e-mails a week past their expiry are deleted (notifications).
    Periodic("notifications.purge_links", timedelta(days=1)),
    # Every programme's catalogue figures, once a day, for the KPI trends (kpis).
    Periodic("kpis.snapshots", timedelta(days=1)),
    # Scheduled surveys that fall due (baselines, pulses, the programme's end) and their reminders.
    Periodic("surveys.schedules", timedelta(hours=1)),
    # Posts' attachment files whose row is gone (erasure, a deleted match or thread) (attachments).
    Periodic("attachments.sweep", timedelta(hours=1)),
    # Calls made with API keys, past their retention period (api).
    Periodic("api_keys.purge_uses", timedelta(days=1)),
)


def period_start(period: Periodic, now: datetime) -> datetime:
    """The start of the period ``now`` falls in; periods are aligned on the Unix epoch."""
    step = period.every.total_seconds()
    return datetime.fromtimestamp(now.timestamp() // step * step, UTC)


def arm(period: Periodic, now: datetime | None = None) -> bool:
    """Queue ``period.task`` for the current period unless it is queued, running, or its last run
    was scheduled within this period already. Returns whether it was queued. The caller commits."""
    start = period_start(period, now or utcnow())
    key = f"periodic:{period.task}"
    rearmed = db.session.execute(
        sa.update(Job)
        .where(
            Job.dedupe_key == key,
            Job.state.in_([JobState.DONE, JobState.FAILED]),
            Job.run_at < start,
        )
        .values(
            state=JobState.QUEUED,
            run_at=start,
            attempts=0,
            last_error=None,
            locked_until=None,
            finished_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    assert isinstance(rearmed, CursorResult)
    if rearmed.rowcount:
        return True
    exists = db.session.execute(sa.select(Job.id).where(Job.dedupe_key == key)).first()
    if exists is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(Job(task=period.task, payload={}, run_at=start, dedupe_key=key))
    except IntegrityError:
        return False  # another scheduler created it a moment ago
    return True


def by_task(task: str) -> Periodic:
    for period in SCHEDULE:
        if period.task == task:
            return period
    raise LookupError(f"{task!r} is not a periodic task")
