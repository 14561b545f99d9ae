"""The catalogue of ready-made instruments: every file loads and is scorable, broken files are
refused, the page cites each source and its terms, a coordinator adds an instrument in one click
(the survey and its items, for the right audience), and its items stay locked afterwards."""

from __future__ import annotations

import configparser
import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lti_tool.accounts.models import Course, CourseRole
from lti_tool.db import db
from lti_tool.errors import Conflict
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import issue_token
from lti_tool.mentoring.programmes.models import ParticipantRole
from lti_tool.mentoring.surveys import builder
from lti_tool.mentoring.surveys.instruments import catalogue, locks
from lti_tool.mentoring.surveys.models import Audience, ItemType, Survey, SurveyItem
from tests.mentoring.programmes.factories import World, world
from tests.session_codes import rh

KEYS = [
    "mentoring_functions",
    "relationship_quality_mentee",
    "relationship_quality_mentor",
    "reaction",
    "learning",
    "recommendation",
]


@pytest.fixture
def w(app) -> World:
    return world()


def ctx(w: World, *, locale: str | None = None) -> LaunchContext:
    return LaunchContext(
        platform_id=w.platform.id,
        user_id=w.coordinator.id,
        course_id=w.course.id,
        role=CourseRole.COORDINATOR,
        locale=locale,
    )


def page(w: World) -> str:
    return f"/programmes/{w.programme.id}/surveys/instruments"


def surveys(w: World) -> list[Survey]:
    return list(db.session.execute(sa.select(Survey).where(Survey.programme_id == w.programme.id)).scalars())


def items_of(survey: Survey) -> list[SurveyItem]:
    return list(
        db.session.execute(
            sa.select(SurveyItem).where(SurveyItem.survey_id == survey.id).order_by(SurveyItem.position)
        ).scalars()
    )


def add_from_page(client, w: World, key: str):
    return client.post(f"{page(w)}/{key}", data={"ritmo_session": w.token(w.coordinator)})


# -- the catalogue ---------------------------------------------------------------------------------


def test_every_instrument_loads_and_validates() -> None:
    loaded = catalogue.load_directory(catalogue.HERE)
    assert list(loaded) == KEYS
    for instrument in loaded.values():
        assert instrument.citations and instrument.terms_en and instrument.terms_it
        scored = {item.subscale for item in instrument.scored_items}
        assert scored == {s.key for s in instrument.subscales}, instrument.key
        for item in instrument.items:
            assert item.text_en.strip() and item.text_it.strip() and item.text_en != item.text_it


def test_what_was_shipped_is_said_in_both_languages() -> None:
    for instrument in catalogue.load_directory(catalogue.HERE).values():
        if instrument.wording == "ritmo":
            assert "Ritmo's items" in instrument.terms_en, instrument.key
            assert "item di ritmo" in instrument.terms_it.lower(), instrument.key
        # The Italian is never presented as a validated translation.
        assert "Ritmo's translation" in instrument.terms_en, instrument.key
        assert "traduzione di Ritmo" in instrument.terms_it, instrument.key
    functions = catalogue.load_directory(catalogue.HERE)["mentoring_functions"]
    assert "not the validated instrument" in functions.terms_en
    assert any("Castro" in c and "Scandura" in c and "Williams" in c for c in functions.citations)
    recommendation = catalogue.load_directory(catalogue.HERE)["recommendation"]
    assert "trademarks of Bain & Company" in recommendation.terms_en


def _data(key: str) -> dict[str, Any]:
    return json.loads((catalogue.HERE / f"{key}.json").read_text(encoding="utf-8"))


def _break(data: dict[str, Any], how: str) -> None:
    items = data["items"]
    if how == "unknown sub-scale":
        items[0]["subscale"] = "nowhere"
    elif how == "duplicate item key":
        items[1]["key"] = items[0]["key"]
    elif how == "reverse on free text":
        items.append({"key": "note", "type": "long_text", "text_en": "x", "text_it": "y", "reverse": True})
    elif how == "scored free text":
        items.append(
            {"key": "note", "type": "long_text", "text_en": "x", "text_it": "y", "subscale": "quality"}
        )
    elif how == "minimum out of reach":
        data["subscales"][0]["min_answered"] = 99
    elif how == "total out of reach":
        data["total"]["min_answered"] = 99
    elif how == "no citation":
        data["citations"] = []
    elif how == "no Italian":
        del items[0]["text_it"]
    elif how == "sub-scale called total":
        data["subscales"][0]["key"] = "total"
        for item in items:
            if item.get("subscale") == "quality":
                item["subscale"] = "total"


