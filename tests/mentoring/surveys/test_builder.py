"""The survey builder through its API and pages: every item type, validation at the boundary with
nothing half-written, reordering, archiving, both languages, and who may build."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.surveys.models import Survey, SurveyItem
from tests.grades.factory import World, bearer, make_world
from tests.mentoring.surveys.core_world import COMMENT, LIKERT, api, make_survey, pages

CHOICES = [{"label_en": "Yes", "label_it": "Sì"}, {"label_en": "No", "label_it": "No"}]
MATRIX = {
    "type": "matrix",
    "text_en": "How much did your mentor help with...",
    "scale": {"points": 4},
    "rows": [{"text_en": "your career", "text_it": "la carriera"}, {"text_en": "confidence"}],
}


@pytest.fixture
def world(app) -> World:
    return make_world(matches=1)


def items() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(SurveyItem)).scalar_one()


def test_a_coordinator_builds_a_survey_of_every_item_type(client, world: World) -> None:
    survey = make_survey(
        client,
        world,
        LIKERT,
        {"type": "single", "text_en": "Did you meet?", "options": CHOICES},
        {"type": "multiple", "text_it": "Cosa avete fatto?", "options": [*CHOICES, {"label_en": "Both"}]},
        {"type": "nps", "text_en": "Would you recommend the programme?"},
        {"type": "short_text", "text_en": "One word"},
        COMMENT,
        MATRIX,
        audience="mentees",
        anonymous=True,
    )
    assert survey["audience"] == "mentees" and survey["anonymous"] is True
    kinds = [item["type"] for item in survey["items"]]
    assert kinds == ["likert", "single", "multiple", "nps", "short_text", "long_text", "matrix"]
    single, matrix = survey["items"][1], survey["items"][6]
    assert [o["value"] for o in single["options"]] == ["o1", "o2"]
    assert [r["key"] for r in matrix["rows"]] == ["r1", "r2"] and matrix["scale"]["points"] == 4
    # Types keep only what they use: an NPS item has no options or scale.
    assert survey["items"][3]["options"] == [] and survey["items"][3]["scale"] == {}


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"type": "single", "text_en": "Pick", "options": [{"label_en": "Only one"}]}, "options"),
        ({"type": "multiple", "text_en": "Pick", "options": []}, "options"),
        (
            {
                "type": "single",
                "text_en": "Pick",
                "options": [{"value": "a", "label_en": "A"}, {"value": "a", "label_en": "B"}],
            },
            "options",
        ),
        ({"type": "single", "text_en": "Pick", "options": [{"label_en": "A"}, {"label_it": ""}]}, "options"),
        ({"type": "likert", "text_en": "Rate"}, "scale"),
        ({"type": "likert", "text_en": "Rate", "scale": {"points": 1}}, "scale"),
        ({"type": "likert", "text_en": "Rate", "scale": {"points": 12}}, "scale"),
        ({"type": "matrix", "text_en": "Rate", "scale": {"points": 5}, "rows": []}, "rows"),
        ({"type": "matrix", "text_en": "Rate", "rows": [{"text_en": "r"}]}, "scale"),
        ({"type": "nps", "text_en": "", "text_it": ""}, "text_en"),
        ({"type": "essay", "text_en": "What?"}, "type"),
    ],
)
def test_an_item_that_does_not_fit_its_type_is_refused_and_nothing_written(
    client, world: World, item, field
) -> None:
    survey = make_survey(client, world)
    refused = client.post(f"{api(world)}/{survey['id']}/items", json=item, headers=bearer(world.coord))
    assert refused.status_code == 422
    assert field in refused.get_json()["errors"]
    assert items() == 0


def test_a_survey_needs_a_title_in_one_language_and_markup_is_stripped(client, world: World) -> None:
    refused = client.post(
        api(world), json={"title_en": " ", "audience": "mentors"}, headers=bearer(world.coord)
    )
    assert refused.status_code == 422 and "title_en" in refused.get_json()["errors"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Survey)).scalar_one() == 0
    made = make_survey(client, world, title_en="<b>Pulse</b><script>x()</script>", title_it="")
    assert made["title_en"] == "Pulse"


def test_items_are_reordered_edited_and_archived(client, world: World) -> None:
    survey = make_survey(client, world, LIKERT, COMMENT, {"type": "nps", "text_en": "Recommend?"})
    ids = [item["id"] for item in survey["items"]]
    base = f"{api(world)}/{survey['id']}"
    assert (
        client.put(f"{base}/order", json={"item_ids": ids[:2]}, headers=bearer(world.coord)).status_code
        == 422
    )
    order = client.put(f"{base}/order", json={"item_ids": ids[::-1]}, headers=bearer(world.coord))
    assert [i["id"] for i in order.get_json()["items"]] == ids[::-1]
    edited = client.put(
        f"{base}/items/{ids[0]}",
        json={**LIKERT, "text_en": "My mentor hears me."},
        headers=bearer(world.coord),
    )
    assert edited.status_code == 200 and edited.get_json()["text_en"] == "My mentor hears me."
    assert client.delete(f"{base}/items/{ids[2]}", headers=bearer(world.coord)).status_code == 204
    archived = client.post(f"{base}/archive", headers=bearer(world.coord)).get_json()
    assert archived["archived_at"] is not None
    listed = client.get(api(world), headers=bearer(world.coord)).get_json()
    assert listed["surveys"] == [] and [s["id"] for s in listed["archived"]] == [survey["id"]]
    assert client.post(f"{base}/restore", headers=bearer(world.coord)).get_json()["archived_at"] is None


def test_the_builder_pages_add_move_and_show_each_text_in_the_readers_language(client, world: World) -> None:
    created = client.post(
        pages(world),
        headers=bearer(world.coord),
        data={"title_en": "Midpoint", "title_it": "Metà percorso", "audience": "everyone"},
    )
    assert created.status_code == 303
    survey = db.session.execute(sa.select(Survey)).scalar_one()
    edit = f"{pages(world)}/{survey.id}"
    added = client.post(
        f"{edit}/items",
        headers=bearer(world.coord),
        data={
            "type": "single",
            "text_en": "Met?",
            "text_it": "Incontrati?",
            "required": "on",
            "options": "Yes | Sì\nNo | No",
        },
    )
    assert added.status_code == 303
    bad = client.post(
        f"{edit}/items",
        headers=bearer(world.coord),
        data={"type": "single", "text_en": "Met?", "options": "Yes"},
    )
    assert bad.status_code == 422 and "at least two options" in bad.get_data(as_text=True)
    client.post(
        f"{edit}/items",
        headers=bearer(world.coord),
        data={
            "type": "matrix",
            "text_en": "Rate",
            "points": "3",
            "rows": "Career | Carriera\nSupport",
        },
    )
    item_ids = [
        i.id for i in db.session.execute(sa.select(SurveyItem).order_by(SurveyItem.position)).scalars()
    ]
    assert client.post(f"{edit}/items/{item_ids[1]}/up", headers=bearer(world.coord)).status_code == 303
    db.session.expire_all()
    order = [i.id for i in db.session.execute(sa.select(SurveyItem).order_by(SurveyItem.position)).scalars()]
    assert order == item_ids[::-1]
    english = client.get(edit, headers=bearer(world.coord)).get_data(as_text=True)
    italian = client.get(edit, headers={**bearer(world.coord), "Accept-Language": "it"}).get_data(
        as_text=True
    )
    assert "<h1>Midpoint</h1>" in english and "<h1>Metà percorso</h1>" in italian
    assert "Incontrati?" in italian and "Met?" in english
    # "Support" has no Italian text: the English one is shown.
    matrix = db.session.get(SurveyItem, item_ids[1])
    assert matrix.rows[1] == {"key": "r2", "text_en": "Support", "text_it": ""}


def test_participants_cannot_build_or_read_results(client, world: World) -> None:
    survey = make_survey(client, world, LIKERT)
    mentee = bearer(world.ctx(world.mentees[0]))
    base = f"{api(world)}/{survey['id']}"
    assert client.post(api(world), json={"title_en": "Mine"}, headers=mentee).status_code == 403
    assert client.patch(base, json={"title_en": "Mine"}, headers=mentee).status_code == 403
    assert client.post(f"{base}/items", json=LIKERT, headers=mentee).status_code == 403
    assert client.post(f"{base}/archive", headers=mentee).status_code == 403
    assert client.get(f"{base}/results", headers=mentee).status_code == 403
    assert client.get(f"{pages(world)}/{survey['id']}/results.csv", headers=mentee).status_code == 403
    assert client.put(f"{api(world)}/settings", json={"min_group": 3}, headers=mentee).status_code == 403


def test_another_programmes_survey_does_not_exist_here(client, world: World) -> None:
    survey = make_survey(client, world, LIKERT)
    other = make_world(world.platform, matches=1, context_id="CourseB")
    there = f"/api/programmes/{other.programme.id}/surveys/{survey['id']}"
    assert client.get(there, headers=bearer(other.coord)).status_code == 404
    assert client.get(f"{api(world)}/{survey['id']}", headers=bearer(other.coord)).status_code == 404
