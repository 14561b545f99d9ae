"""A delivery worker's leases: kept while it lives, back within one lease once it is killed.

The worker is a real process (``multiprocessing``, spawned) posting to the demo LMS's real AGS
server on 127.0.0.1, slowed down so that its batch outlives the lease; the test kills it with
SIGKILL half-way, as the OOM killer or a lost container would.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.db import db, utcnow
from lti_tool.grades import delivery, leases
from lti_tool.grades.models import DeliveryState, ScoreOutbox
from tests.grades import crash_worker
from tests.grades.factory import FAST_GRADES, deliver_all, demo_lms
from tests.grades.test_delivery import complete_all, graded_world

LEASE = 2.0
RENEW = 0.4
SLOW_LMS = 0.5  # seconds per AGS request


@pytest.fixture
def app_config() -> dict[str, object]:
    return {
        **FAST_GRADES,
        "GRADES_LEASE_SECONDS": LEASE,
        "GRADES_LEASE_RENEW_SECONDS": RENEW,
        "GRADES_DELIVERY_THREADS": 1,
    }


def _count(*states: DeliveryState) -> int:
    n = db.session.execute(
        sa.select(sa.func.count()).select_from(ScoreOutbox).where(ScoreOutbox.state.in_(states))
    ).scalar_one()
    db.session.remove()  # no read transaction left open against the worker's writes
    return int(n)


def _wait(what: Callable[[], bool], seconds: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if what():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"still waiting after {seconds} s")


def test_production_leases_return_a_dead_workers_scores_within_30_seconds(app: Flask) -> None:
    from config import default

    assert default.GRADES_LEASE_SECONDS <= 30
    assert default.GRADES_LEASE_RENEW_SECONDS * 3 <= default.GRADES_LEASE_SECONDS  # beats to spare


def test_a_killed_worker_returns_its_scores_within_a_lease_and_a_live_one_keeps_them(app: Flask) -> None:
    with demo_lms() as lms:
        world, milestone_id = graded_world(lms, matches=6)
        complete_all(world, milestone_id)
        platform_id = world.platform.id
        lms.faults(delay_seconds=SLOW_LMS, targets=["ags"])
        db.session.remove()
        worker = multiprocessing.get_context("spawn").Process(
            target=crash_worker.deliver,
            args=({**app.config, "SQLALCHEMY_ENGINE_OPTIONS": {}}, platform_id),
            daemon=True,
        )
        worker.start()
        try:
            _wait(lambda: _count(DeliveryState.SENDING) == 6, 60)
            # The batch takes far longer than a lease (6 posts at 0.5 s after the line item):
            # while the worker lives, its heartbeat keeps every row its own.
            time.sleep(LEASE * 1.5)
            assert worker.is_alive()
            assert delivery.claim(platform_id, 100) == []
            db.session.remove()
            _wait(lambda: lms.stats().get("score_posts", 0) >= 2, 30)
        finally:
            worker.kill()
            worker.join(10)
        killed_at = utcnow()
        assert worker.exitcode == -9
        # Within one lease (and a beat) of the kill, what it held is claimable again: the leases it
        # left end by then (read from the rows, not timed: the machine may be slow).
        leased = db.session.execute(
            sa.select(sa.func.max(ScoreOutbox.lease_until)).where(ScoreOutbox.state == DeliveryState.SENDING)
        ).scalar_one()
        db.session.remove()
        assert leased is not None and leased <= killed_at + timedelta(seconds=LEASE + RENEW)
        returned: list[delivery.Claimed] = []

        def claimable() -> bool:
            returned.extend(delivery.claim(platform_id, 100))
            db.session.remove()
            return bool(returned)

        _wait(claimable, 60)
        lms.faults()  # healthy again
        delivery.record(delivery.send(platform_id, returned))
        deliver_all(app, 30)
    assert _count(DeliveryState.DELIVERED) == 6
    scores = lms.book()[f"ritmo:milestone:{milestone_id}"]
    assert {rec.latest["scoreGiven"] for rec in scores.values()} == {10}
    assert len(scores) == 6
    # Only the post in flight at the kill can have reached the LMS twice (one thread).
    assert sum(rec.posts for rec in scores.values()) <= 7
    assert all(rec.stale_ignored == 0 for rec in scores.values())


def test_the_heartbeat_renews_only_rows_still_being_sent(app: Flask) -> None:
    with demo_lms() as lms:
        world, milestone_id = graded_world(lms, matches=2)
        complete_all(world, milestone_id)
        claimed = delivery.claim(world.platform.id, 100)
        ids = [c.id for c in claimed]
        first = db.session.execute(sa.select(ScoreOutbox.lease_until)).scalars().all()
        db.session.remove()
        with leases.Heartbeat(ids) as beat:
            _wait(lambda: beat.beats >= 2, 30)
        later = db.session.execute(sa.select(ScoreOutbox.lease_until)).scalars().all()
        assert all(b is not None and a is not None and b > a for a, b in zip(first, later, strict=True))
        db.session.execute(
            sa.update(ScoreOutbox)
            .where(ScoreOutbox.id == ids[0])
            .values(state=DeliveryState.DELIVERED, lease_until=None)
        )
        db.session.commit()
        assert leases.renew(ids, LEASE) == 1
