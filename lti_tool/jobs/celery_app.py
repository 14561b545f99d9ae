"""Celery integration for production (``JOBS_BACKEND="celery"``).

The durable ``job`` table stays the source of truth: a beat schedule sends ``ritmo.dispatch`` about
every second, and ``ritmo.arm_periodic`` once per period of each periodic task (``periodic.py``).
Dispatch claims due jobs (with their lease, as the in-process runner does) and sends one
``ritmo.run_job`` task per job id, which runs the very same task function. A lost broker message or a
dead worker only delays a job until its lease runs out; nothing is lost.

Run with ``celery -A lti_tool.jobs.celery_app worker`` and ``celery -A lti_tool.jobs.celery_app beat``
(settings from ``LTI_TOOL_*``: ``CELERY_BROKER_URL`` or ``REDIS_URL``).
"""

from __future__ import annotations

from typing import Any

from celery import Celery, signals
from flask import Flask

from lti_tool.db import db
from lti_tool.inbound.receiver import start_receiver, stop_receiver
from lti_tool.jobs import periodic
from lti_tool.jobs.runner import claim_due_jobs, run_job

DISPATCH_INTERVAL_SECONDS = 1.0
DISPATCH_BATCH = 200
DISPATCH_TASK = "ritmo.dispatch"
RUN_JOB_TASK = "ritmo.run_job"
ARM_TASK = "ritmo.arm_periodic"


def beat_entries(schedule: tuple[periodic.Periodic, ...]) -> dict[str, dict[str, Any]]:
    """Celery beat entries for the periodic tasks (the in-process runner reads the same schedule)."""
    return {
        f"ritmo-periodic:{period.task}": {
            "task": ARM_TASK,
            "schedule": period.every.total_seconds(),
            "args": (period.task,),
        }
        for period in schedule
    }


def broker_url(app: Flask) -> str:
    url = app.config["CELERY_BROKER_URL"] or app.config["REDIS_URL"]
    if not url:
        raise RuntimeError(
            "JOBS_BACKEND is 'celery' but no broker is set: set LTI_TOOL_CELERY_BROKER_URL or "
            "LTI_TOOL_REDIS_URL (e.g. redis://127.0.0.1:6379/0)."
        )
    return str(url)


def make_celery(app: Flask, **conf: Any) -> Celery:
    """A Celery app bound to a Ritmo app: its tasks run inside that app's context."""
    celery = Celery("ritmo", broker=broker_url(app), set_as_current=False)
    celery.conf.update(
        task_ignore_result=True,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        beat_schedule={
            "ritmo-dispatch": {"task": DISPATCH_TASK, "schedule": DISPATCH_INTERVAL_SECONDS},
            **beat_entries(periodic.SCHEDULE),
        },
    )
    celery.conf.update(app.config["CELERY_CONFIG"])
    celery.conf.update(conf)

    @celery.task(name=DISPATCH_TASK, shared=False)
    def dispatch() -> int:
        """Claim what is due in the job table and hand each job to a worker."""
        with app.app_context():
            try:
                ids = claim_due_jobs(DISPATCH_BATCH)
            finally:
                db.session.remove()
        for job_id in ids:
            run_job_task.delay(job_id)
        return len(ids)

    @celery.task(name=ARM_TASK, shared=False)
    def arm(task_name: str) -> bool:
        """Beat's half of a periodic task: arm its job row; ``dispatch`` runs it within a second."""
        with app.app_context():
            try:
                armed = periodic.arm(periodic.by_task(task_name))
                db.session.commit()
                return armed
            finally:
                db.session.remove()

    @celery.task(name=RUN_JOB_TASK, shared=False)
    def run_job_task(job_id: int) -> str:
        with app.app_context():
            try:
                return run_job(job_id).value
            finally:
                db.session.remove()

    _receive_replies_in_worker(celery, app)
    celery.flask_app = app
    return celery


def _receive_replies_in_worker(celery: Celery, app: Flask) -> None:
    """A worker of this Celery app also runs the SMTP receiver of replies by e-mail (when
    ``INBOUND_MAIL_DOMAIN`` is set); beat does not."""

    def started(sender: Any = None, **_kwargs: Any) -> None:
        if getattr(sender, "app", None) is celery:
            start_receiver(app)

    def stopping(sender: Any = None, **_kwargs: Any) -> None:
        if getattr(sender, "app", None) is celery:
            stop_receiver(app)

    signals.worker_ready.connect(started, weak=False)
    signals.worker_shutdown.connect(stopping, weak=False)


_default: Celery | None = None


def default_celery() -> Celery:
    """The Celery app of ``celery -A lti_tool.jobs.celery_app``, built from the environment."""
    global _default
    if _default is None:
        from lti_tool import create_app

        _default = make_celery(create_app())
    return _default


def __getattr__(name: str) -> Any:
    # Celery's ``-A module`` looks for ``celery`` (or ``app``): build it only when asked.
    if name in ("celery", "app"):
        return default_celery()
    raise AttributeError(name)
