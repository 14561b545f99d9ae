"""Claiming and running due jobs; the in-process runner of the embedded mode.

Claiming is a short transaction of its own: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets many
workers share the table; SQLite has one writer anyway. A claimed job carries a lease
(``locked_until``): if its runner dies, the job becomes claimable again when the lease runs out.
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from lti_tool.db import db, utcnow
from lti_tool.jobs import periodic
from lti_tool.jobs.models import Job, JobState
from lti_tool.jobs.registry import TASKS, RetryLater

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 3600.0


def backoff_delay(attempts: int) -> float:
    """Exponential backoff with full jitter, capped."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


def claim_due_jobs(limit: int = 50, task_names: list[str] | None = None) -> list[int]:
    now = utcnow()
    due = sa.or_(
        sa.and_(Job.state == JobState.QUEUED, Job.run_at <= now),
        sa.and_(Job.state == JobState.RUNNING, Job.locked_until < now),
    )
    query = sa.select(Job).where(due).order_by(Job.run_at, Job.id).limit(limit)
    if task_names:
        query = query.where(Job.task.in_(task_names))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    jobs = db.session.execute(query).scalars().all()
    for job in jobs:
        job.state = JobState.RUNNING
        job.locked_until = now + LEASE
    ids = [job.id for job in jobs]
    db.session.commit()
    return ids


def run_job(job_id: int) -> JobState:
    """Run one claimed job in its own transaction and record the outcome."""
    job = db.session.get(Job, job_id)
    if job is None or job.state in (JobState.DONE, JobState.FAILED):
        db.session.rollback()
        return JobState.DONE if job is None else job.state
    fn = TASKS.get(job.task)
    task_name, payload = job.task, dict(job.payload)
    try:
        if fn is None:
            raise LookupError(f"no task registered as {task_name!r}")
        fn(payload)
        db.session.commit()
    except RetryLater as later:
        db.session.rollback()
        return _reschedule(job_id, str(later), later.run_at, count_attempt=False)
    except Exception as error:
        db.session.rollback()
        log.warning("job %s (%s) failed: %s", job_id, task_name, error)
        return _reschedule(job_id, f"{type(error).__name__}: {error}", None, count_attempt=True)
    job = db.session.get(Job, job_id)
    if job is not None:
        job.state = JobState.DONE
        job.finished_at = utcnow()
        job.locked_until = None
        db.session.commit()
    return JobState.DONE


def _reschedule(job_id: int, error: str, run_at, *, count_attempt: bool) -> JobState:
    job = db.session.get(Job, job_id)
    if job is None:
        return JobState.DONE
    job.last_error = error[:4000]
    job.locked_until = None
    if count_attempt:
        job.attempts += 1
    if job.attempts >= job.max_attempts:
        job.state = JobState.FAILED
        job.finished_at = utcnow()
    else:
        job.state = JobState.QUEUED
        job.run_at = run_at or utcnow() + timedelta(seconds=backoff_delay(job.attempts))
    db.session.commit()
    return job.state


def run_due_jobs(limit: int = 50, task_names: list[str] | None = None) -> int:
    """Claim and run what is due now; returns how many jobs ran."""
    ids = claim_due_jobs(limit, task_names)
    for job_id in ids:
        run_job(job_id)
    return len(ids)


def drain(max_rounds: int = 1000, task_names: list[str] | None = None) -> int:
    """Run due jobs until none is due (tests, CLI). Jobs scheduled for later are left alone."""
    total = 0
    for _ in range(max_rounds):
        ran = run_due_jobs(task_names=task_names)
        if not ran:
            break
        total += ran
    return total


class InlineRunner:
    """A daemon thread polling the job table: the embedded mode's worker, and its scheduler of
    periodic tasks (what Celery beat does in production)."""

    def __init__(self, app: Flask, poll_seconds: float = 0.5):
        self.app = app
        self.poll_seconds = poll_seconds
        self.schedule: tuple[periodic.Periodic, ...] = periodic.SCHEDULE
        self._next_arm: dict[str, datetime] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ritmo-jobs", daemon=True)

    def start(self) -> InlineRunner:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            ran = 0
            try:
                with self.app.app_context():
                    self.arm_periodic()
                    ran = run_due_jobs()
                    db.session.remove()
            except Exception:
                log.exception("job runner round failed")
            if not ran:
                self._stop.wait(self.poll_seconds)

    def arm_periodic(self, now: datetime | None = None) -> None:
        """Arm each periodic task whose period began since this runner last did (a write once
        per period, not once per poll)."""
        now = now or utcnow()
        due = [p for p in self.schedule if self._next_arm.get(p.task, now) <= now]
        for period in due:
            periodic.arm(period, now)
            self._next_arm[period.task] = periodic.period_start(period, now) + period.every
        if due:
            db.session.commit()
