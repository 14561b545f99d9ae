"""A mentee whose request expired with no mentor left: the coordinators are really told, and the
mentee stays on their attention list until someone assigns or asks a mentor again."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.jobs.models import Job
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.matching.models import MatchRequest, RequestStatus
from lti_tool.mentoring.programmes.models import MatchingMode, ParticipantRole
from lti_tool.notifications.models import Notification
from tests.mentoring.programmes.factories import call, world


def _expire(req_id: int) -> None:
    req = db.session.get(MatchRequest, req_id)
    req.expires_at = utcnow() - timedelta(minutes=1)
    job = db.session.execute(
        sa.select(Job).where(Job.dedupe_key == f"match-request-expire:{req_id}")
    ).scalar_one()
    job.run_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    drain()
    db.session.expire_all()


def test_expired_request_with_no_mentor_left_reaches_the_coordinators(client, app):
    w = world(MatchingMode.MENTEE_CHOICE, requires_approval=False)
    w.question(kind="tags", label="Skills", options=["python", "sql"], weight=1)
    ada = w.person("Ada", ParticipantRole.MENTOR, capacity=1, answers={"skills": ["python"]})
    eve = w.person("Eve", ParticipantRole.MENTEE, answers={"skills": ["python"]})
    base = f"/api/programmes/{w.programme.id}"
    asked = call(client, w, eve.user_id, "POST", base + "/requests", json={"mentor_id": ada.id})
    assert asked.status_code == 201, asked.json
    attention = base + "/attention"

    def listed() -> list[dict]:
        items = call(client, w, w.coordinator.id, "GET", attention).json["items"]
        return [i for i in items if i["source"] == "expired_requests"]

    assert listed() == []
    _expire(asked.json["id"])
    told = db.session.execute(
        sa.select(Notification.link).where(
            Notification.user_id == w.coordinator.id, Notification.kind == "match.no_mentor_left"
        )
    ).scalars()
    assert list(told) == [f"/programmes/{w.programme.id}/attention"]
    [item] = listed()
    assert item["key"] == f"mentee:{eve.id}" and "Eve" in item["title"]
    assert {a["name"] for a in item["actions"]} == {"assign", "rematch"}
    # Nobody has room yet: asking again is refused, and nothing is recorded as done.
    url = f"{attention}/expired_requests/mentee:{eve.id}/rematch"
    assert call(client, w, w.coordinator.id, "POST", url, json={}).status_code == 409
    assert call(client, w, eve.user_id, "POST", url, json={}).status_code == 403
    # A new mentor joins: the coordinator asks them on Eve's behalf and the item is handled.
    bob = w.person("Bob", ParticipantRole.MENTOR, capacity=1, answers={"skills": ["python"]})
    acted = call(client, w, w.coordinator.id, "POST", url, json={})
    assert acted.status_code == 200, acted.json
    assert "Bob" in acted.json["result"]
    pending = db.session.execute(
        sa.select(MatchRequest).where(MatchRequest.status == RequestStatus.PENDING)
    ).scalar_one()
    assert (pending.mentee_id, pending.mentor_id) == (eve.id, bob.id)
    assert listed() == []
