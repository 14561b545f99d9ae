"""A milestone's title and description in each programme language: the form's fields, the API's
``texts`` and the old single ``title``, shown in the viewer's language with the default as fallback."""

from __future__ import annotations

import pytest

from lti_tool.db import db
from lti_tool.mentoring.goals.models import Milestone
from tests.grades.factory import World, bearer, make_world


@pytest.fixture
def world(app) -> World:
    return make_world(matches=1)


def test_the_milestone_form_keeps_both_languages_and_pages_show_the_viewers(client, world: World) -> None:
    headers = bearer(world.coord) | {"Accept": "text/html"}
    page = client.get("/goals/milestones", headers=headers).get_data(as_text=True)
    assert 'name="title_en"' in page and 'name="title_it"' in page
    made = client.post(
        "/goals/milestones",
        headers=headers,
        data={
            "action": "create",
            "title_en": "First meeting",
            "title_it": "Primo incontro",
            "description_en": "Say hello",
            "description_it": "",
            "completion_mode": "manual",
        },
    )
    assert made.status_code == 303, made.get_data(as_text=True)
    milestone = db.session.query(Milestone).one()
    assert milestone.title == "First meeting" and milestone.description == "Say hello"
    assert milestone.texts == {
        "en": {"title": "First meeting", "description": "Say hello"},
        "it": {"title": "Primo incontro"},
    }
    italian = client.get("/goals/milestones", headers=headers | {"Accept-Language": "it"})
    assert "Primo incontro" in italian.get_data(as_text=True)


def test_the_api_keeps_the_old_title_as_the_default_language(client, world: World) -> None:
    made = client.post(
        "/api/goals/milestones",
        json={"title": "Goal plan", "texts": {"it": {"title": "Piano degli obiettivi"}}},
        headers=bearer(world.coord),
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["title"] == "Goal plan"
    assert body["texts"] == {"en": {"title": "Goal plan"}, "it": {"title": "Piano degli obiettivi"}}
    renamed = client.patch(
        f"/api/goals/milestones/{body['id']}", json={"title": "Goals agreed"}, headers=bearer(world.coord)
    )
    assert renamed.get_json()["texts"] == {
        "en": {"title": "Goals agreed"},
        "it": {"title": "Piano degli obiettivi"},
    }
    refused = client.patch(
        f"/api/goals/milestones/{body['id']}",
        json={"texts": {"en": {"title": ""}, "it": {"title": ""}}},
        headers=bearer(world.coord),
    )
    assert refused.status_code == 422
