"""Delivery to the demo LMS's real AGS server, healthy and with injected faults."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.grades.models import DeliveryState, GradeLineItem, ScoreOutbox
from lti_tool.lti_services import ags, tokens
from lti_tool.mentoring.goals import completion, milestones
from lti_tool.mentoring.goals.models import CompletionMode
from tests.grades.factory import FAST_GRADES, Lms, World, deliver_all, demo_lms, make_world


@pytest.fixture
def app_config() -> dict[str, object]:
    return dict(FAST_GRADES)


@pytest.fixture
def lms(app) -> Iterator[Lms]:
    with demo_lms() as lms:
        yield lms


def graded_world(lms: Lms, matches: int = 3, points: float = 10) -> tuple[World, int]:
    world = make_world(lms.register(), matches=matches, lineitems_url=lms.lineitems_url)
    milestone = milestones.create_milestone(
        world.coord,
        {
            "title": "First meeting",
            "graded": True,
            "points": points,
            "completion_mode": CompletionMode.MANUAL,
            "requires_confirmation": False,
        },
    )
    return world, milestone.id


def complete_all(world: World, milestone_id: int) -> None:
    for match, mentee in zip(world.matches, world.mentees, strict=True):
        completion.mark_done(world.ctx(mentee), match.id, milestone_id)


def outbox_states() -> dict[str, int]:
    rows = db.session.execute(sa.select(ScoreOutbox.state, sa.func.count()).group_by(ScoreOutbox.state))
    return {DeliveryState(s).value: n for s, n in rows.all()}


def assert_book(lms: Lms, milestone_id: int, expected: dict[str, float | None]) -> None:
    scores = lms.book()[f"ritmo:milestone:{milestone_id}"]
    assert {sub: rec.latest.get("scoreGiven") for sub, rec in scores.items()} == expected


def test_scores_reach_the_gradebook_with_one_token(app, lms: Lms) -> None:
    world, milestone_id = graded_world(lms)
    complete_all(world, milestone_id)
    deliver_all(app)
    assert outbox_states() == {"delivered": 3}
    assert_book(lms, milestone_id, {"u-learner-01": 10, "u-learner-02": 10, "u-learner-03": 10})
    scores = lms.book()[f"ritmo:milestone:{milestone_id}"]
    assert {rec.posts for rec in scores.values()} == {1}
    first = scores["u-learner-01"].latest
    assert first["activityProgress"] == "Completed" and first["gradingProgress"] == "FullyGraded"
    assert first["scoreMaximum"] == 10
    assert lms.stats()["tokens_issued"] == 1
    # The line item Ritmo created carries its resourceId and tag, and its URL keeps ?type_id=1.
    item = db.session.execute(sa.select(GradeLineItem)).scalar_one()
    assert item.url and item.url.endswith("?type_id=1")
    created = [i for i in lms.platform.gradebook.query("CourseA", {"tag": "ritmo-milestone"})]
    assert [i.extra["resourceId"] for i in created] == [f"ritmo:milestone:{milestone_id}"]


def test_a_placed_line_item_is_found_not_duplicated(app, lms: Lms) -> None:
    world = make_world(lms.register(), matches=1, lineitems_url=lms.lineitems_url)
    milestone = milestones.create_milestone(world.coord, {"title": "Placed", "graded": True, "points": 4,
                                                     "requires_confirmation": False})
    # What deep linking placed: the LMS created the column from the declared lineItem.
    target = f"milestone:{milestone.id}"
    declared = next(i for i in milestones.placeable_milestones(world.programme) if i["target"] == target)
    for n in range(3):
        lms.platform.gradebook.create("CourseA", {"label": f"other {n}", "scoreMaximum": 1})
    placed = lms.platform.gradebook.create("CourseA", declared["line_item"])
    completion.mark_done(world.ctx(world.mentees[0]), world.matches[0].id, milestone.id)
    deliver_all(app)
    same = lms.platform.gradebook.query("CourseA", {"resourceId": f"ritmo:milestone:{milestone.id}"})
    assert same == [placed]
    assert lms.platform.gradebook.scores(placed)["u-learner-01"].latest["scoreGiven"] == 4


def test_flaky_lms_ends_with_every_score_once(app, lms: Lms) -> None:
    lms.faults(fail_rate=0.3, seed=7)
    world, milestone_id = graded_world(lms, matches=12)
    complete_all(world, milestone_id)
    deliver_all(app)
    assert outbox_states() == {"delivered": 12}
    scores = lms.book()[f"ritmo:milestone:{milestone_id}"]
    assert len(scores) == 12
    assert {rec.posts for rec in scores.values()} == {1}
    assert lms.platform.faults.injected > 0


def test_lms_down_for_a_while_then_back(app, lms: Lms) -> None:
    world, milestone_id = graded_world(lms)
    lms.faults(down_until=time.time() + 2, retry_after=1)
    complete_all(world, milestone_id)
    deliver_all(app)
    assert outbox_states() == {"delivered": 3}
    assert lms.platform.faults.injected > 0
    assert_book(lms, milestone_id, {"u-learner-01": 10, "u-learner-02": 10, "u-learner-03": 10})


def test_429_retry_after_is_honoured(app, lms: Lms) -> None:
    world, milestone_id = graded_world(lms)
    # Every 3rd AGS request is rate limited (every 2nd would always hit the line item creation).
    lms.faults(rate_limit_every=3, retry_after=1, targets=["ags"])
    complete_all(world, milestone_id)
    from lti_tool.jobs.runner import drain

    time.sleep(1.05)  # the delivery job runs at the next whole second
    drain()
    limited = db.session.execute(sa.select(ScoreOutbox).where(ScoreOutbox.last_status == 429)).scalars().all()
    assert limited, "the rate limit should have hit at least one score"
    for row in limited:
        # Retry-After: 1 beats the 0.05 s backoff. The row is written when its pool round ends,
        # which may come a little after the 429 arrived: allow for that, not for the backoff.
        assert row.next_attempt_at >= row.updated_at + __import__("datetime").timedelta(seconds=0.5)
    deliver_all(app)
    assert outbox_states() == {"delivered": 3}


def test_undo_sends_the_corrected_score_and_latest_wins(app, lms: Lms) -> None:
    world, milestone_id = graded_world(lms, matches=2)
    complete_all(world, milestone_id)
    deliver_all(app)
    mentor_ctx = world.ctx(world.mentors[0])
    completion.undo(mentor_ctx, world.matches[0].id, milestone_id)
    deliver_all(app)
    scores = lms.book()[f"ritmo:milestone:{milestone_id}"]
    cleared = scores["u-learner-01"].latest
    assert "scoreGiven" not in cleared and cleared["gradingProgress"] == "NotReady"
    # Mark again, undo, mark again before any delivery: only the latest value is sent.
    second = world.ctx(world.mentees[1])
    completion.undo(world.ctx(world.mentors[1]), world.matches[1].id, milestone_id)
    completion.mark_done(second, world.matches[1].id, milestone_id)
    deliver_all(app)
    rec = lms.book()[f"ritmo:milestone:{milestone_id}"]["u-learner-02"]
    assert rec.latest["scoreGiven"] == 10 and rec.posts == 2 and rec.stale_ignored == 0
    row = db.session.execute(
        sa.select(ScoreOutbox).where(ScoreOutbox.user_id == world.mentees[1].user_id)
    ).scalar_one()
    assert row.version == 3 and row.delivered_version == 3


def test_refused_score_fails_with_the_platform_message_then_retry(app, lms: Lms, client) -> None:
    world = make_world(lms.register(), matches=1, lineitems_url=lms.lineitems_url, sub=lambda n: "u-stranger")
    milestone = milestones.create_milestone(
        world.coord, {"title": "M", "graded": True, "points": 5, "requires_confirmation": False}
    )
    completion.mark_done(world.ctx(world.mentees[0]), world.matches[0].id, milestone.id)
    deliver_all(app)
    row = db.session.execute(sa.select(ScoreOutbox)).scalar_one()
    assert row.state is DeliveryState.FAILED and row.last_status == 400
    assert "u-stranger" in (row.last_error or "") and "not a member" in (row.last_error or "")
    from tests.grades.factory import bearer

    listed = client.get("/api/grades/deliveries?state=failed", headers=bearer(world.coord)).get_json()
    assert listed["counts"]["failed"] == 1 and "not a member" in listed["deliveries"][0]["last_error"]
    lms.add_members(["u-stranger"])
    response = client.post(f"/api/grades/deliveries/{row.id}/retry", headers=bearer(world.coord))
    assert response.get_json() == {"requeued": 1}
    deliver_all(app)
    assert outbox_states() == {"delivered": 1}


def test_restarted_ritmo_finishes_what_a_dead_worker_left(app, lms: Lms) -> None:
    from lti_tool import create_app
    from lti_tool.grades import delivery
    from lti_tool.jobs.models import Job, JobState
    from lti_tool.jobs.runner import claim_due_jobs

    world, milestone_id = graded_world(lms, matches=4)
    complete_all(world, milestone_id)
    time.sleep(1.05)  # let the kicked job's second come due
    # The "dead" worker: claimed the delivery job and the outbox rows, posted half, then vanished.
    assert claim_due_jobs(task_names=["grades.deliver"])
    claimed = delivery.claim(world.platform.id, 100)
    assert len(claimed) == 4
    delivery.send(world.platform.id, claimed[:2])
    db.session.remove()
    fresh = create_app({**app.config, "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with fresh.app_context():
        # The job stays claimed by the dead worker; the sweeper finds the rows once their lease ends.
        assert (
            db.session.execute(
                sa.select(sa.func.count()).select_from(Job).where(Job.state == JobState.RUNNING)
            ).scalar_one()
            >= 1
        )
        deliver_all(fresh, 30)
        assert outbox_states() == {"delivered": 4}
        db.session.remove()
        db.engine.dispose()
    scores = lms.book()[f"ritmo:milestone:{milestone_id}"]
    assert {sub: rec.latest["scoreGiven"] for sub, rec in scores.items()} == {
        f"u-learner-{n:02d}": 10 for n in range(1, 5)
    }
    # Posted twice at most (once by the dead worker, once after), always the same value.
    assert all(rec.posts <= 2 and rec.stale_ignored == 0 for rec in scores.values())


def test_worker_dying_with_every_job_claimed_recovers_when_leases_end(app, lms: Lms) -> None:
    """The runner claims jobs in batches: a crash can take the sweeper down too. Their leases
    (the job runner's five minutes) are the recovery; here they are shown as run out."""
    from lti_tool import create_app
    from lti_tool.db import utcnow
    from lti_tool.grades import delivery
    from lti_tool.jobs.models import Job
    from lti_tool.jobs.runner import claim_due_jobs

    world, milestone_id = graded_world(lms, matches=2)
    complete_all(world, milestone_id)
    # Two completions share one delivery job unless a second's boundary falls between them.
    last_due = db.session.execute(sa.select(sa.func.max(Job.run_at))).scalar_one()
    time.sleep(max(0.0, (last_due - utcnow()).total_seconds()) + 0.05)
    claimed = claim_due_jobs()
    tasks = db.session.execute(sa.select(Job.task).where(Job.id.in_(claimed))).scalars().all()
    assert set(tasks) == {"grades.deliver", "grades.sweep"}
    assert len(claimed) == db.session.execute(sa.select(sa.func.count()).select_from(Job)).scalar_one()
    delivery.claim(world.platform.id, 100)
    db.session.execute(sa.update(Job).values(locked_until=utc_past()))
    db.session.commit()
    db.session.remove()
    fresh = create_app({**app.config, "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with fresh.app_context():
        deliver_all(fresh, 30)
        assert outbox_states() == {"delivered": 2}
        db.session.remove()
        db.engine.dispose()


def utc_past():
    from datetime import timedelta

    from lti_tool.db import utcnow

    return utcnow() - timedelta(seconds=1)


def test_token_is_shared_and_refetched_after_revocation(app, lms: Lms) -> None:
    world, milestone_id = graded_world(lms, matches=2)
    first = tokens.access_token(world.platform, ags.DELIVERY_SCOPES)
    tokens.clear_memo()  # another process: only the shared cache
    assert tokens.access_token(world.platform, ags.DELIVERY_SCOPES) == first
    lms.platform.tokens.revoke_all()
    complete_all(world, milestone_id)
    deliver_all(app)
    assert outbox_states() == {"delivered": 2}
    assert lms.stats()["tokens_issued"] == 2


def test_rejected_credentials_fail_with_what_to_check(app, lms: Lms) -> None:
    from lti_tool.launch import registry

    registration = {**lms.platform.registration(), "client_id": "not-the-client"}
    world = make_world(registry.add_platform(registration), matches=1, lineitems_url=lms.lineitems_url)
    milestone = milestones.create_milestone(
        world.coord, {"title": "M", "graded": True, "points": 1, "requires_confirmation": False}
    )
    completion.mark_done(world.ctx(world.mentees[0]), world.matches[0].id, milestone.id)
    deliver_all(app)
    row = db.session.execute(sa.select(ScoreOutbox)).scalar_one()
    assert row.state is DeliveryState.FAILED and row.attempts == 0
    assert "refused Ritmo's credentials" in (row.last_error or "")
    assert "invalid_client" in (row.last_error or "")
