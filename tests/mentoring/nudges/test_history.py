"""The match's history shows its nudges, goals, milestone completions and webinar attendance:
searchable, filterable by kind, paged and exported like the rest."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_babel import lazy_gettext as _l

from lti_tool.db import db, utcnow
from lti_tool.mentoring.matching.models import MatchMentee
from lti_tool.mentoring.nudges import service
from lti_tool.mentoring.programmes.models import Participant
from lti_tool.mentoring.webinars.models import (
    Audience,
    JoinProvider,
    RegistrationStatus,
    Webinar,
    WebinarRegistration,
)
from tests.mentoring.conversations.factories import World


def history(client: FlaskClient, world: World, user=None, **query) -> list[dict]:
    response = client.get(
        f"/api/matches/{world.match.id}/history",
        headers=world.headers(user or world.mentee),
        query_string=query,
    )
    assert response.status_code == 200, response.get_json()
    return list(response.get_json()["entries"])


def mentee_participant_id(world: World) -> int:
    return int(
        db.session.execute(
            sa.select(MatchMentee.mentee_id).where(MatchMentee.match_id == world.match.id)
        ).scalar_one()
    )


def seed(client: FlaskClient, world: World) -> dict[str, int]:
    """A goal set, updated and achieved, a progress note, a milestone done, a webinar attended,
    and a nudge: all through the product's own services and API."""
    world.match.started_at = utcnow() - timedelta(days=10)
    db.session.commit()
    mentee = world.headers(world.mentee)
    goal = client.post(
        f"/api/goals/matches/{world.match.id}/goals",
        headers=mentee,
        json={"title": "Three mock interviews", "measure": "with feedback"},
    ).get_json()
    note = client.post(
        f"/api/goals/goals/{goal['id']}/notes", headers=mentee, json={"text": "Booked the first with Hanna"}
    )
    assert note.status_code == 201
    client.patch(f"/api/goals/goals/{goal['id']}", headers=mentee, json={"measure": "with written feedback"})
    client.patch(f"/api/goals/goals/{goal['id']}", headers=mentee, json={"status": "achieved"})
    milestone = client.post(
        "/api/goals/milestones",
        headers=world.headers(world.coordinator),
        json={"title": "Career plan drafted"},
    ).get_json()
    done = client.post(
        f"/api/goals/matches/{world.match.id}/milestones/{milestone['id']}/done",
        headers=world.headers(world.mentor),
        json={"participant_id": mentee_participant_id(world), "note": "signed off"},
    )
    assert done.status_code == 200, done.get_json()
    webinar = Webinar(
        programme_id=world.programme.id,
        title="Negotiating your first salary",
        audience=Audience.EVERYONE,
        starts_at=utcnow() - timedelta(hours=2),
        timezone="Europe/Rome",
        duration_minutes=60,
        join_provider=JoinProvider.JITSI,
        join_url="https://meet.jit.si/ritmo-salary",
    )
    db.session.add(webinar)
    db.session.flush()
    db.session.add(
        WebinarRegistration(
            webinar_id=webinar.id,
            participant_id=mentee_participant_id(world),
            status=RegistrationStatus.REGISTERED,
            attended_at=utcnow() - timedelta(hours=1),
        )
    )
    # A webinar Ben attended before this match began is not part of its history.
    earlier = Webinar(
        programme_id=world.programme.id,
        title="Orientation for mentees",
        audience=Audience.EVERYONE,
        starts_at=utcnow() - timedelta(days=20),
        timezone="Europe/Rome",
        duration_minutes=60,
        join_provider=JoinProvider.JITSI,
        join_url="https://meet.jit.si/ritmo-orientation",
    )
    db.session.add(earlier)
    db.session.flush()
    db.session.add(
        WebinarRegistration(
            webinar_id=earlier.id,
            participant_id=mentee_participant_id(world),
            status=RegistrationStatus.REGISTERED,
            attended_at=utcnow() - timedelta(days=20),
        )
    )
    db.session.commit()
    sent = service.send_nudge(
        programme=world.programme,
        user_id=world.mentor.id,
        kind="rhythm.unanswered",
        subject=_l("Propose a meeting"),
        text=_l("Propose a meeting"),
        action_label=_l("Propose a meeting"),
        action_link=f"/matches/{world.match.id}/meetings",
        match_id=world.match.id,
    )
    db.session.commit()
    assert sent is not None
    return {"goal": goal["id"], "milestone": milestone["id"], "webinar": webinar.id}


