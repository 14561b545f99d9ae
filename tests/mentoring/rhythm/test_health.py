"""Pair health from real activity: chat, meetings held and cancelled, overdue milestones, silence."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale

from lti_tool.db import db, utcnow
from lti_tool.mentoring.goals.models import Milestone
from lti_tool.mentoring.rhythm.health import SEVERITY, HealthState, pair_health, programme_health
from tests.mentoring.conversations.factories import World
from tests.mentoring.rhythm.conftest import chat, days_later, propose_meeting


def codes(health) -> list[str]:
    return [r.code for r in health.signals]


def test_a_pair_that_writes_and_has_a_meeting_planned_is_on_track(client, world: World) -> None:
    chat(client, world, world.mentor, "hello")
    chat(client, world, world.mentee, "hi!")
    propose_meeting(client, world, in_days=3)
    health = pair_health(world.match.id, days_later(2))
    assert health is not None
    assert health.state is HealthState.ON_TRACK and health.reasons == []


def test_a_message_left_unanswered_makes_the_pair_quiet_before_a_week_of_silence(
    client, world: World
) -> None:
    chat(client, world, world.mentee, "are you free on Monday?")
    propose_meeting(client, world, in_days=8)
    # Five days: the writing interval (7 days) is 70% gone and the mentee waits for an answer.
    health = pair_health(world.match.id, days_later(5.2))
    assert health is not None
    assert health.state is HealthState.QUIET
    assert set(codes(health)) == {"writing", "unanswered"}
    assert any("waited 5 days for a reply" in r for r in health.reasons)
    # The answer ends it.
    chat(client, world, world.mentor, "yes, Monday works")
    again = pair_health(world.match.id, days_later(1))
    assert again is not None and "unanswered" not in codes(again)


def test_reasons_are_in_italian_for_an_italian_reader(client, world: World) -> None:
    chat(client, world, world.mentee, "ciao")
    health = pair_health(world.match.id, days_later(5.2))
    assert health is not None
    with force_locale("it"):
        assert any("risposta" in r for r in health.reasons), health.reasons


def test_a_held_meeting_keeps_the_meeting_cadence_and_cancellations_slow_the_pair(
    client, world: World
) -> None:
    meeting = propose_meeting(client, world, in_days=1)
    slot = meeting["slots"][0]["id"]
    accepted = client.post(
        f"/api/meetings/{meeting['id']}/accept", headers=world.headers(world.mentee), json={"slot_id": slot}
    )
    assert accepted.status_code == 200
    chat(client, world, world.mentee, "see you")
    chat(client, world, world.mentor, "see you too")
    # Two days later the meeting is behind them.
    health = pair_health(world.match.id, days_later(2))
    assert health is not None and "meeting" not in codes(health)
    later = pair_health(world.match.id, days_later(12))
    assert later is not None and "meeting" not in codes(later)  # met on day 1: 11 days ago (< 14)
    overdue = pair_health(world.match.id, days_later(16))
    assert overdue is not None
    assert any("No meeting for 15 days and none planned" in r for r in overdue.reasons), overdue.reasons
    # Two cancelled meetings in the last weeks: an early signal of their own.
    for _ in range(2):
        other = propose_meeting(client, world, in_days=4)
        cancelled = client.post(
            f"/api/meetings/{other['id']}/cancel", headers=world.headers(world.mentee), json={"reason": "ill"}
        )
        assert cancelled.status_code == 200
    health = pair_health(world.match.id, days_later(2))
    assert health is not None and "cancelled" in codes(health)
    assert health.state is not HealthState.ON_TRACK


def test_an_overdue_milestone_is_a_reason(client, world: World) -> None:
    db.session.add(
        Milestone(
            programme_id=world.programme.id,
            title="First meeting summary",
            due_on=(utcnow() - timedelta(days=3)).date(),
        )
    )
    db.session.commit()
    chat(client, world, world.mentor, "hello")
    chat(client, world, world.mentee, "hello")
    health = pair_health(world.match.id, days_later(0.5))
    assert health is not None
    assert codes(health) == ["milestone"] and health.state is HealthState.SLOWING
    assert "1 milestone is overdue" in health.reasons[0]


def test_silence_for_two_writing_intervals_puts_the_pair_at_risk_and_the_list_is_worst_first(
    client, world: World
) -> None:
    chat(client, world, world.mentor, "hello")
    chat(client, world, world.mentee, "hello")
    other = world.other_match
    # The other match wrote nothing at all since it started (its start is its creation).
    healths = programme_health(world.programme, days_later(15))
    assert {h.match_id for h in healths} == {world.match.id, other.id}
    mine = next(h for h in healths if h.match_id == world.match.id)
    assert mine.state is HealthState.AT_RISK
    assert "writing" in codes(mine) and "meeting" in codes(mine)
    severities = [SEVERITY[h.state] for h in healths]
    assert severities == sorted(severities, reverse=True)


def test_an_ended_match_has_no_health(client, world: World) -> None:
    from lti_tool.mentoring.matching.models import MatchStatus

    world.match.status = MatchStatus.ENDED
    db.session.commit()
    assert pair_health(world.match.id, days_later(1)) is None