@pytest.mark.parametrize(
    "how",
    [
        "unknown sub-scale",
        "duplicate item key",
        "reverse on free text",
        "scored free text",
        "minimum out of reach",
        "total out of reach",
        "no citation",
        "no Italian",
        "sub-scale called total",
    ],
)
def test_a_broken_instrument_is_refused(how: str) -> None:
    data = _data("relationship_quality_mentee")
    catalogue.parse(copy.deepcopy(data))  # the file as shipped is fine
    _break(data, how)
    with pytest.raises(catalogue.CatalogueError):
        catalogue.parse(data)


def test_an_nps_question_must_be_asked_on_0_to_10() -> None:
    data = _data("recommendation")
    data["scale"]["points"] = 10
    with pytest.raises(catalogue.CatalogueError, match="11 points"):
        catalogue.parse(data)


def test_a_file_must_be_named_after_its_key(tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text(json.dumps(_data("reaction")), encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match="not 'other'"):
        catalogue.load_directory(tmp_path)
    (tmp_path / "other.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match=r"other\.json"):
        catalogue.load_directory(tmp_path)


def test_the_wheel_ships_the_instrument_files() -> None:
    config = configparser.ConfigParser()
    config.read(Path(__file__).resolve().parents[3] / "setup.cfg")
    assert "mentoring/surveys/instruments/*.json" in config["options.package_data"]["lti_tool"].split()


# -- the page and the one-click add ---------------------------------------------------------------


def test_the_page_lists_each_instrument_with_its_source_and_terms(client, w: World) -> None:
    response = client.get(page(w), query_string={"rh": rh(w.token(w.coordinator))})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.findall(r'data-instrument="([^"]+)"', html) == KEYS
    for instrument in catalogue.instruments().values():
        block = html.split(f'data-instrument="{instrument.key}"')[1].split("</article>")[0]
        for citation in instrument.citations:
            assert _escaped(citation) in block
        assert _escaped(instrument.terms_en) in block
        assert f'<dd data-field="items">{len(instrument.items)}</dd>' in block
        for subscale in instrument.subscales:
            assert f'data-subscale="{subscale.key}"' in block
        assert "Add to this programme" in block
    rq = html.split('data-instrument="relationship_quality_mentee"')[1].split("</article>")[0]
    assert "2 items are worded negatively and scored in reverse" in rq
    assert "Allen, T. D., Eby, L. T., &amp; Lentz, E. (2006)" in rq


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;")


def test_the_page_speaks_italian_to_an_italian_coordinator(client, w: World) -> None:
    token = issue_token(ctx(w, locale="it"))
    html = client.get(page(w), query_string={"rh": rh(token)}).get_data(as_text=True)
    functions = catalogue.instruments()["mentoring_functions"]
    assert _escaped(functions.name_it) in html
    assert _escaped(functions.terms_it) in html
    assert _escaped(functions.items[0].text_it) in html


def test_one_click_adds_the_survey_with_its_items_for_the_right_audience(client, w: World) -> None:
    response = add_from_page(client, w, "relationship_quality_mentor")
    assert response.status_code == 303
    [survey] = surveys(w)
    assert f"added={survey.id}" in response.headers["Location"]
    assert survey.instrument_key == "relationship_quality_mentor"
    assert survey.audience is Audience.MENTORS
    instrument = catalogue.instruments()["relationship_quality_mentor"]
    assert (survey.title_en, survey.title_it) == (instrument.name_en, instrument.name_it)
    rows = items_of(survey)
    assert [(r.key, r.type, r.text_en, r.text_it, r.subscale, r.reverse, r.required) for r in rows] == [
        (i.key, i.type, i.text_en, i.text_it, i.subscale, i.reverse, i.required) for i in instrument.items
    ]
    assert [r.position for r in rows] == list(range(1, 9))
    assert all(r.scale["points"] == 5 and r.scale["max_label_it"] == "Del tutto d'accordo" for r in rows)
    assert {r.key for r in rows if r.reverse} == {"quality_3", "quality_5"}

    add_from_page(client, w, "relationship_quality_mentee")
    add_from_page(client, w, "recommendation")
    by_key = {s.instrument_key: s for s in surveys(w)}
    assert by_key["relationship_quality_mentee"].audience is Audience.MENTEES
    assert by_key["recommendation"].audience is Audience.EVERYONE
    [nps, reason] = items_of(by_key["recommendation"])
    assert (nps.type, nps.scale["points"], nps.subscale) == (ItemType.NPS, 11, "nps")
    assert (reason.type, reason.required, reason.subscale, reason.scale) == (
        ItemType.LONG_TEXT,
        False,
        None,
        {},
    )

    html = client.get(page(w), query_string={"rh": rh(w.token(w.coordinator)), "added": survey.id}).get_data(
        as_text=True
    )
    assert 'id="instrument-added"' in html
    assert f"/programmes/{w.programme.id}/surveys/{survey.id}/schedule" in html
    assert html.count("Add to this programme") == len(KEYS) - 3
    assert html.count('data-field="added"') == 3


def test_a_second_click_adds_nothing_until_the_first_is_archived(client, w: World) -> None:
    assert add_from_page(client, w, "reaction").status_code == 303
    again = client.post(
        f"/api/programmes/{w.programme.id}/survey-instruments/reaction", headers=w.headers(w.coordinator)
    )
    assert again.status_code == 409
    assert len(surveys(w)) == 1
    builder.archive_survey(ctx(w), surveys(w)[0].id)
    assert (
        client.post(
            f"/api/programmes/{w.programme.id}/survey-instruments/reaction", headers=w.headers(w.coordinator)
        ).status_code
        == 201
    )
    assert len(surveys(w)) == 2


def test_the_api_lists_and_adds(client, w: World) -> None:
    listed = client.get(
        f"/api/programmes/{w.programme.id}/survey-instruments", headers=w.headers(w.coordinator)
    )
    assert listed.status_code == 200
    found = {i["key"]: i for i in listed.json["instruments"]}
    assert list(found) == KEYS
    assert found["mentoring_functions"]["items_count"] == 9
    assert [s["key"] for s in found["mentoring_functions"]["subscales"]] == [
        "career",
        "psychosocial",
        "role_model",
    ]
    assert found["relationship_quality_mentee"]["reverse_scored"] == ["quality_3", "quality_5"]
    assert found["learning"]["added_survey_id"] is None

    made = client.post(
        f"/api/programmes/{w.programme.id}/survey-instruments/learning", headers=w.headers(w.coordinator)
    )
    assert made.status_code == 201
    assert made.json["instrument_key"] == "learning" and made.json["audience"] == "mentees"
    assert len(made.json["items"]) == 6
    listed = client.get(
        f"/api/programmes/{w.programme.id}/survey-instruments", headers=w.headers(w.coordinator)
    )
    assert {i["key"]: i for i in listed.json["instruments"]}["learning"]["added_survey_id"] == made.json["id"]


def test_an_unknown_instrument_is_not_found(client, w: World) -> None:
    response = client.post(
        f"/api/programmes/{w.programme.id}/survey-instruments/mfq9", headers=w.headers(w.coordinator)
    )
    assert response.status_code == 404
    assert surveys(w) == []


def test_only_coordinators_see_or_add_instruments(client, w: World) -> None:
    mentee = w.person("Mia Mentee", ParticipantRole.MENTEE)
    api = f"/api/programmes/{w.programme.id}/survey-instruments"
    assert client.get(api, headers=w.headers(mentee.user_id)).status_code == 403
    assert client.post(f"{api}/reaction", headers=w.headers(mentee.user_id)).status_code == 403
    assert client.get(page(w), query_string={"rh": rh(w.token(mentee.user_id))}).status_code == 403
    posted = client.post(f"{page(w)}/reaction", data={"ritmo_session": w.token(mentee.user_id)})
    assert posted.status_code == 403
    assert client.get(api, headers={"Accept": "application/json"}).status_code == 401
    assert surveys(w) == []


def test_another_courses_coordinator_cannot_reach_the_programme(client, w: World) -> None:
    other = Course(platform_id=w.platform.id, context_id="CourseB", title="Other")
    db.session.add(other)
    db.session.commit()
    token = issue_token(
        LaunchContext(
            platform_id=w.platform.id,
            user_id=w.coordinator.id,
            course_id=other.id,
            role=CourseRole.COORDINATOR,
        )
    )
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    assert (
        client.post(
            f"/api/programmes/{w.programme.id}/survey-instruments/reaction", headers=headers
        ).status_code
        == 404
    )
    assert surveys(w) == []


# -- the lock --------------------------------------------------------------------------------------


def _definition(item: SurveyItem, **changes: Any) -> dict[str, Any]:
    data = {name: getattr(item, name) for name in builder.ITEM_FIELDS}
    data.update(changes)
    return data


def test_an_added_instruments_wording_and_scoring_are_locked(client, w: World) -> None:
    add_from_page(client, w, "relationship_quality_mentee")
    [survey] = surveys(w)
    first, second = items_of(survey)[:2]
    original = first.text_en
    for changes in (
        {"text_en": "Reworded"},
        {"text_it": "Riformulato"},
        {"reverse": True},
        {"subscale": "progress"},
        {"scale": {**first.scale, "points": 7}},
    ):
        with pytest.raises(Conflict):
            builder.update_item(ctx(w), survey.id, first.id, _definition(first, **changes))
        db.session.rollback()
    assert db.session.get(SurveyItem, first.id).text_en == original
    with pytest.raises(Conflict):
        builder.delete_item(ctx(w), survey.id, first.id)
    db.session.rollback()
    with pytest.raises(Conflict):
        builder.add_item(
            ctx(w), survey.id, {"type": ItemType.LIKERT, "text_en": "Extra", "scale": {"points": 5}}
        )
    db.session.rollback()
    with pytest.raises(Conflict):
        builder.reorder(ctx(w), survey.id, [second.id, first.id] + [i.id for i in items_of(survey)[2:]])
    db.session.rollback()
    with pytest.raises(Conflict):
        builder.update_survey(ctx(w), survey.id, {"audience": Audience.MENTORS})
    db.session.rollback()
    assert len(items_of(survey)) == 8
    assert db.session.get(Survey, survey.id).audience is Audience.MENTEES


def test_an_added_instruments_title_schedule_and_requirement_stay_editable(client, w: World) -> None:
    add_from_page(client, w, "reaction")
    [survey] = surveys(w)
    builder.update_survey(ctx(w), survey.id, {"title_en": "End-of-year reaction", "anonymous": True})
    first = items_of(survey)[0]
    builder.update_item(ctx(w), survey.id, first.id, _definition(first, required=False))
    survey.schedule = {"closing": {"enabled": True}}
    db.session.commit()
    db.session.expire_all()
    survey = db.session.get(Survey, survey.id)
    assert (survey.title_en, survey.anonymous, survey.schedule) == (
        "End-of-year reaction",
        True,
        {"closing": {"enabled": True}},
    )
    assert items_of(survey)[0].required is False


def test_a_hand_built_survey_is_not_locked(w: World) -> None:
    survey = builder.create_survey(ctx(w), {"title_en": "Own", "audience": Audience.EVERYONE})
    item = builder.add_item(
        ctx(w), survey.id, {"type": ItemType.LIKERT, "text_en": "Q", "scale": {"points": 5}}
    )
    builder.update_item(
        ctx(w), survey.id, item.id, _definition(item, text_en="Q2", reverse=True, subscale="a")
    )
    assert db.session.get(SurveyItem, item.id).text_en == "Q2"


def test_the_builder_can_ask_first_and_name_the_locked_fields(client, w: World) -> None:
    add_from_page(client, w, "learning")
    [survey] = surveys(w)
    item = items_of(survey)[0]
    with pytest.raises(Conflict) as refused:
        locks.check_item_change(survey, item, {"text_it": "Altro", "required": False, "key": item.key})
    assert refused.value.errors is not None and list(refused.value.errors) == ["text_it"]
    locks.check_item_change(survey, item, {"required": False, "text_en": item.text_en})
    with pytest.raises(Conflict):
        locks.check_survey_change(survey, {"audience": Audience.EVERYONE})
    locks.check_survey_change(survey, {"audience": Audience.MENTEES, "title_en": "Learning"})
    with pytest.raises(Conflict):
        locks.check_items_added_or_removed(survey)
    own = builder.create_survey(ctx(w), {"title_en": "Own", "audience": Audience.EVERYONE})
    locks.check_items_added_or_removed(own)
    locks.check_survey_change(own, {"audience": Audience.MENTORS})


def test_the_edit_page_lists_an_instruments_questions_and_a_change_is_refused_cleanly(
    client, w: World
) -> None:
    add_from_page(client, w, "reaction")
    [survey] = surveys(w)
    first = items_of(survey)[0]
    base = f"/programmes/{w.programme.id}/surveys/{survey.id}"
    headers = w.headers(w.coordinator)
    html = client.get(base, headers=headers).get_data(as_text=True)
    assert 'id="instrument-locked"' in html
    assert f"{base}/items/{first.id}" not in html and 'id="new-item"' not in html
    # Posted anyway (an old page): refused with the reason, and nothing half-written.
    posted = client.post(
        f"{base}/items/{first.id}",
        data={
            "ritmo_session": w.token(w.coordinator),
            "type": first.type.value,
            "text_en": "Reworded",
            "points": str((first.scale or {}).get("points", 5)),
        },
    )
    assert posted.status_code == 409
    assert "cannot be changed" in posted.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SurveyItem, first.id).text_en != "Reworded"
