"""The daily run looks again at an on-track pair only when its state can change: a threshold's time
(``next_check_at``) or something that can only worsen it (a cancellation, a new milestone)."""

from __future__ import annotations

from datetime import timedelta

from lti_tool.db import db, utcnow
from lti_tool.jobs import enqueue
from lti_tool.jobs.periodic import by_task
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.goals.models import Milestone
from lti_tool.mentoring.rhythm.escalation import TASK, run_programme
from lti_tool.mentoring.rhythm.models import PairRhythm, RhythmScan
from tests.mentoring.conversations.factories import World
from tests.mentoring.rhythm.conftest import chat, propose_meeting


def row(world: World) -> PairRhythm:
    db.session.expire_all()
    found = db.session.get(PairRhythm, world.match.id)
    assert found is not None
    return found


def test_an_on_track_pair_is_looked_at_again_when_a_threshold_comes(client, world: World) -> None:
    start = utcnow()
    chat(client, world, world.mentor, "hello")
    chat(client, world, world.mentee, "hello")
    propose_meeting(client, world, in_days=10)
    run_programme(world.programme, utcnow())
    db.session.commit()
    first = row(world)
    assert first.state == "on_track" and first.next_check_at is not None
    # The stored threshold: the meeting proposal goes stale after a meeting interval (14 days). The
    # writing thresholds (a message waiting 60% of the writing interval: 4.2 days) are asked of the
    # stored writing by the due query.
    assert timedelta(days=13.9) < first.next_check_at - start < timedelta(days=14.1)
    checked = first.next_check_at
    chat(client, world, world.mentor, "answering you")  # moves the thresholds, improves nothing due
    assert run_programme(world.programme, start + timedelta(days=1)).pairs == 0  # nobody is due
    db.session.commit()
    assert row(world).next_check_at == checked
    assert run_programme(world.programme, start + timedelta(days=4.5)).pairs == 1
    db.session.commit()
    later = row(world)
    # Looked at again: the writing folded in the meantime counts (the mentor now waits).
    assert later.state == "slowing" and later.reasons[0]["code"] == "unanswered"
    assert later.reasons[0]["params"]["from"] == world.mentor.id


def test_a_cancelled_meeting_makes_an_on_track_pair_due_at_once(client, world: World) -> None:
    chat(client, world, world.mentor, "hello")
    chat(client, world, world.mentee, "hello")
    run_programme(world.programme, utcnow())
    db.session.commit()
    for _ in range(2):
        meeting = propose_meeting(client, world, in_days=3)
        assert (
            client.post(
                f"/api/meetings/{meeting['id']}/cancel",
                headers=world.headers(world.mentor),
                json={"reason": ""},
            ).status_code
            == 200
        )
    run_programme(world.programme, utcnow() + timedelta(minutes=5))
    db.session.commit()
    assert "cancelled" in [r["code"] for r in row(world).reasons]


def test_a_new_overdue_milestone_makes_every_pair_due(client, world: World) -> None:
    chat(client, world, world.mentor, "hello")
    chat(client, world, world.mentee, "hello")
    run_programme(world.programme, utcnow())
    db.session.commit()
    db.session.add(
        Milestone(programme_id=world.programme.id, title="Plan", due_on=(utcnow() - timedelta(days=2)).date())
    )
    db.session.commit()
    run_programme(world.programme, utcnow() + timedelta(minutes=5))
    db.session.commit()
    assert [r["code"] for r in row(world).reasons] == ["milestone"]


def test_the_daily_task_runs_as_a_periodic_job(client, world: World) -> None:
    assert by_task(TASK).every == timedelta(days=1)
    chat(client, world, world.mentee, "hello")
    enqueue(TASK, {})
    db.session.commit()
    assert drain(task_names=[TASK]) == 1
    db.session.expire_all()
    assert db.session.get(RhythmScan, world.programme.id) is not None
    assert row(world).next_check_at is not None
