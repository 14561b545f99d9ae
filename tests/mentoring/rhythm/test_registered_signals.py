"""Signals other features register (``health.register_signal``): their reasons join the pair's own,
count towards its state, are said in words, and make the daily run look at the pair even when its
schedule would skip it; members' hints never show them; a failing signal costs only its reasons."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from lti_tool.db import db, utcnow
from lti_tool.mentoring.rhythm.escalation import run_programme
from lti_tool.mentoring.rhythm.health import (
    HealthState,
    Reason,
    pair_health,
    register_signal,
    unregister_signal,
)
from lti_tool.mentoring.rhythm.models import PairRhythm
from lti_tool.mentoring.rhythm.overview import stored_hints
from tests.mentoring.conversations.factories import World
from tests.mentoring.rhythm.conftest import chat, days_later, propose_meeting

flagged: dict[int, list[Reason]] = {}


def _reasons(programme_id: int, now: datetime) -> dict[int, list[Reason]]:
    return dict(flagged)


def _broken(programme_id: int, now: datetime) -> dict[int, list[Reason]]:
    raise RuntimeError("a bug in another feature")


@pytest.fixture
def signal() -> Iterator[None]:
    flagged.clear()
    register_signal("test_signal", _reasons, lambda p: f"Flagged by a test ({p['score']}).")
    yield
    unregister_signal("test_signal")
    unregister_signal("test_broken")
    flagged.clear()


def _lively(client, world: World) -> None:
    chat(client, world, world.mentor, "hello")
    chat(client, world, world.mentee, "hi!")
    propose_meeting(client, world, in_days=3)


def test_a_registered_signal_slows_an_otherwise_healthy_pair(client, world: World, signal) -> None:
    _lively(client, world)
    health = pair_health(world.match.id, days_later(1))
    assert health is not None and health.state is HealthState.ON_TRACK
    flagged[world.match.id] = [Reason("test_signal", 1, {"score": 2.1})]
    health = pair_health(world.match.id, days_later(1))
    assert health is not None
    assert health.state is HealthState.SLOWING
    assert health.reasons == ["Flagged by a test (2.1)."]
    # Another pair of the programme is not touched.
    other = pair_health(world.other_match.id, days_later(1))
    assert other is not None and "test_signal" not in [r.code for r in other.signals]


def test_the_daily_run_looks_at_a_flagged_pair_its_schedule_would_skip(client, world: World, signal) -> None:
    _lively(client, world)
    start = utcnow()
    run_programme(world.programme, start)
    db.session.commit()
    row = db.session.get(PairRhythm, world.match.id)
    assert row is not None and row.state == HealthState.ON_TRACK.value
    assert row.next_check_at is not None and row.next_check_at > days_later(0.5, start)
    flagged[world.match.id] = [Reason("test_signal", 1, {"score": 1.5})]
    run_programme(world.programme, days_later(0.1, start))  # before the pair's next check
    db.session.commit()
    db.session.refresh(row)
    assert row.state == HealthState.SLOWING.value
    assert [r["code"] for r in row.reasons] == ["test_signal"]
    # The members' hints say nothing of it (it may come from their partner's answers).
    assert stored_hints(world.match.id, world.mentor.id) == []
    flagged.clear()  # the signal goes away: the pair (not on track, so looked at daily) recovers
    run_programme(world.programme, days_later(0.2, start))
    db.session.commit()
    db.session.refresh(row)
    assert row.state == HealthState.ON_TRACK.value


def test_a_failing_signal_costs_only_its_own_reasons(client, world: World, signal) -> None:
    _lively(client, world)
    register_signal("test_broken", _broken, lambda p: "never")
    flagged[world.match.id] = [Reason("test_signal", 1, {"score": 2.0})]
    health = pair_health(world.match.id, days_later(1))
    assert health is not None and [r.code for r in health.signals] == ["test_signal"]
