"""The events Ritmo did not emit before webhooks, each through its real flow: a milestone completed
(the mentor confirms), a support request opened, a pair whose rhythm becomes at risk; and what their
bodies carry (ids and LMS user ids, never words people wrote); and a survey's window closing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.mentoring.goals import milestones
from lti_tool.mentoring.rhythm.escalation import run_programme
from lti_tool.mentoring.surveys import occasions
from lti_tool.mentoring.webhooks import subscriptions
from lti_tool.mentoring.webhooks.catalogue import NAMES
from lti_tool.mentoring.webhooks.models import WebhookDelivery
from tests.grades.factory import bearer
from tests.grades.factory import make_world as goals_world
from tests.mentoring.conversations.factories import make_world
from tests.mentoring.rhythm.conftest import chat, days_later
from tests.mentoring.surveys.schedule_world import add_survey

URL = "https://receiver.example.edu/hooks"


def bodies(event_type: str) -> list[dict[str, Any]]:
    db.session.expire_all()
    return [
        json.loads(body) for body in db.session.execute(
            sa.select(WebhookDelivery.body).where(WebhookDelivery.event_type == event_type)
            .order_by(WebhookDelivery.id)
        ).scalars()
    ]


def test_a_confirmed_milestone_is_milestone_completed(client, app) -> None:
    world = goals_world(matches=1)
    subscriptions.add(world.platform.id, URL, list(NAMES))
    milestone = milestones.create_milestone(
        world.coord, {"title": "First meeting held", "requires_confirmation": True}
    )
    match = world.matches[0]
    url = f"/api/goals/matches/{match.id}/milestones/{milestone.id}"
    marked = client.post(url + "/done", json={"note": "private words"},
                         headers=bearer(world.ctx(world.mentees[0])))
    assert marked.status_code == 200
    assert bodies("milestone.completed") == []  # awaiting the mentor
    confirmed = client.post(url + "/confirm", json={}, headers=bearer(world.ctx(world.mentors[0])))
    assert confirmed.status_code == 200
    [body] = bodies("milestone.completed")
    assert body["data"] == {
        "match": {"id": match.id, "mentor": {"sub": "u-mentor-01"}, "mentees": [{"sub": "u-learner-01"}]},
        "milestone_id": milestone.id, "mentee": {"sub": "u-learner-01"},
    }
    assert body["programme"]["id"] == world.programme.id
    assert "private words" not in json.dumps(body) and "First meeting held" not in json.dumps(body)


def test_an_opened_support_request_is_support_request_opened(client, app) -> None:
    world = make_world()
    subscriptions.add(world.platform.id, URL, ["support.request_opened"])
    response = client.post(
        "/api/support/requests", headers=world.headers(world.mentee),
        json={"subject": "Cannot find the goals page", "body": "My mentor never answers",
              "match_id": world.match.id},
    )
    assert response.status_code == 201, response.get_json()
    [body] = bodies("support.request_opened")
    assert body["type"] == "support.request_opened"
    assert body["data"]["request_id"] == response.get_json()["id"]
    assert body["data"]["requester"] == {"sub": world.mentee.sub}
    assert body["data"]["match"]["id"] == world.match.id
    text = json.dumps(body)
    assert "goals page" not in text and "never answers" not in text


def test_a_pair_entering_at_risk_is_pair_at_risk_once(client, app) -> None:
    world = make_world()
    subscriptions.add(world.platform.id, URL, ["pair.at_risk"])
    start = utcnow()
    chat(client, world, world.mentee, "can we meet next week?")
    seen_at_risk_on = None

    def ours() -> list[dict[str, Any]]:
        return [b for b in bodies("pair.at_risk") if b["data"]["match"]["id"] == world.match.id]

    for day in range(0, 20):
        run_programme(world.programme, days_later(day, start))
        db.session.commit()
        if seen_at_risk_on is None and ours():
            seen_at_risk_on = day
    assert seen_at_risk_on is not None
    [body] = ours()  # once per episode, not every day it stays at risk
    assert body["data"]["reasons"] and all(isinstance(code, str) for code in body["data"]["reasons"])
    assert body["occurred_at"].startswith(days_later(seen_at_risk_on, start).date().isoformat())


def test_a_survey_window_that_closes_is_survey_closed_once(app) -> None:
    world = make_world()
    subscriptions.add(world.platform.id, URL, ["survey.closed"])
    survey = add_survey(world, {"baseline": "joined", "window_days": 14, "remind_days_before": 3})
    now = utcnow()
    occasions.run(now)  # the baseline opens for everyone, for 14 days
    occasions.run(now + timedelta(days=13))
    assert bodies("survey.closed") == []
    occasions.run(now + timedelta(days=14, hours=1))
    occasions.run(now + timedelta(days=14, hours=2))  # a later run announces nothing again
    [body] = bodies("survey.closed")
    assert body["data"] == {"survey_id": survey.id, "occasion": "baseline"}
    assert body["programme"]["id"] == world.programme.id
