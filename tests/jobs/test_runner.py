"""The durable job runner: retries with backoff, RetryLater, leases of dead runners."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.jobs import enqueue, register_task
from lti_tool.jobs.models import Job, JobState
from lti_tool.jobs.registry import RetryLater
from lti_tool.jobs.runner import claim_due_jobs, drain, run_due_jobs

calls: list[dict] = []


def record(payload: dict) -> None:
    calls.append(payload)


def flaky(payload: dict) -> None:
    calls.append(payload)
    if len(calls) < payload["succeed_on"]:
        raise ConnectionError("service unavailable")


def later(payload: dict) -> None:
    calls.append(payload)
    if len(calls) == 1:
        raise RetryLater("rate limited", utcnow() + timedelta(seconds=30))


def setup_function() -> None:
    calls.clear()
    register_task("test.record", record)
    register_task("test.flaky", flaky)
    register_task("test.later", later)


def job() -> Job:
    return db.session.execute(sa.select(Job)).scalar_one()


def test_job_runs_once_after_commit(app):
    enqueue("test.record", {"n": 1})
    db.session.commit()
    assert drain() == 1 and drain() == 0
    assert calls == [{"n": 1}] and job().state is JobState.DONE


def test_uncommitted_job_never_runs(app):
    enqueue("test.record", {"n": 1})
    db.session.rollback()
    assert drain() == 0 and calls == []


def test_failure_is_retried_with_backoff_then_fails_for_good(app):
    enqueue("test.flaky", {"succeed_on": 99}, max_attempts=3)
    db.session.commit()
    assert run_due_jobs() == 1
    first = job()
    assert first.state is JobState.QUEUED and first.attempts == 1
    assert first.run_at > utcnow() and "ConnectionError" in first.last_error
    for _ in range(2):
        first.run_at = utcnow()
        db.session.commit()
        run_due_jobs()
        first = job()
    assert first.state is JobState.FAILED and first.attempts == 3


def test_retry_later_does_not_count_as_an_attempt(app):
    enqueue("test.later", {})
    db.session.commit()
    run_due_jobs()
    queued = job()
    assert queued.state is JobState.QUEUED and queued.attempts == 0
    assert queued.run_at > utcnow() + timedelta(seconds=20)


def test_a_dead_runners_job_is_claimed_again_after_its_lease(app):
    enqueue("test.record", {"n": 2})
    db.session.commit()
    assert len(claim_due_jobs()) == 1  # claimed, then the runner "dies"
    assert drain() == 0
    stuck = job()
    stuck.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert drain() == 1 and calls == [{"n": 2}]


def test_dedupe_key_queues_once(app):
    enqueue("test.record", {"n": 1}, dedupe_key="digest:1:2026-11-27")
    db.session.commit()
    assert enqueue("test.record", {"n": 1}, dedupe_key="digest:1:2026-11-27") is None
