"""The score delivery API answers what its schemas (and so the API document) declare."""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.grades import schemas
from lti_tool.grades.models import DeliveryState, ScoreOutbox
from lti_tool.mentoring.goals import completion, milestones
from tests.grades.factory import bearer, make_world
from tests.schema_check import conforms


def test_the_deliveries_and_retries_match_their_schemas(client, app) -> None:
    world = make_world(matches=1)
    milestone = milestones.create_milestone(
        world.coord, {"title": "M", "graded": True, "points": 2, "requires_confirmation": False}
    )
    completion.mark_done(world.ctx(world.mentees[0]), world.matches[0].id, milestone.id)
    row = db.session.execute(sa.select(ScoreOutbox)).scalar_one()
    row.state, row.last_error = DeliveryState.FAILED, "The LMS answered 400: bad score"
    db.session.commit()
    coord = bearer(world.coord)
    listed = client.get("/api/grades/deliveries?state=failed", headers=coord).get_json()
    conforms(schemas.GradesDeliveriesOut, listed)
    [delivery] = listed["deliveries"]
    assert (delivery["state"], delivery["line_item"], delivery["user_name"]) == ("failed", "M", "Mentee 1")
    assert client.get("/api/grades/deliveries?state=", headers=coord).get_json()["deliveries"] != []
    assert client.get("/api/grades/deliveries?state=pending", headers=coord).get_json()["deliveries"] == []
    one = client.post(f"/api/grades/deliveries/{row.id}/retry", headers=coord).get_json()
    conforms(schemas.GradesRequeuedOut, one)
    assert one == {"requeued": 1}
    assert client.post("/api/grades/deliveries/retry", headers=coord).get_json() == {"requeued": 0}
