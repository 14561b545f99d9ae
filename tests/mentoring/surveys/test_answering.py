"""Answering a survey as a participant: My surveys, the form of each item type, changing one's
answers while the window is open and not after, who may answer what, and the milestone rule
"survey answered" fed by the real answering path."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.identity.session import issue_token
from lti_tool.mentoring.goals.models import CompletionState, MilestoneCompletion
from lti_tool.mentoring.surveys.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from tests.grades.factory import World, bearer, make_world
from tests.mentoring.surveys.core_world import COMMENT, LIKERT, answer, make_survey, open_now
from tests.session_codes import rh

CHOICES = [{"label_en": "Yes", "label_it": "Sì"}, {"label_en": "No", "label_it": "No"}]
EVERY_TYPE = (
    LIKERT,
    {"type": "single", "text_en": "Did you meet?", "options": CHOICES},
    {"type": "multiple", "text_en": "What did you do?", "options": [*CHOICES, {"label_en": "Talk"}]},
    {"type": "nps", "text_en": "Would you recommend it?"},
    {"type": "short_text", "text_en": "One word", "required": False},
    COMMENT,
    {
        "type": "matrix",
        "text_en": "Help with",
        "scale": {"points": 3},
        "rows": [{"text_en": "career"}, {"text_en": "confidence"}],
    },
)


@pytest.fixture
def world(app) -> World:
    return make_world(matches=2)


def invitation_of(world: World, who, survey_id: int) -> SurveyInvitation:
    return db.session.execute(
        sa.select(SurveyInvitation).where(
            SurveyInvitation.survey_id == survey_id, SurveyInvitation.user_id == who.user_id
        )
    ).scalar_one()


def stored(survey_id: int) -> list[tuple[int, str | None, float | None, str | None, list | None]]:
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(
                SurveyAnswer.item_id,
                SurveyAnswer.row_key,
                SurveyAnswer.value_num,
                SurveyAnswer.value_text,
                SurveyAnswer.value_choices,
            )
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(SurveyResponse.survey_id == survey_id)
            .order_by(SurveyAnswer.item_id, SurveyAnswer.row_key)
        )
    ]


def test_a_mentee_answers_every_item_type_in_the_form_and_changes_her_answers(client, world: World) -> None:
    survey = make_survey(client, world, *EVERY_TYPE, audience="mentees")
    ids = [item["id"] for item in survey["items"]]
    assert open_now(client, world, survey["id"]) == 2
    mentee = world.mentees[0]
    hers = bearer(world.ctx(mentee))
    mine = client.get("/surveys/mine", headers=hers).get_data(as_text=True)
    invitation = invitation_of(world, mentee, survey["id"])
    assert "Check-in" in mine and f"invitation={invitation.id}" in mine and "answer by" in mine
    page_url = f"/surveys/{survey['id']}/answer?invitation={invitation.id}"
    page = client.get(page_url, headers=hers).get_data(as_text=True)
    for control in (
        f'type="radio" name="item-{ids[0]}" value="5"',
        f'type="checkbox" name="item-{ids[2]}"',
        f'name="item-{ids[3]}" value="10"',
        f'<textarea name="item-{ids[5]}"',
        f'name="item-{ids[6]}-r2" value="3"',
        'name="share_text"',
    ):
        assert control in page, control
    form = {
        f"item-{ids[0]}": "4",
        f"item-{ids[1]}": "o1",
        f"item-{ids[2]}": ["o3", "o1"],
        f"item-{ids[3]}": "9",
        f"item-{ids[4]}": "",
        f"item-{ids[5]}": "<b>More</b> calls",
        f"item-{ids[6]}-r1": "2",
        f"item-{ids[6]}-r2": "3",
        "share_text": "on",
    }
    sent = client.post(page_url, headers=hers, data=form)
    assert sent.status_code == 303, sent.get_data(as_text=True)
    assert stored(survey["id"]) == [
        (ids[0], None, 4.0, None, None),
        (ids[1], None, None, None, ["o1"]),
        (ids[2], None, None, None, ["o1", "o3"]),
        (ids[3], None, 9.0, None, None),
        (ids[5], None, None, "More calls", None),
        (ids[6], "r1", 2.0, None, None),
        (ids[6], "r2", 3.0, None, None),
    ]
    # She sees her answers and changes one while the window is open: still one response.
    again = client.get(page_url, headers=hers).get_data(as_text=True)
    assert f'name="item-{ids[0]}" value="4" checked' in again and "More calls" in again
    assert client.post(page_url, headers=hers, data={**form, f"item-{ids[0]}": "2"}).status_code == 303
    assert stored(survey["id"])[0] == (ids[0], None, 2.0, None, None)
    assert db.session.execute(sa.select(sa.func.count()).select_from(SurveyResponse)).scalar_one() == 1
    listed = client.get("/api/surveys/mine", headers=hers).get_json()["surveys"]
    assert [(s["survey_id"], s["answered"], s["open"]) for s in listed] == [(survey["id"], True, True)]


def test_wrong_or_missing_answers_are_named_and_nothing_is_written(client, world: World) -> None:
    survey = make_survey(client, world, *EVERY_TYPE, audience="mentees")
    ids = [item["id"] for item in survey["items"]]
    open_now(client, world, survey["id"])
    refused = answer(
        client,
        world,
        world.mentees[0],
        survey["id"],
        {
            ids[0]: 6,
            ids[1]: "o9",
            ids[2]: ["o1", "o1"],
            ids[3]: 11,
            ids[6]: {"r1": 1},
        },
    )
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert set(errors) == {f"item-{i}" for i in (ids[0], ids[1], ids[2], ids[3], ids[6])}
    assert stored(survey["id"]) == []
    page = client.post(
        f"/surveys/{survey['id']}/answer",
        headers=bearer(world.ctx(world.mentees[0])),
        data={f"item-{ids[0]}": "3"},
    )
    assert page.status_code == 422 and "Please answer this question." in page.get_data(as_text=True)
    assert 'value="3" checked' in page.get_data(as_text=True)  # what she gave is kept in the form


def test_answers_cannot_change_after_the_window(client, world: World) -> None:
    survey = make_survey(client, world, LIKERT, audience="mentees")
    item = survey["items"][0]["id"]
    open_now(client, world, survey["id"])
    mentee = world.mentees[0]
    assert answer(client, world, mentee, survey["id"], {item: 5}).status_code == 200
    invitation = invitation_of(world, mentee, survey["id"])
    invitation.closes_at = utcnow() - timedelta(minutes=1)  # the window has passed
    db.session.commit()
    late = answer(client, world, mentee, survey["id"], {item: 1}, invitation=invitation.id)
    assert late.status_code == 409 and "closed" in late.get_json()["detail"]
    assert stored(survey["id"]) == [(item, None, 5.0, None, None)]
    page = client.get(
        f"/surveys/{survey['id']}/answer?invitation={invitation.id}", headers=bearer(world.ctx(mentee))
    ).get_data(as_text=True)
    assert "can no longer change" in page and "disabled" in page and "Send my answers" not in page


def test_nobody_answers_a_survey_not_for_their_role_or_anothers_invitation(client, world: World) -> None:
    for_mentors = make_survey(client, world, LIKERT, audience="mentors")
    open_now(client, world, for_mentors["id"])
    mentee = world.mentees[0]
    assert (
        client.get(f"/surveys/{for_mentors['id']}/answer", headers=bearer(world.ctx(mentee))).status_code
        == 403
    )
    assert (
        answer(client, world, mentee, for_mentors["id"], {for_mentors["items"][0]["id"]: 3}).status_code
        == 403
    )
    for_mentees = make_survey(client, world, LIKERT, audience="mentees")
    open_now(client, world, for_mentees["id"])
    others = invitation_of(world, world.mentees[1], for_mentees["id"])
    taken = answer(
        client, world, mentee, for_mentees["id"], {for_mentees["items"][0]["id"]: 3}, invitation=others.id
    )
    assert taken.status_code == 403
    assert (
        client.get(
            f"/surveys/{for_mentees['id']}/answer?invitation={others.id}", headers=bearer(world.ctx(mentee))
        ).status_code
        == 403
    )
    # A mentor is not in a survey for mentees; a survey never opened is not open for anyone.
    assert answer(client, world, world.mentors[0], for_mentees["id"], {}).status_code == 403
    closed = make_survey(client, world, LIKERT, audience="mentees")
    assert answer(client, world, mentee, closed["id"], {closed["items"][0]["id"]: 3}).status_code == 404
    assert stored(for_mentees["id"]) == [] and stored(for_mentors["id"]) == []


def test_the_survey_answered_milestone_completes_through_the_real_answering_path(
    client, world: World
) -> None:
    made = client.post(
        "/api/goals/milestones",
        headers=bearer(world.coord),
        json={
            "title": "Answer the check-in",
            "completion_mode": "automatic",
            "rule_event": "survey.answered",
            "rule_count": 1,
            "graded": False,
            "points": 0,
        },
    )
    assert made.status_code == 201, made.get_json()
    twice = client.post(
        "/api/goals/milestones",
        headers=bearer(world.coord),
        json={
            "title": "Answer two surveys",
            "completion_mode": "automatic",
            "rule_event": "survey.answered",
            "rule_count": 2,
            "graded": False,
            "points": 0,
        },
    ).get_json()
    survey = make_survey(client, world, LIKERT, audience="everyone")
    item = survey["items"][0]["id"]
    open_now(client, world, survey["id"])
    mentee, other = world.mentees
    assert answer(client, world, mentee, survey["id"], {item: 4}).status_code == 200
    assert answer(client, world, mentee, survey["id"], {item: 5}).status_code == 200  # an edit: no new event

    def completed(milestone_id: int) -> dict[int, CompletionState]:
        db.session.expire_all()
        return {
            c.participant_id: c.state
            for c in db.session.execute(
                sa.select(MilestoneCompletion).where(MilestoneCompletion.milestone_id == milestone_id)
            ).scalars()
        }

    assert completed(made.get_json()["id"]) == {mentee.id: CompletionState.COMPLETED}
    assert completed(twice["id"]) == {}
    assert other.id not in completed(made.get_json()["id"])


def test_the_programme_home_links_to_surveys_for_each_role(client, world: World) -> None:
    coordinator = client.get("/programme", query_string={"rh": rh(issue_token(world.coord))}).get_data(
        as_text=True
    )
    assert f'href="/programmes/{world.programme.id}/surveys" id="open-surveys"' in coordinator
    mentee = client.get("/programme", query_string={"rh": rh(issue_token(world.ctx(world.mentees[0])))})
    html = mentee.get_data(as_text=True)
    assert 'href="/surveys/mine" id="open-my-surveys"' in html and "open-surveys" not in html


def test_once_answered_a_question_keeps_its_shape_and_the_survey_its_promise(client, world: World) -> None:
    survey = make_survey(client, world, LIKERT, audience="mentees", anonymous=True)
    item = survey["items"][0]
    base = f"/api/programmes/{world.programme.id}/surveys/{survey['id']}"
    open_now(client, world, survey["id"])
    assert answer(client, world, world.mentees[0], survey["id"], {item["id"]: 4}).status_code == 200
    coord = bearer(world.coord)
    reshaped = client.put(
        f"{base}/items/{item['id']}", headers=coord, json={**LIKERT, "scale": {"points": 7}}
    )
    assert reshaped.status_code == 409
    retyped = client.put(
        f"{base}/items/{item['id']}", headers=coord, json={"type": "nps", "text_en": "Now NPS"}
    )
    assert retyped.status_code == 409
    assert client.delete(f"{base}/items/{item['id']}", headers=coord).status_code == 409
    assert client.patch(base, headers=coord, json={"anonymous": False}).status_code == 409
    reworded = client.put(
        f"{base}/items/{item['id']}", headers=coord, json={**LIKERT, "text_en": "Listens well."}
    )
    assert reworded.status_code == 200 and reworded.get_json()["scale"]["points"] == 5
    assert stored(survey["id"]) == [(item["id"], None, 4.0, None, None)]
