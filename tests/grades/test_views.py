"""Coordinators see delivery states of their course only, and retry from the page or the API."""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.grades.models import DeliveryState, ScoreOutbox
from lti_tool.mentoring.goals import completion, milestones
from tests.grades.factory import bearer, make_world


def test_delivery_states_are_for_coordinators_of_the_course(client, app) -> None:
    world = make_world(matches=1)
    milestone = milestones.create_milestone(
        world.coord, {"title": "M", "graded": True, "points": 2, "requires_confirmation": False}
    )
    completion.mark_done(world.ctx(world.mentees[0]), world.matches[0].id, milestone.id)
    row = db.session.execute(sa.select(ScoreOutbox)).scalar_one()
    row.state, row.last_error = DeliveryState.FAILED, "The LMS answered 400: bad score"
    db.session.commit()
    mentee = bearer(world.ctx(world.mentees[0]))
    assert client.get("/api/grades/deliveries", headers=mentee).status_code == 403
    assert client.post(f"/api/grades/deliveries/{row.id}/retry", headers=mentee).status_code == 403
    other = make_world(world.platform, matches=1, context_id="CourseB")
    assert client.get("/api/grades/deliveries", headers=bearer(other.coord)).get_json()["deliveries"] == []
    foreign = client.post(f"/api/grades/deliveries/{row.id}/retry", headers=bearer(other.coord))
    assert foreign.status_code == 404
    assert client.get("/api/grades/deliveries?state=lost", headers=bearer(world.coord)).status_code == 422
    page = client.get("/grades/deliveries", headers=bearer(world.coord))
    assert page.status_code == 200 and "bad score" in page.text and 'data-state="failed"' in page.text
    retried = client.post("/grades/deliveries/retry", headers=bearer(world.coord))
    assert retried.status_code == 303
    db.session.refresh(row)
    assert row.state is DeliveryState.PENDING
    listed = client.get("/api/grades/deliveries", headers=bearer(world.coord)).get_json()
    assert listed["counts"] == {"pending": 1, "sending": 0, "delivered": 0, "failed": 0}
    assert listed["deliveries"][0]["user_name"] == "Mentee 1"