def test_the_timeline_shows_goals_milestones_attendance_and_nudges(client, world: World) -> None:
    ids = seed(client, world)
    entries = history(client, world)
    titles = [e["title"] for e in entries if e["kind"] in ("goal", "milestone", "webinar", "nudge")]
    assert "Goal set: Three mock interviews" in titles
    assert "Progress on a goal: Three mock interviews" in titles
    assert "Goal updated: Three mock interviews" in titles
    assert "Goal achieved: Three mock interviews" in titles
    assert "Milestone completed: Career plan drafted" in titles
    assert "Attended the webinar: Negotiating your first salary" in titles
    assert not any("Orientation" in title for title in titles)
    assert "Propose a meeting" in titles
    webinar = next(e for e in entries if e["kind"] == "webinar")
    assert webinar["actor"]["name"] == "Ben Mentee0" and webinar["link"] == f"/webinars/{ids['webinar']}"
    achieved = next(e for e in entries if e["title"].startswith("Goal achieved"))
    assert achieved["data"]["event"] == "completed" and achieved["link"] == f"/goals/matches/{world.match.id}"
    nudge = next(e for e in entries if e["kind"] == "nudge")
    assert nudge["data"]["to_user_id"] == world.mentor.id and nudge["link"].endswith("/meetings")
    ats = [e["at"] for e in entries]
    assert ats == sorted(ats, reverse=True)
    # Another pair's history has none of it.
    other = client.get(
        f"/api/matches/{world.other_match.id}/history", headers=world.headers(world.outsider)
    ).get_json()["entries"]
    assert [e for e in other if e["kind"] in ("goal", "milestone", "webinar", "nudge")] == []


def test_search_and_kind_filters_reach_the_new_sources(client, world: World) -> None:
    seed(client, world)
    assert {e["kind"] for e in history(client, world, q="salary")} == {"webinar"}
    assert {e["title"] for e in history(client, world, q="Hanna")} == {
        "Progress on a goal: Three mock interviews"
    }
    assert {e["kind"] for e in history(client, world, q="career plan")} == {"milestone"}
    assert {e["kind"] for e in history(client, world, q="mock interviews")} == {"goal"}
    assert {e["kind"] for e in history(client, world, q="propose a meeting")} == {"nudge"}
    only = history(client, world, kind="milestone")
    assert [e["kind"] for e in only] == ["milestone"]
    kinds = client.get(
        f"/api/matches/{world.match.id}/history", headers=world.headers(world.mentee)
    ).get_json()["kinds"]
    assert {"goal", "milestone", "webinar", "nudge"} <= set(kinds)


def test_pages_cover_every_entry_once(client, world: World) -> None:
    seed(client, world)
    everything = history(client, world)
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get(
            f"/api/matches/{world.match.id}/history", headers=world.headers(world.mentee), query_string=query
        ).get_json()
        seen += [e["key"] for e in body["entries"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [e["key"] for e in everything] and len(set(seen)) == len(seen) >= 7


def test_the_export_includes_them(client, world: World) -> None:
    seed(client, world)
    export = client.get(
        f"/api/matches/{world.match.id}/history/export.json", headers=world.headers(world.mentor)
    ).get_json()
    assert {"goal", "milestone", "webinar", "nudge"} <= {e["kind"] for e in export["entries"]}


def test_a_nudge_to_a_coordinator_about_the_pair_is_not_shown_to_the_pair(client, world: World) -> None:
    coordinator = db.session.execute(
        sa.select(Participant).where(Participant.user_id == world.coordinator.id)
    ).scalar_one()
    service.send_nudge(
        programme=world.programme,
        user_id=coordinator.user_id,
        kind="rhythm.escalated",
        subject=_l("Propose a meeting"),
        text=_l("Propose a meeting"),
        action_label=_l("Propose a meeting"),
        action_link=f"/matches/{world.match.id}/space",
        match_id=world.match.id,
    )
    db.session.commit()
    assert [e for e in history(client, world) if e["kind"] == "nudge"] == []
    staff = history(client, world, user=world.coordinator)
    assert [e["data"]["nudge_kind"] for e in staff if e["kind"] == "nudge"] == ["rhythm.escalated"]
