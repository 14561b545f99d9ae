"""The roster sync as other features see it (a public module): whether the programme's last sync
failed, and starting a new one. The attention list reads it to show failed syncs with a retry.

A sync fails in two ways: the LMS answers with an error (the sync task writes it, with the tries
so far and the next one, into the programme's ``settings["roster_sync"]``: ``failures.py``), or
the job itself breaks (it ends ``failed``). Either counts until a later sync succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.identity.context import LaunchContext
from lti_tool.jobs.models import Job, JobState
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.roster.service import SYNC_TASK, start_sync

#: Sync jobs looked at per question, newest first (across programmes: syncs are rare).
RECENT_FAILED_JOBS = 50


@dataclass(frozen=True)
class SyncFailure:
    at: datetime
    error: str
    retry_queued: bool  # a new sync is waiting or running
    tries: int = 1  # failed tries in a row
    retry_at: datetime | None = None  # when Ritmo tries again by itself; None: it stopped


def last_failure(programme: Programme) -> SyncFailure | None:
    """The programme's latest failed sync, unless a sync succeeded after it."""
    last = (programme.settings or {}).get("roster_sync") or {}
    last_at = _parse(last.get("at"))
    failure: SyncFailure | None = None
    if last_at is not None and last.get("error"):
        failure = SyncFailure(
            at=last_at,
            error=str(last["error"]),
            retry_queued=False,
            tries=int(last.get("tries") or 1),
            retry_at=None if last.get("gave_up") else _parse(last.get("retry_at")),
        )
    for job in _jobs(JobState.FAILED, programme_id=programme.id):
        at = job.finished_at or job.run_at
        newer_than_last = last_at is None or at > last_at
        if newer_than_last and (failure is None or at > failure.at):
            failure = SyncFailure(at=at, error=job.last_error or "", retry_queued=False, tries=job.attempts)
    if failure is None:
        return None
    pending = any(True for _ in _jobs(JobState.QUEUED, JobState.RUNNING, programme_id=programme.id))
    return replace(failure, retry_queued=pending)


def start(ctx: LaunchContext, programme: Programme) -> None:
    """Queue a sync of the programme's course now (commits); refused when the LMS shares no roster."""
    start_sync(ctx, programme)


def _jobs(*states: JobState, programme_id: int | None = None) -> list[Job]:
    rows = db.session.execute(
        sa.select(Job)
        .where(Job.task == SYNC_TASK, Job.state.in_(states))
        .order_by(Job.id.desc())
        .limit(RECENT_FAILED_JOBS)
    ).scalars()
    return [job for job in rows if programme_id is None or _programme_of(job) == programme_id]


def _programme_of(job: Job) -> int | None:
    value = (job.payload or {}).get("programme_id")
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
