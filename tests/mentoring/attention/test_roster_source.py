"""Failed roster syncs as the attention list sees them: a refusal the sync task recorded, or a sync
job that ran out of attempts; either stops counting once a later sync succeeds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lti_tool.db import db, utcnow
from lti_tool.jobs.models import Job, JobState
from lti_tool.mentoring.attention import registry
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.roster import syncs
from tests.mentoring.programmes.factories import World, world


@pytest.fixture
def w(app) -> World:
    return world()


def failed_job(programme_id: int, error: str, ago: timedelta) -> Job:
    at = utcnow() - ago
    job = Job(
        task="roster.sync",
        payload={"programme_id": programme_id, "by": None},
        state=JobState.FAILED,
        attempts=8,
        last_error=error,
        run_at=at,
        finished_at=at,
    )
    db.session.add(job)
    db.session.commit()
    return job


def roster_items(programme: Programme) -> list[registry.Item]:
    return [i for i in registry.gather(programme).items if i.source == "roster_sync"]


def test_a_sync_job_that_ran_out_of_attempts_is_listed_until_a_sync_succeeds(w: World) -> None:
    other = Programme(course_id=w.course.id, title="Other", settings={})
    db.session.add(other)
    db.session.commit()
    failed_job(other.id, "someone else's timeout", timedelta(minutes=5))
    assert roster_items(w.programme) == []

    failed_job(w.programme.id, "read timed out", timedelta(hours=2))
    [item] = roster_items(w.programme)
    assert item.key == "last" and "read timed out" in item.reason
    assert [a.name for a in item.actions] == ["retry"]

    # A sync that succeeded afterwards: nothing waits any more.
    w.programme.settings = {"roster_sync": {"at": utcnow().isoformat(), "members": 3, "added": 0}}
    db.session.commit()
    assert roster_items(w.programme) == [] and syncs.last_failure(w.programme) is None


def test_a_refusal_newer_than_the_last_success_counts(w: World) -> None:
    w.programme.settings = {"roster_sync": {"at": utcnow().isoformat(), "error": "invalid_client"}}
    db.session.commit()
    failure = syncs.last_failure(w.programme)
    assert failure is not None and failure.error == "invalid_client" and not failure.retry_queued
