"""What coordinators see of answers: aggregates only for groups of at least ``min_group`` (never
below 3), free text only where people agreed, no names or ids for anonymous surveys in the page,
the API or the CSV (formula-safe); a person's export and erasure cover their answers."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa

from lti_tool.accounts import privacy as accounts_privacy
from lti_tool.db import db
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.surveys import privacy
from lti_tool.mentoring.surveys.models import SurveyAnswer, SurveyResponse
from tests.grades.factory import World, bearer, make_world
from tests.mentoring.surveys.core_world import COMMENT, LIKERT, answer, api, make_survey, open_now, pages


@pytest.fixture
def world(app) -> World:
    world = make_world(matches=4)
    for n, mentee in enumerate(world.mentees):
        mentee.user.name = f"Mentee Zorbla{n}"
    db.session.commit()
    return world


def set_min_group(client, world: World, value: int) -> int:
    saved = client.put(f"{api(world)}/settings", json={"min_group": value}, headers=bearer(world.coord))
    assert saved.status_code == 200, saved.get_json()
    return int(saved.get_json()["min_group"])


def results(client, world: World, survey_id: int, **query) -> dict:
    got = client.get(f"{api(world)}/{survey_id}/results", query_string=query, headers=bearer(world.coord))
    assert got.status_code == 200, got.get_json()
    return got.get_json()


def test_the_smallest_group_defaults_to_five_and_never_goes_below_three(client, world: World) -> None:
    programme = db.session.get(Programme, world.programme.id)
    assert privacy.min_group(programme) == 5
    assert (
        client.put(f"{api(world)}/settings", json={"min_group": 2}, headers=bearer(world.coord)).status_code
        == 422
    )
    assert set_min_group(client, world, 4) == 4
    programme.settings = {**programme.settings, privacy.MIN_GROUP_SETTING: 1}  # written by hand
    assert privacy.min_group(programme) == 3
    assert not privacy.aggregate_allowed(2, programme) and privacy.aggregate_allowed(3, programme)


def test_figures_show_only_from_the_smallest_group_up(client, world: World) -> None:
    set_min_group(client, world, 3)
    survey = make_survey(client, world, LIKERT, audience="mentees")
    item = survey["items"][0]["id"]
    open_now(client, world, survey["id"])
    for mentee, value in zip(world.mentees[:2], (2, 4), strict=True):
        assert answer(client, world, mentee, survey["id"], {item: value}).status_code == 200
    hidden = results(client, world, survey["id"])
    assert hidden["responses"] == 2 and hidden["hidden"] is True
    assert hidden["items"][0] == {**hidden["items"][0], "hidden": True}
    # A hidden figure keeps its shape and says nothing: no mean, no NPS, no counts.
    assert (hidden["items"][0]["mean"], hidden["items"][0]["nps"], hidden["items"][0]["counts"]) == (
        None,
        None,
        [],
    )
    page = client.get(f"{pages(world)}/{survey['id']}/results", headers=bearer(world.coord)).get_data(
        as_text=True
    )
    assert "Fewer than 3 answers: hidden." in page
    answer(client, world, world.mentees[2], survey["id"], {item: 3})
    shown = results(client, world, survey["id"])["items"][0]
    assert shown["hidden"] is False and shown["n"] == 3 and shown["mean"] == 3.0
    assert [c["count"] for c in shown["counts"]] == [0, 1, 1, 1, 0]
    # A subgroup is held to the same rule: mentors gave no answers.
    assert results(client, world, survey["id"], role="mentor")["items"][0]["hidden"] is True


def test_free_text_only_where_shared_with_names_only_when_not_anonymous(client, world: World) -> None:
    set_min_group(client, world, 3)
    for anonymous in (False, True):
        survey = make_survey(client, world, LIKERT, COMMENT, audience="mentees", anonymous=anonymous)
        likert, comment = (item["id"] for item in survey["items"])
        open_now(client, world, survey["id"])
        for n, mentee in enumerate(world.mentees):
            sent = answer(
                client,
                world,
                mentee,
                survey["id"],
                {likert: 4, comment: f"Words of person {n}"},
                share_text=n % 2 == 0,
            )
            assert sent.status_code == 200
        found = results(client, world, survey["id"])
        texts = found["items"][1]["texts"]
        assert sorted(t["text"] for t in texts) == ["Words of person 0", "Words of person 2"]
        names = {t["name"] for t in texts}
        assert names == ({None} if anonymous else {"Mentee Zorbla0", "Mentee Zorbla2"})
        page = client.get(f"{pages(world)}/{survey['id']}/results", headers=bearer(world.coord))
        outputs = [
            json.dumps(found),
            page.get_data(as_text=True),
            client.get(f"{pages(world)}/{survey['id']}/results.csv", headers=bearer(world.coord)).get_data(
                as_text=True
            ),
        ]
        assert "Words of person 1" not in outputs[0] + outputs[1] + outputs[2]
        if anonymous:
            for output in outputs:
                assert "Zorbla" not in output
                assert "user_id" not in output and "response_id" not in output


def test_the_csv_holds_aggregates_only_and_is_formula_safe(client, world: World) -> None:
    set_min_group(client, world, 3)
    options = [{"label_en": '=HYPERLINK("http://x")'}, {"label_en": "+1"}, {"label_en": "plain"}]
    survey = make_survey(
        client,
        world,
        {"type": "single", "text_en": "@pick one", "options": options},
        {"type": "nps", "text_en": "Recommend?"},
        audience="mentees",
    )
    single, nps = (item["id"] for item in survey["items"])
    open_now(client, world, survey["id"])
    for mentee, (choice, score) in zip(
        world.mentees, [("o1", 10), ("o1", 9), ("o2", 3), ("o3", 7)], strict=True
    ):
        answer(client, world, mentee, survey["id"], {single: choice, nps: score})
    got = client.get(f"{pages(world)}/{survey['id']}/results.csv", headers=bearer(world.coord))
    assert got.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(got.get_data(as_text=True))))
    assert rows[0] == ["Question", "Row", "Answers", "Mean", "Value", "Count"]
    assert ["1. @pick one", "", "4", "", '\'=HYPERLINK("http://x")', "2"] in rows
    assert ["1. @pick one", "", "4", "", "'+1", "1"] in rows
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert results(client, world, survey["id"])["items"][1]["nps"] == 25.0  # (2 promoters - 1) / 4


def test_export_and_erasure_cover_a_persons_answers(client, world: World) -> None:
    set_min_group(client, world, 3)
    survey = make_survey(client, world, LIKERT, COMMENT, audience="mentees", anonymous=True)
    likert, comment = (item["id"] for item in survey["items"])
    open_now(client, world, survey["id"])
    she = world.mentees[0]
    for n, mentee in enumerate(world.mentees):
        answer(
            client, world, mentee, survey["id"], {likert: 5, comment: f"Quixotic note {n}"}, share_text=True
        )
    exported = accounts_privacy.export(she.user_id)
    assert [r["user_id"] for r in exported["rows"]["survey_response"]] == [she.user_id]
    assert {a["value_text"] for a in exported["rows"]["survey_answer"]} == {"Quixotic note 0", None}
    accounts_privacy.erase(she.user_id, reason="asked")
    db.session.expire_all()
    left = db.session.execute(sa.select(SurveyAnswer.value_text).where(SurveyAnswer.value_text.is_not(None)))
    assert sorted(left.scalars()) == ["Quixotic note 1", "Quixotic note 2", "Quixotic note 3"]
    owners = db.session.execute(sa.select(SurveyResponse.user_id)).scalars().all()
    assert she.user_id not in owners and len(owners) == 3
    assert results(client, world, survey["id"])["responses"] == 3
