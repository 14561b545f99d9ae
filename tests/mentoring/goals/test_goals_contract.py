"""Every /api/goals answer is exactly what its operation declares (the schema is the response)."""

from __future__ import annotations

import pytest

from tests.grades.factory import World, bearer, make_world
from tests.mentoring.declared import declared


@pytest.fixture
def world(app) -> World:
    return make_world(matches=2)


def call(app, client, method: str, path: str, headers: dict[str, str], **kwargs):
    response = client.open(path, method=method, headers=headers, **kwargs)
    return declared(app, method, path, response)


def test_milestones_matches_and_progress_answer_as_declared(app, client, world: World) -> None:
    coord = bearer(world.coord)
    graded = call(app, client, "POST", "/api/goals/milestones", coord,
                  json={"title": "First meeting", "graded": True, "points": 5, "due_offset_days": 7})
    call(app, client, "POST", "/api/goals/milestones", coord, json={"title": "Reflection"})
    call(app, client, "PATCH", f"/api/goals/milestones/{graded['id']}", coord, json={"points": 6})
    listed = call(app, client, "GET", "/api/goals/milestones", coord)
    assert [m["title"] for m in listed["milestones"]] == ["First meeting", "Reflection"]
    placeable = call(app, client, "GET", "/api/goals/placeable", coord)
    assert [("line_item" in i) for i in placeable["items"]] == [True, True, False]
    assert call(app, client, "PUT", "/api/goals/programme-total", coord, json={"enabled": True}) == {
        "enabled": True
    }
    mentee = bearer(world.ctx(world.mentees[0]))
    url = f"/api/goals/matches/{world.matches[0].id}/milestones/{graded['id']}"
    assert call(app, client, "POST", url + "/done", mentee, json={"note": "Met"})["state"] == (
        "awaiting_confirmation"
    )
    progress = call(app, client, "GET", "/api/goals/progress", coord)
    assert progress["matches"][0]["milestones"] == {str(graded["id"]): "awaiting_confirmation"}
    mine = call(app, client, "GET", "/api/goals/matches", mentee)
    assert mine == {"matches": [{"id": world.matches[0].id, "status": "active"}]}
    call(app, client, "DELETE", f"/api/goals/milestones/{graded['id']}", coord)


def test_a_match_plan_and_its_completions_answer_as_declared(app, client, world: World) -> None:
    coord = bearer(world.coord)
    milestone = call(app, client, "POST", "/api/goals/milestones", coord, json={"title": "Meet"})
    match = world.matches[0].id
    mentee, mentor = bearer(world.ctx(world.mentees[0])), bearer(world.ctx(world.mentors[0]))
    goal = call(app, client, "POST", f"/api/goals/matches/{match}/goals", mentee,
                json={"title": "Three mock interviews", "due_on": "2027-03-01"})
    call(app, client, "PATCH", f"/api/goals/goals/{goal['id']}", mentor, json={"status": "in_progress"})
    call(app, client, "POST", f"/api/goals/goals/{goal['id']}/notes", mentee, json={"text": "One done"})
    assert call(app, client, "POST", f"/api/goals/matches/{match}/plan/agree", mentee) == {
        "plan_agreed": False
    }
    url = f"/api/goals/matches/{match}/milestones/{milestone['id']}"
    call(app, client, "POST", url + "/done", mentee, json={})
    assert call(app, client, "POST", url + "/confirm", mentor, json={})["state"] == "completed"
    timeline = call(app, client, "GET", f"/api/goals/matches/{match}", mentor)
    assert timeline["milestones"][0]["completions"][str(world.mentees[0].id)]["state"] == "completed"
    # Undoing answers the same shape with only the (now empty) state.
    assert call(app, client, "POST", url + "/undo", mentor, json={}) == {"state": None}
    timeline = call(app, client, "GET", f"/api/goals/matches/{match}", mentee)
    assert timeline["milestones"][0]["completions"] == {str(world.mentees[0].id): None}
    assert timeline["mentor"]["participant_id"] == world.mentors[0].id
