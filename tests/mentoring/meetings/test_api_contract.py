"""The meetings API answers what its operations declare; times at the calendar's edge are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.mentoring.meetings.models import Meeting
from tests.mentoring.conversations.contract import call
from tests.mentoring.conversations.factories import World
from tests.mentoring.meetings.test_meetings import ROME_AFTER_SPRING, ROME_BEFORE_SPRING


def test_a_meeting_from_proposal_to_outcome_answers_as_declared(client, world: World) -> None:
    mentor, mentee = world.headers(world.mentor), world.headers(world.mentee)
    m = world.match.id
    proposal = {"title": "First", "times": [ROME_BEFORE_SPRING, ROME_AFTER_SPRING], "timezone": "Europe/Rome"}
    meeting = call(client, "POST", f"/api/matches/{m}/meetings", headers=mentor, json=proposal).get_json()
    assert meeting["starts_at"] is None and meeting["invite_url"] is None
    listed = call(client, "GET", f"/api/matches/{m}/meetings", headers=world.headers(world.coordinator))
    assert [x["id"] for x in listed.get_json()["meetings"]] == [meeting["id"]]
    base = f"/api/meetings/{meeting['id']}"
    call(client, "GET", base, headers=mentee)
    call(client, "POST", f"{base}/reschedule", headers=mentor, json={"times": [ROME_AFTER_SPRING]})
    slot = call(client, "GET", base, headers=mentee).get_json()["slots"][0]["id"]
    accepted = call(client, "POST", f"{base}/accept", headers=mentee, json={"slot_id": slot}).get_json()
    assert accepted["status"] == "confirmed" and accepted["invite_url"]
    invite = call(client, "GET", f"{base}/invite.ics", headers=mentor)
    assert invite.get_data(as_text=True).startswith("BEGIN:VCALENDAR")

    row = db.session.get(Meeting, meeting["id"])
    row.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    beat = call(client, "POST", f"{base}/presence", headers=mentor).get_json()
    assert [p["user_id"] for p in beat["present"]] == [world.mentor.id]
    call(client, "GET", f"{base}/presence", headers=mentee)
    done = call(client, "POST", f"{base}/outcome", headers=mentee, json={"outcome": "missed", "notes": "Ill"})
    assert done.get_json()["status"] == "missed"


def test_cancelling_needs_no_body(client, world: World) -> None:
    mentor = world.headers(world.mentor)
    proposal = {"title": "First", "times": [ROME_BEFORE_SPRING], "timezone": "Europe/Rome"}
    meeting = client.post(f"/api/matches/{world.match.id}/meetings", headers=mentor, json=proposal).get_json()
    cancelled = call(client, "POST", f"/api/meetings/{meeting['id']}/cancel", headers=mentor)
    assert cancelled.get_json()["status"] == "cancelled"


@pytest.mark.parametrize(
    "times",
    [["0001-01-01T00:00+14:00"], ["0001-01-01T00:00"], ["9999-12-31T23:59-14:00"]],
)
def test_times_at_the_calendars_edge_are_422(client, world: World, times: list[str]) -> None:
    response = client.post(
        f"/api/matches/{world.match.id}/meetings",
        headers=world.headers(world.mentor),
        json={"title": "Edge", "times": times, "timezone": "Pacific/Kiritimati"},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "times" in response.get_json()["errors"]
    assert db.session.execute(sa.select(sa.func.count(Meeting.id))).scalar_one() == 0


@pytest.mark.parametrize("field", ["title", "agenda"])
def test_text_with_a_nul_character_is_422_naming_the_field(client, world: World, field: str) -> None:
    proposal = {"title": "First", "times": [ROME_BEFORE_SPRING], "timezone": "Europe/Rome"}
    response = client.post(
        f"/api/matches/{world.match.id}/meetings",
        headers=world.headers(world.mentor),
        json=proposal | {field: "a\x00b"},
    )
    assert response.status_code == 422 and field in response.get_json()["errors"]
