"""Placing a webinar and a content module in the course: a deep-linking round trip with the demo
LMS (a real LTI 1.3 platform over HTTP), the placed links opening the item, and the attendance or
completion reaching the LMS gradebook through the score outbox."""

from __future__ import annotations

from datetime import timedelta

import requests
import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.jobs.models import Job, JobState
from lti_tool.jobs.runner import drain
from lti_tool.launch import deep_linking, targets
from tests.launch.test_deep_linking import (
    INSTRUCTOR_ID,
    LEARNER_ID,
    demo_launch,
    form_of,
    pick,
    return_to_platform,
)
from tests.lti_platform import session_token
from tests.session_codes import rh

MENTOR_ID = "u-mentor-01"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_webinar_and_module_placed_opened_and_graded(ritmo, demo):
    browser = requests.Session()
    home = demo_launch(browser, demo, INSTRUCTOR_ID)
    assert home.status_code == 200, home.text[:500]
    coach = session_token(home.text)
    start = (utcnow() + timedelta(minutes=5)).replace(tzinfo=None, microsecond=0)
    created = browser.post(
        ritmo.url + "/api/webinars",
        headers=_bearer(coach),
        json={"title": "Kick-off", "starts_at": start.isoformat(), "timezone": "UTC", "duration_minutes": 60},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    webinar_id = created.json()["webinars"][0]["id"]
    module = browser.post(
        ritmo.url + "/api/content/modules", headers=_bearer(coach), json={"title": "Mentor basics"},
        timeout=10,
    ).json()
    item = browser.post(
        ritmo.url + "/api/content/items",
        headers=_bearer(coach),
        json={"module_id": module["id"], "kind": "text", "title": "Read me", "body": "Hello"},
        timeout=10,
    ).json()

    # The instructor's content picker offers both, graded.
    picker = demo_launch(browser, demo, INSTRUCTOR_ID, message="deeplink")
    assert picker.status_code == 200, picker.text[:1000]
    choices = form_of(picker.text).choices
    assert f"webinar:{webinar_id}" in choices and f"content:{module['id']}" in choices
    answer = pick(browser, ritmo.url, picker, [f"webinar:{webinar_id}", f"content:{module['id']}"])
    assert answer.status_code == 200, answer.text[:1000]
    assert return_to_platform(browser, answer).status_code == 200

    placements = requests.get(demo.url + "/demo/placements", timeout=5).json()["placements"]
    by_target = {p["custom"]["ritmo_target"]: p for p in placements}
    webinar_link = by_target[f"webinar:{webinar_id}"]
    module_link = by_target[f"content:{module['id']}"]
    assert webinar_link["lineitem_id"] is not None and module_link["lineitem_id"] is not None

    # A learner opening the placed webinar lands on it, joins, and the attendance is graded.
    opened = demo_launch(browser, demo, LEARNER_ID, link_id=webinar_link["link_id"])
    assert opened.status_code == 200 and "Kick-off" in opened.text and 'id="webinar"' in opened.text
    learner = session_token(opened.text)
    joined = browser.get(
        f"{ritmo.url}/webinars/{webinar_id}/join",
        params={"rh": rh(learner)},
        allow_redirects=False,
        timeout=10,
    )
    assert joined.status_code == 303 and joined.headers["Location"].startswith("https://meet.jit.si/")

    # A mentor opening the placed module lands on it and completes it.
    opened = demo_launch(browser, demo, MENTOR_ID, link_id=module_link["link_id"])
    assert opened.status_code == 200 and "Mentor basics" in opened.text and 'id="module"' in opened.text
    mentor = session_token(opened.text)
    done = browser.post(
        f"{ritmo.url}/api/content/items/{item['id']}/completion", headers=_bearer(mentor), timeout=10
    )
    assert done.status_code == 200, done.text

    with ritmo.app.app_context():
        # Deliveries are batched a moment ahead; let that moment pass.
        db.session.execute(sa.update(Job).where(Job.state == JobState.QUEUED).values(run_at=utcnow()))
        db.session.commit()
        drain()
    gradebook = requests.get(demo.url + "/demo/gradebook", timeout=5).json()["lineitems"]
    scores = {g["resourceId"]: g["scores"] for g in gradebook if g.get("resourceId")}
    assert scores[f"webinar:{webinar_id}"][LEARNER_ID]["latest"]["scoreGiven"] == 1
    assert scores[f"content:{module['id']}"][MENTOR_ID]["latest"]["scoreGiven"] == 1
    assert scores[f"content:{module['id']}"][MENTOR_ID]["latest"]["activityProgress"] == "Completed"


def test_offer_is_for_coordinators_and_targets_are_registered(app):
    from tests.mentoring.webinars.factory import make_world

    world = make_world()
    from lti_tool.identity.session import read_token

    learner = read_token(world.people["nina"].token)
    assert deep_linking._providers(app)["webinar"](learner) == []
    assert {"webinar", "content"} <= set(targets.of(app).pages)
