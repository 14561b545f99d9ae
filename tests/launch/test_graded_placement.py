"""Graded placement end to end: an instructor places a graded milestone and the programme total
from the demo LMS's picker, a learner opens the placed link, completes the milestone, and the score
lands in the column the LMS made from the deep-linked ``lineItem`` (never a second one). With Open
edX's behaviour (the deep-linked ``lineItem`` ignored, launches carrying only ``lineitems``) Ritmo
creates the item's own column, tied to the placed link. Canvas's assignment selection (a deep-linking
request taking one item) offers the same graded items.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jwt
import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from lti_tool.accounts.models import Course, User
from lti_tool.db import db, utcnow
from lti_tool.demo import DemoPlatform, start_demo_server
from lti_tool.demo.server import ServerHandle
from lti_tool.identity.context import LaunchContext
from lti_tool.launch import registry
from lti_tool.launch.keys import signing_key
from lti_tool.mentoring.goals import completion
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme
from tests.grades.factory import FAST_GRADES, deliver_all
from tests.launch.test_deep_linking import (
    DL,
    INSTRUCTOR_ID,
    LEARNER_ID,
    demo_launch,
    form_of,
    pick,
    return_to_platform,
    session_context,
)
from tests.lti_platform import INSTRUCTOR, LTI, session_token, start_login
from tests.mentoring.matching import states as match_states
from tests.session_codes import rh


@pytest.fixture
def app_config() -> dict[str, object]:
    return dict(FAST_GRADES)


def start_lms(ritmo: ServerHandle, **config: Any) -> ServerHandle:
    handle = start_demo_server({"tool_base_url": ritmo.url, **config})
    registry.add_platform(DemoPlatform.of(handle.app).registration())
    return handle


@pytest.fixture
def demo(app: Flask, ritmo: ServerHandle) -> Iterator[ServerHandle]:
    handle = start_lms(ritmo)
    yield handle
    handle.shutdown()


@pytest.fixture
def open_edx(app: Flask, ritmo: ServerHandle) -> Iterator[ServerHandle]:
    handle = start_lms(ritmo, deep_link_line_items=False)
    yield handle
    handle.shutdown()


def api(ritmo: ServerHandle, token: str, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(method, ritmo.url + path, timeout=10,
                                headers={"Authorization": f"Bearer {token}"}, **kwargs)
    assert response.status_code < 300, response.text
    return response.json()


def graded_milestone(ritmo: ServerHandle, token: str, title: str, points: float) -> int:
    body = {"title": title, "graded": True, "points": points, "completion_mode": "manual",
            "requires_confirmation": False}
    created = api(ritmo, token, "POST", "/api/goals/milestones", json=body)
    return int(created.get("id") or created["milestone"]["id"])


def columns(demo: ServerHandle, resource_id: str) -> list[Any]:
    platform = DemoPlatform.of(demo.app)
    return platform.gradebook.query(platform.course.context_id, {"resourceId": resource_id})


def match_learner(app: Flask, learner_token: str) -> tuple[LaunchContext, int]:
    """An active match for the demo learner, with a mentor made here."""
    ctx = session_context(app, learner_token)
    programme = db.session.execute(
        sa.select(Programme).where(Programme.course_id == ctx.course_id)).scalar_one()
    mentee = db.session.execute(
        sa.select(Participant).where(Participant.user_id == ctx.user_id,
                                     Participant.programme_id == programme.id)).scalar_one()
    mentee.role = ParticipantRole.MENTEE
    mentor_user = User(platform_id=ctx.platform_id, sub="u-mentor-placed", name="Mo Mentor")
    db.session.add(mentor_user)
    db.session.flush()
    mentor = Participant(programme_id=programme.id, user_id=mentor_user.id, role=ParticipantRole.MENTOR)
    db.session.add(mentor)
    db.session.commit()
    return ctx, match_states.active(programme, mentor, [mentee]).id


def place(ritmo: ServerHandle, demo: ServerHandle, browser: requests.Session,
          targets: list[str]) -> dict[str, dict[str, Any]]:
    picker = demo_launch(browser, demo, INSTRUCTOR_ID, message="deeplink")
    assert picker.status_code == 200, picker.text[:1000]
    choices = form_of(picker.text).choices
    assert set(targets) <= set(choices), choices
    answer = pick(browser, ritmo.url, picker, targets)
    assert answer.status_code == 200, answer.text[:1000]
    assert return_to_platform(browser, answer).status_code == 200
    placements = requests.get(demo.url + "/demo/placements", timeout=5).json()["placements"]
    return {p["custom"]["ritmo_target"]: p for p in placements}


def test_graded_milestone_and_total_placed_scored_in_their_columns_and_followed(app, ritmo, demo):
    browser = requests.Session()
    first = demo_launch(browser, demo, INSTRUCTOR_ID, message="deeplink")
    coordinator = form_of(first.text).fields["ritmo_session"]
    milestone = graded_milestone(ritmo, coordinator, "First meeting", 5)
    graded_milestone(ritmo, coordinator, "Plan agreed", 10)

    offered = api(ritmo, coordinator, "GET", "/api/goals/placeable")["items"]
    assert [i["target"] for i in offered][:2] == ["milestone:total", f"milestone:{milestone}"]
    placed = place(ritmo, demo, browser, [f"milestone:{milestone}", "milestone:total"])
    assert placed[f"milestone:{milestone}"]["lineitem_id"] is not None
    assert placed["milestone:total"]["lineitem_id"] is not None

    # The learner opens the placed milestone: its page, in the match.
    link_id = placed[f"milestone:{milestone}"]["link_id"]
    joined = demo_launch(browser, demo, LEARNER_ID, link_id=link_id)
    assert joined.status_code == 200
    learner, match_id = match_learner(app, session_token(joined.text))
    opened = demo_launch(browser, demo, LEARNER_ID, link_id=link_id)
    assert opened.status_code == 200 and "First meeting" in opened.text
    assert f'class="milestone focus" id="milestone-{milestone}"' in opened.text
    completion.mark_done(learner, match_id, milestone)
    db.session.commit()
    deliver_all(app)

    (column,) = columns(demo, f"ritmo:milestone:{milestone}")  # the deep-linked one, no second
    assert column.id == placed[f"milestone:{milestone}"]["lineitem_id"]
    assert column.extra["resourceLinkId"] == link_id
    platform = DemoPlatform.of(demo.app)
    assert platform.gradebook.scores(column)[LEARNER_ID].latest["scoreGiven"] == 5
    (total,) = columns(demo, f"ritmo:programme:{learner_programme(learner)}")
    assert total.id == placed["milestone:total"]["lineitem_id"]
    assert total.score_maximum == 15 and total.label == "Mentoring 101: milestones total"
    assert platform.gradebook.scores(total)[LEARNER_ID].latest["scoreGiven"] == 5

    # The coordinator renames it and changes its points: the LMS's column follows.
    api(ritmo, coordinator, "PATCH", f"/api/goals/milestones/{milestone}",
        json={"title": "First meeting held", "points": 8})
    deliver_all(app)
    (column,) = columns(demo, f"ritmo:milestone:{milestone}")
    assert (column.label, column.score_maximum) == ("First meeting held", 8)
    assert column.extra["resourceLinkId"] == link_id
    assert platform.gradebook.scores(column)[LEARNER_ID].latest["scoreGiven"] == 8
    (total,) = columns(demo, f"ritmo:programme:{learner_programme(learner)}")
    assert total.score_maximum == 18


def learner_programme(ctx: LaunchContext) -> int:
    return db.session.execute(
        sa.select(Programme.id).where(Programme.course_id == ctx.course_id)).scalar_one()


def test_open_edx_ignoring_the_deep_linked_line_item_gets_ritmos_own_column(app, ritmo, open_edx):
    browser = requests.Session()
    first = demo_launch(browser, open_edx, INSTRUCTOR_ID, message="deeplink")
    coordinator = form_of(first.text).fields["ritmo_session"]
    milestone = graded_milestone(ritmo, coordinator, "First meeting", 5)
    placed = place(ritmo, open_edx, browser, [f"milestone:{milestone}"])
    assert placed[f"milestone:{milestone}"]["lineitem_id"] is None  # the LMS made no column
    link_id = placed[f"milestone:{milestone}"]["link_id"]
    opened = demo_launch(browser, open_edx, LEARNER_ID, link_id=link_id)
    assert opened.status_code == 200
    learner, match_id = match_learner(app, session_token(opened.text))
    assert db.session.get_one(Course, learner.course_id).lineitems_url  # only ``lineitems``
    completion.mark_done(learner, match_id, milestone)
    db.session.commit()
    deliver_all(app)
    (column,) = columns(open_edx, f"ritmo:milestone:{milestone}")
    assert column.extra["resourceLinkId"] == link_id and column.score_maximum == 5
    scores = DemoPlatform.of(open_edx.app).gradebook.scores(column)
    assert scores[LEARNER_ID].latest["scoreGiven"] == 5


def test_canvas_assignment_selection_offers_graded_items(client, platform, app):
    """Canvas asks for one item, with a line item, from its assignment page."""

    def picker() -> Any:
        auth = start_login(client, platform)
        settings = {"deep_link_return_url": platform.issuer + "/dl-return", "accept_multiple": False,
                    "accept_types": ["ltiResourceLink"], "accept_lineitem": True,
                    "accept_presentation_document_targets": ["iframe", "window"]}
        claims = platform.claims(auth["nonce"], roles=[INSTRUCTOR], **{
            LTI + "message_type": "LtiDeepLinkingRequest", LTI + "resource_link": None,
            DL + "deep_linking_settings": settings,
            "https://www.instructure.com/placement": "assignment_selection"})
        page = client.post("/lti/launch", data={"id_token": platform.sign(claims), "state": auth["state"]})
        assert page.status_code == 200, page.get_data(as_text=True)[:800]
        return form_of(page.get_data(as_text=True))

    form = picker()
    bearer = {"Authorization": "Bearer " + form.fields["ritmo_session"]}
    created = client.post("/api/goals/milestones", headers=bearer,
                          json={"title": "Mid-point review", "graded": True, "points": 4,
                                "completion_mode": "manual", "requires_confirmation": False})
    assert created.status_code < 300, created.get_data(as_text=True)
    form = picker()
    graded = [c for c in form.choices if c.startswith("milestone:") and c != "milestone:total"]
    assert len(graded) == 1 and "milestone:total" in form.choices
    answer = client.post(form.action, data={**form.fields, "item": graded[0]})
    assert answer.status_code == 200
    token = form_of(answer.get_data(as_text=True)).fields["JWT"]
    body = jwt.decode(token, signing_key().private_key.public_key(), algorithms=["RS256"],
                      audience=platform.issuer)
    [item] = body[DL + "content_items"]
    assert item["custom"] == {"ritmo_target": graded[0]}
    assert item["lineItem"] == {"scoreMaximum": 4, "label": "Mid-point review",
                                "resourceId": "ritmo:milestone:" + graded[0].split(":")[1],
                                "tag": "ritmo-milestone"}


def test_open_edx_graded_webinar_is_scored_in_ritmos_own_column(app, ritmo, open_edx):
    """The issue's case: a graded webinar placed in Open edX was stored with no line item."""
    browser = requests.Session()
    coach = session_token(demo_launch(browser, open_edx, INSTRUCTOR_ID).text)
    start = (utcnow() + timedelta(minutes=5)).replace(tzinfo=None, microsecond=0)
    created = api(ritmo, coach, "POST", "/api/webinars", json={
        "title": "Kick-off", "starts_at": start.isoformat(), "timezone": "UTC", "duration_minutes": 60})
    webinar_id = created["webinars"][0]["id"]
    placed = place(ritmo, open_edx, browser, [f"webinar:{webinar_id}"])
    link = placed[f"webinar:{webinar_id}"]
    assert link["lineitem_id"] is None
    opened = demo_launch(browser, open_edx, LEARNER_ID, link_id=link["link_id"])
    assert opened.status_code == 200 and 'id="webinar"' in opened.text
    joined = browser.get(f"{ritmo.url}/webinars/{webinar_id}/join",
                         params={"rh": rh(session_token(opened.text))}, allow_redirects=False, timeout=10)
    assert joined.status_code == 303
    deliver_all(app)
    (column,) = columns(open_edx, f"webinar:{webinar_id}")
    assert column.extra["resourceLinkId"] == link["link_id"] and column.label == "Kick-off"
    scores = DemoPlatform.of(open_edx.app).gradebook.scores(column)
    assert scores[LEARNER_ID].latest["scoreGiven"] == 1
