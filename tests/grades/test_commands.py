"""``lti-tool grades status`` and ``lti-tool grades retry``."""

from __future__ import annotations

import json

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.grades.models import DeliveryState, ScoreOutbox
from lti_tool.mentoring.goals import completion, milestones
from tests.grades.factory import make_world


def failed_world() -> int:
    world = make_world(matches=2, lineitems_url=None)
    milestone = milestones.create_milestone(
        world.coord, {"title": "M", "graded": True, "points": 2, "requires_confirmation": False}
    )
    for match, mentee in zip(world.matches, world.mentees, strict=True):
        completion.mark_done(world.ctx(mentee), match.id, milestone.id)
    rows = db.session.execute(sa.select(ScoreOutbox)).scalars().all()
    rows[0].state = DeliveryState.FAILED
    rows[0].last_error = "The LMS answered 400: userId is not a member"
    db.session.commit()
    return rows[0].id


def test_status_counts_and_lists_failures(runner) -> None:
    failed_id = failed_world()
    result = runner.invoke(args=["grades", "status"])
    assert result.exit_code == 0
    assert "pending=1" in result.output and "failed=1" in result.output
    assert "lti-tool grades retry" in result.output
    listed = runner.invoke(args=["grades", "status", "--failed", "--json"])
    data = json.loads(listed.output)
    assert data["counts"]["failed"] == 1
    assert data["failed"][0]["id"] == failed_id and "not a member" in data["failed"][0]["error"]


def test_retry_requeues_failed_scores(runner) -> None:
    failed_id = failed_world()
    result = runner.invoke(args=["grades", "retry"])
    assert result.exit_code == 0 and "Requeued 1 score(s)" in result.output
    row = db.session.get(ScoreOutbox, failed_id)
    db.session.refresh(row)
    assert row.state is DeliveryState.PENDING and row.attempts == 0 and row.last_error is None
    missing = runner.invoke(args=["grades", "retry", "--id", "999999"])
    assert missing.exit_code != 0 and "does not exist" in missing.output
