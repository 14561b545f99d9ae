"""Periodic tasks: the in-process runner and Celery beat keep the same schedule; once per period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.jobs import periodic
from lti_tool.jobs.celery_app import ARM_TASK, make_celery
from lti_tool.jobs.models import Job, JobState
from lti_tool.jobs.registry import TASKS
from lti_tool.jobs.runner import InlineRunner, drain

SWEEP = periodic.by_task("webinars.reminder_sweep")
NOON = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)  # in the past, so armed jobs are due


def beat_schedule(app) -> dict[str, timedelta]:
    """The periodic part of the beat schedule, as task name -> period."""
    app.config["CELERY_BROKER_URL"] = "memory://"
    entries = make_celery(app).conf.beat_schedule.values()
    return {e["args"][0]: timedelta(seconds=e["schedule"]) for e in entries if e["task"] == ARM_TASK}


def test_beat_and_the_inline_runner_schedule_the_same_tasks(app):
    inline = {p.task: p.every for p in InlineRunner(app).schedule}
    assert beat_schedule(app) == inline
    assert inline["webinars.reminder_sweep"] == timedelta(minutes=5)
    assert set(inline) <= set(TASKS), "a periodic task names no registered task"


def sweep_jobs() -> list[Job]:
    return list(db.session.execute(sa.select(Job).where(Job.task == SWEEP.task)).scalars())


def sweeper(app) -> InlineRunner:
    """A runner that schedules the sweep only (the other periodic tasks have periods of their own)."""
    runner = InlineRunner(app)
    runner.schedule = (SWEEP,)
    return runner


def test_a_periodic_task_runs_once_per_period_however_many_schedulers(app):
    runners = [sweeper(app), sweeper(app)]  # e.g. two gunicorn processes
    for runner in runners:
        runner.arm_periodic(NOON + timedelta(seconds=10))
    [job] = sweep_jobs()
    assert job.state is JobState.QUEUED and job.run_at == NOON
    assert drain() == 1 and sweep_jobs()[0].state is JobState.DONE
    # Later in the same period, nothing is armed again (also not by a fresh scheduler).
    for runner in [*runners, sweeper(app)]:
        runner.arm_periodic(NOON + timedelta(minutes=4))
    assert drain() == 0
    # The next period arms the same row again.
    runners[0].arm_periodic(NOON + timedelta(minutes=5, seconds=1))
    [job] = sweep_jobs()
    assert job.state is JobState.QUEUED and job.run_at == NOON + timedelta(minutes=5)
    assert drain() == 1


def test_a_queued_or_running_task_is_not_armed_twice(app):
    assert periodic.arm(SWEEP, NOON)
    db.session.commit()
    assert not periodic.arm(SWEEP, NOON + timedelta(minutes=30))  # still queued: it did not run
    db.session.commit()
    assert len(sweep_jobs()) == 1


def test_the_runner_writes_once_per_period_not_once_per_poll(app):
    runner = InlineRunner(app)
    runner.arm_periodic(NOON)
    db.session.execute(sa.delete(Job))
    db.session.commit()
    runner.arm_periodic(NOON + timedelta(minutes=4, seconds=59))
    assert sweep_jobs() == []
    runner.arm_periodic(NOON + timedelta(minutes=5))
    assert len(sweep_jobs()) == 1


def test_beat_arms_the_job_that_dispatch_then_runs(app):
    app.config["CELERY_BROKER_URL"] = "memory://"
    celery = make_celery(app)
    assert celery.tasks[ARM_TASK].apply(args=(SWEEP.task,)).get() is True
    assert celery.tasks[ARM_TASK].apply(args=(SWEEP.task,)).get() is False
    db.session.expire_all()
    [job] = sweep_jobs()
    assert job.state is JobState.QUEUED
    assert drain() == 1
