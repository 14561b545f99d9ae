"""Delivery through a real Celery worker on the local Redis (production's job backend)."""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.grades.models import DeliveryState, ScoreOutbox
from lti_tool.jobs.models import Job, JobState
from lti_tool.mentoring.goals import completion, milestones
from tests.conftest import REDIS_URL, need
from tests.grades.factory import FAST_GRADES, demo_lms, make_world


@pytest.fixture
def app_config() -> dict[str, object]:
    return {**FAST_GRADES, "JOBS_BACKEND": "celery", "GRADES_DELIVERY_THREADS": 2}


@pytest.fixture(autouse=True)
def root_log_level() -> Iterator[None]:
    """The embedded worker sets the root logger's level for the whole process: put it back."""
    level = logging.getLogger().level
    yield
    logging.getLogger().setLevel(level)


def test_scores_delivered_by_a_celery_worker(app) -> None:
    from celery.contrib.testing.worker import start_worker

    from lti_tool.jobs.celery_app import make_celery

    url = need(REDIS_URL, "Redis", "LTI_TOOL_TEST_REDIS_URL")
    # A queue of its own: other test runs may share this Redis.
    queue = f"ritmo-test-{os.getpid()}-{secrets.token_hex(4)}"
    app.config["CELERY_BROKER_URL"] = url
    celery = make_celery(app, task_default_queue=queue)
    with demo_lms(faults={"fail_rate": 0.3, "seed": 3}) as lms:
        world = make_world(lms.register(), matches=5, lineitems_url=lms.lineitems_url)
        milestone = milestones.create_milestone(
            world.coord,
            {
                "title": "First meeting",
                "graded": True,
                "points": 4,
                "requires_confirmation": False,
            },
        )
        for match, mentee in zip(world.matches, world.mentees, strict=True):
            completion.mark_done(world.ctx(mentee), match.id, milestone.id)
        milestone_id = milestone.id
        db.session.remove()
        with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            stop = time.monotonic() + 60
            while time.monotonic() < stop:
                celery.tasks["ritmo.dispatch"].delay()  # what beat sends every second
                time.sleep(0.3)
                waiting = db.session.execute(
                    sa.select(sa.func.count())
                    .select_from(ScoreOutbox)
                    .where(ScoreOutbox.state != DeliveryState.DELIVERED)
                ).scalar_one()
                db.session.remove()
                if not waiting:
                    break
        scores = lms.book()[f"ritmo:milestone:{milestone_id}"]
        assert {s: r.latest["scoreGiven"] for s, r in scores.items()} == {
            f"u-learner-{n:02d}": 4 for n in range(1, 6)
        }
        assert {r.posts for r in scores.values()} == {1}
    done = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Job)
        .where(Job.task == "grades.deliver", Job.state == JobState.DONE)
    ).scalar_one()
    assert done >= 1
