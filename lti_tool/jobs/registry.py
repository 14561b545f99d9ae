"""The task registry and enqueueing.

A feature registers its tasks from its ``init_app`` with :func:`register_task`; nothing registers
at import. The registry is per process (the runner and Celery workers look names up in it) and
registering the same function again is a no-op, so building many apps in one process is safe.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.jobs.models import Job, JobState

TaskFn = Callable[[dict[str, Any]], None]
TASKS: dict[str, TaskFn] = {}


class RetryLater(Exception):
    """Raised by a task that wants to run again at a given time (e.g. after ``Retry-After``)."""

    def __init__(self, reason: str, run_at: datetime):
        super().__init__(reason)
        self.run_at = run_at


def register_task(name: str, fn: TaskFn) -> None:
    """Run ``fn`` for jobs called ``name`` (a stable name: it is stored in job rows).

    Registering the same function again is a no-op; another function under a taken name is a
    mistake that would silently change what queued jobs do, so it raises.
    """
    known = TASKS.get(name)
    if known is not None and known is not fn:
        raise ValueError(f"task {name!r} is already registered to {known.__module__}.{known.__qualname__}")
    TASKS[name] = fn


def enqueue(
    task_name: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 8,
) -> Job | None:
    """Add a job to the current transaction. With ``dedupe_key``, a key already queued is a no-op."""
    if task_name not in TASKS:
        raise LookupError(f"unknown task {task_name!r}")
    if dedupe_key is not None:
        existing = db.session.execute(
            sa.select(Job.id).where(Job.dedupe_key == dedupe_key)
        ).scalar_one_or_none()
        if existing is not None:
            return None
    job = Job(
        task=task_name,
        payload=payload or {},
        run_at=run_at or utcnow(),
        dedupe_key=dedupe_key,
        max_attempts=max_attempts,
        state=JobState.QUEUED,
    )
    db.session.add(job)
    return job
