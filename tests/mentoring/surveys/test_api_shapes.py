"""The survey APIs (builder, answering, instruments) answer exactly what their schemas (and so the
API document) declare; bad query values are refused at the boundary instead of being ignored."""

from __future__ import annotations

import pytest

from lti_tool.db import db
from lti_tool.mentoring.surveys import schemas
from lti_tool.mentoring.surveys.instruments import schemas as instrument_schemas
from tests.grades.factory import World, bearer, make_world
from tests.mentoring.surveys.core_world import COMMENT, LIKERT, answer, api, make_survey, open_now
from tests.schema_check import conforms

CHOICE = {
    "type": "single",
    "text_en": "How do you meet?",
    "options": [{"label_en": "Online"}, {"label_en": "In person"}],
}
MATRIX = {
    "type": "matrix",
    "text_en": "Rate",
    "scale": {"points": 3},
    "rows": [{"text_en": "Listening"}, {"text_en": "Advice"}],
}


@pytest.fixture
def world(app) -> World:
    world = make_world(matches=3)
    db.session.commit()
    return world


def test_the_builders_answers_match_their_schemas(client, world: World) -> None:
    survey = make_survey(client, world, LIKERT, COMMENT, CHOICE, MATRIX)
    conforms(schemas.SurveyOut, survey)
    likert, _comment, choice, matrix = survey["items"]
    assert likert["scale"]["points"] == 5 and choice["scale"] == {}
    assert [o["value"] for o in choice["options"]] == ["o1", "o2"]
    assert [r["key"] for r in matrix["rows"]] == ["r1", "r2"]
    coord = bearer(world.coord)
    listed = client.get(api(world), headers=coord).get_json()
    conforms(schemas.SurveyListOut, listed)
    assert [s["id"] for s in listed["surveys"]] == [survey["id"]] and listed["archived"] == []
    order = [i["id"] for i in reversed(survey["items"])]
    reordered = client.put(f"{api(world)}/{survey['id']}/order", json={"item_ids": order}, headers=coord)
    conforms(schemas.SurveyItemsOut, reordered.get_json())
    changed = client.patch(f"{api(world)}/{survey['id']}", json={"anonymous": True}, headers=coord)
    conforms(schemas.SurveyOut, changed.get_json())
    settings = client.put(f"{api(world)}/settings", json={"min_group": 3}, headers=coord)
    conforms(schemas.SurveySettingsOut, settings.get_json())
    opened = client.post(f"{api(world)}/{survey['id']}/open", headers=coord)
    conforms(schemas.SurveyInvitedOut, opened.get_json())
    given = {likert["id"]: 4, choice["id"]: "o1", matrix["id"]: {"r1": 2, "r2": 3}}
    for mentee in world.mentees:
        saved = answer(client, world, mentee, survey["id"], given)
        assert saved.status_code == 200
        conforms(schemas.SurveySavedOut, saved.get_json())
    found = client.get(f"{api(world)}/{survey['id']}/results", headers=coord).get_json()
    conforms(schemas.SurveyResultsOut, found)
    by_id = {i["id"]: i for i in found["items"]}
    assert by_id[likert["id"]]["mean"] == 4.0
    assert by_id[choice["id"]]["counts"][0] == {"value": "Online", "count": 3}
    assert [r["mean"] for r in by_id[matrix["id"]]["rows"]] == [2.0, 3.0]
    archived = client.post(f"{api(world)}/{survey['id']}/archive", headers=coord)
    conforms(schemas.SurveyOut, archived.get_json())
    assert archived.get_json()["archived_at"] is not None


def test_a_bad_role_or_invitation_is_refused_not_ignored(client, world: World) -> None:
    survey = make_survey(client, world, LIKERT, audience="mentees")
    coord = bearer(world.coord)
    refused = client.get(f"{api(world)}/{survey['id']}/results?role=coordinator", headers=coord)
    assert refused.status_code == 422 and "role" in refused.get_json()["errors"]
    open_now(client, world, survey["id"])
    mentee = bearer(world.ctx(world.mentees[0]))
    for bad in ("abc", "0", str(2**40)):
        got = client.get(f"/api/surveys/{survey['id']}/answer?invitation={bad}", headers=mentee)
        assert got.status_code == 422, bad


def test_a_participants_answers_match_their_schemas(client, world: World) -> None:
    survey = make_survey(client, world, LIKERT, COMMENT, audience="mentees")
    open_now(client, world, survey["id"])
    mentee = world.mentees[0]
    answer(client, world, mentee, survey["id"], {survey["items"][0]["id"]: 2})
    mine = client.get("/api/surveys/mine", headers=bearer(world.ctx(mentee))).get_json()
    conforms(schemas.SurveyMineOut, mine)
    assert [(e["survey_id"], e["answered"]) for e in mine["surveys"]] == [(survey["id"], True)]
    form = client.get(f"/api/surveys/{survey['id']}/answer", headers=bearer(world.ctx(mentee))).get_json()
    conforms(schemas.SurveyAnswerFormOut, form)
    assert form["answers"] == {str(survey["items"][0]["id"]): 2}


def test_the_instruments_answers_match_their_schemas(client, world: World) -> None:
    base = f"/api/programmes/{world.programme.id}/survey-instruments"
    listed = client.get(base, headers=bearer(world.coord)).get_json()
    conforms(instrument_schemas.InstrumentListOut, listed)
    key = listed["instruments"][0]["key"]
    added = client.post(f"{base}/{key}", headers=bearer(world.coord))
    assert added.status_code == 201
    conforms(instrument_schemas.InstrumentAddedOut, added.get_json())
    again = client.get(base, headers=bearer(world.coord)).get_json()
    assert again["instruments"][0]["added_survey_id"] == added.get_json()["id"]
