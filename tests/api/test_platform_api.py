"""The operations institutions' systems call with an API key: programme state, KPIs, the roster
(read page by page, written in all-or-nothing batches under the LMS's rules), profiles (checked as
the questionnaire checks them) and a person's next meeting."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.accounts.models import User
from lti_tool.api import keys
from lti_tool.db import db, utcnow
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus, VideoProvider
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus, RoleOrigin
from tests.api.test_keys import make_key
from tests.mentoring.conversations.factories import make_world
from tests.mentoring.programmes.factories import World, world

ALL = "programmes:read,kpis:read,roster:read,roster:write,profiles:read,profiles:write,meetings:read"


@pytest.fixture
def w(app: Flask) -> World:
    return world()


@pytest.fixture
def key(w: World, runner) -> dict[str, str]:
    return {"X-API-Key": make_key(runner, w.platform.id, ALL)}


def test_programme_state_counts_people_by_role_and_status(w: World, key, client: FlaskClient) -> None:
    w.person("Ann", ParticipantRole.MENTOR)
    gone = w.person("Bob", ParticipantRole.MENTEE)
    gone.status = ParticipantStatus.WITHDRAWN
    db.session.commit()
    listed = client.get("/api/platform/programmes", headers=key).json["items"]
    assert [(p["id"], p["course"]["context_id"], p["phase"]) for p in listed] == [
        (w.programme.id, "CourseA", "running")
    ]
    state = client.get(f"/api/platform/programmes/{w.programme.id}", headers=key).json
    assert state["participants"]["mentor"] == {"active": 1, "paused": 0, "withdrawn": 0}
    assert state["participants"]["mentee"]["withdrawn"] == 1
    assert state["participants"]["coordinator"]["active"] == 1
    assert state["matches"] == {"proposed": 0, "approved": 0, "active": 0, "ended": 0}


def test_kpis_are_the_dashboards_figures(w: World, key, client: FlaskClient) -> None:
    w.person("Ann", ParticipantRole.MENTOR)
    mine = client.get(f"/api/platform/programmes/{w.programme.id}/kpis", headers=key)
    assert mine.status_code == 200
    theirs = client.get(f"/api/programmes/{w.programme.id}/kpis", headers=w.headers(w.coordinator)).json
    for figure in ("participants", "matches", "mentees", "meetings", "pending_requests"):
        assert mine.json[figure] == theirs[figure], figure
    assert mine.json["participants"]["by_role"]["mentor"]["active"] == 1
    assert mine.json["activity"]["active_pairs"] == theirs["activity"]["active_pairs"]


def test_participants_come_page_by_page(w: World, key, client: FlaskClient) -> None:
    for n in range(5):
        w.person(f"Person {n}", ParticipantRole.MENTEE)
    seen, after = [], None
    while True:
        query = {"limit": 2} | ({"after": after} if after is not None else {})
        page = client.get(f"/api/platform/programmes/{w.programme.id}/participants", headers=key,
                          query_string=query).json
        seen += page["items"]
        after = page["next_after"]
        if after is None:
            break
    assert len(seen) == 6 and len({p["id"] for p in seen}) == 6
    ann = next(p for p in seen if p["name"] == "Person 0")
    assert ann == {"id": ann["id"], "sub": "u1", "name": "Person 0", "email": "user1@example.test",
                   "role": "mentee", "status": "active", "capacity": None}
    bad = client.get(f"/api/platform/programmes/{w.programme.id}/participants?limit=0", headers=key)
    assert bad.status_code == 422


def test_a_roster_write_shows_in_the_coordinators_participants(
    w: World, runner, ritmo, app: Flask
) -> None:
    text = make_key(runner, w.platform.id, "roster:write")
    batch = {"participants": [
        {"sub": "hr-1", "name": "Nuova Persona", "email": "nuova@example.test", "role": "mentor",
         "capacity": 2},
        {"sub": "hr-2", "name": "Altra Persona", "role": "mentee"},
    ]}
    answer = requests.put(f"{ritmo.url}/api/platform/programmes/{w.programme.id}/participants",
                          json=batch, headers={"X-API-Key": text}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert [(r["sub"], r["outcome"], r["role"]) for r in answer.json()["results"]] == [
        ("hr-1", "added", "mentor"), ("hr-2", "added", "mentee"),
    ]
    listed = requests.get(f"{ritmo.url}/api/programmes/{w.programme.id}/participants",
                          headers=w.headers(w.coordinator), timeout=10).json()
    shown = {p["name"]: (p["role"], p["capacity"]) for p in listed["items"]}
    assert shown["Nuova Persona"] == ("mentor", 2) and shown["Altra Persona"] == ("mentee", None)
    db.session.expire_all()
    use = db.session.execute(sa.select(keys.ApiKeyUse)).scalar_one()
    path = f"/api/platform/programmes/{w.programme.id}/participants"
    assert (use.method, use.path, use.status) == ("PUT", path, 200)


def test_one_bad_row_rejects_the_batch_and_lists_every_bad_row(w: World, key, client: FlaskClient) -> None:
    before = db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one()
    batch = {"participants": [
        {"sub": "ok-1", "name": "Fine"},
        {"sub": "ok-2", "role": "coordinator"},
        {"sub": "ok-3", "email": "not an address"},
    ]}
    answer = client.put(f"/api/platform/programmes/{w.programme.id}/participants", json=batch, headers=key)
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert "nothing was written" in answer.json["detail"]
    assert sorted((r["index"], r["field"]) for r in answer.json["rows"]) == [(1, "role"), (2, "email")]
    duplicate = {"participants": [{"sub": "same"}, {"sub": "same"}]}
    roster = f"/api/platform/programmes/{w.programme.id}/participants"
    answer = client.put(roster, json=duplicate, headers=key)
    assert answer.status_code == 422 and answer.json["rows"][0]["index"] == 1
    coordinator = {"participants": [{"sub": "coord", "role": "mentee"}]}
    answer = client.put(roster, json=coordinator, headers=key)
    assert answer.status_code == 422 and answer.json["rows"][0]["field"] == "role"
    assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == before
    for body in ({}, {"participants": []}, []):
        answer = client.put(f"/api/platform/programmes/{w.programme.id}/participants", json=body, headers=key)
        assert answer.status_code == 422, body


def test_the_lms_rule_keeps_roles_people_chose_and_withdrawals_end_participation(
    w: World, key, client: FlaskClient
) -> None:
    chose = w.person("Chose Mentor", ParticipantRole.MENTOR)
    chose.role_origin = RoleOrigin.SELF
    learner = w.person("Learner", ParticipantRole.MENTEE)
    leaving = w.person("Leaving", ParticipantRole.MENTEE)
    db.session.commit()
    subs = {p.id: db.session.get(User, p.user_id).sub for p in (chose, learner, leaving)}
    batch = {"participants": [
        {"sub": subs[chose.id], "role": "mentee"},
        {"sub": subs[learner.id], "role": "mentor"},
        {"sub": subs[leaving.id], "status": "withdrawn"},
        {"sub": "never-here", "status": "withdrawn"},
    ]}
    answer = client.put(f"/api/platform/programmes/{w.programme.id}/participants", json=batch, headers=key)
    assert answer.status_code == 200, answer.json
    results = {r["sub"]: r for r in answer.json["results"]}
    assert results[subs[chose.id]]["role_kept"] is True and results[subs[chose.id]]["role"] == "mentor"
    assert results[subs[learner.id]]["role"] == "mentor" and results[subs[learner.id]]["outcome"] == "updated"
    assert results[subs[leaving.id]]["status"] == "withdrawn"
    assert results["never-here"]["outcome"] == "skipped"
    db.session.expire_all()
    assert db.session.get(Participant, chose.id).role is ParticipantRole.MENTOR
    assert db.session.get(Participant, learner.id).role_origin is RoleOrigin.LMS
    assert db.session.get(Participant, leaving.id).status is ParticipantStatus.WITHDRAWN
    again = client.put(f"/api/platform/programmes/{w.programme.id}/participants", json=batch, headers=key)
    assert [r["outcome"] for r in again.json["results"]] == ["unchanged", "unchanged", "unchanged", "skipped"]


def test_profiles_are_read_and_written_as_the_questionnaire_checks_them(
    w: World, key, client: FlaskClient
) -> None:
    w.question(key="languages", kind="multi_choice", label="Languages", options=["it", "en"])
    w.question(key="years", kind="scale", label="Years", required=True)
    person = w.person("Ann", ParticipantRole.MENTEE)
    path = f"/api/platform/programmes/{w.programme.id}/participants/{person.id}/profile"
    bad = client.put(path, json={"answers": {"languages": ["klingon"], "years": 3}}, headers=key)
    assert bad.status_code == 422
    assert "languages" in bad.json["errors"]
    assert client.get(path, headers=key).json["answers"] == {}
    good = client.put(path, json={"answers": {"languages": ["it"], "years": 3}}, headers=key)
    assert good.status_code == 200, good.json
    assert good.json["answers"] == {"languages": ["it"], "years": 3}
    assert good.json["status"]["complete"] is True
    mine = client.get(f"/api/programmes/{w.programme.id}/profile", headers=w.headers(person.user_id)).json
    assert mine["answers"] == {"languages": ["it"], "years": 3}
    other = client.get(f"/api/platform/programmes/{w.programme.id}/participants/999999/profile", headers=key)
    assert other.status_code == 404


def test_a_persons_next_meeting(app: Flask, runner, client: FlaskClient) -> None:
    space = make_world()
    headers = {"X-API-Key": make_key(runner, space.platform.id, "meetings:read")}
    path = f"/api/platform/people/{space.mentee.sub}/next-meeting"
    assert client.get(path, headers=headers).status_code == 404
    now = utcnow()
    for title, starts, status in (
        ("Past", now - timedelta(days=1), MeetingStatus.CONFIRMED),
        ("Only proposed", now + timedelta(hours=1), MeetingStatus.PROPOSED),
        ("Next", now + timedelta(days=2), MeetingStatus.CONFIRMED),
        ("Later", now + timedelta(days=9), MeetingStatus.CONFIRMED),
    ):
        db.session.add(Meeting(
            programme_id=space.programme.id, match_id=space.match.id, title=title, status=status,
            starts_at=starts, video_provider=VideoProvider.JITSI,
            video_url="https://meet.jit.si/Ritmo-" + secrets.token_hex(8), ical_uid=secrets.token_hex(16),
        ))
    db.session.commit()
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200
    assert answer.json["title"] == "Next"
    assert answer.json["partners"] == [{"name": space.mentor.display_name, "role": "mentor"}]
    assert answer.json["join_url"].startswith("https://meet.jit.si/Ritmo-")
    outsider = f"/api/platform/people/{space.outsider.sub}/next-meeting"
    assert client.get(outsider, headers=headers).status_code == 404
    assert client.get("/api/platform/people/nobody/next-meeting", headers=headers).status_code == 404


def test_a_keyed_batch_past_the_unauthenticated_size_is_read_and_a_keyless_one_is_not(
    w: World, runner, ritmo, app: Flask
) -> None:
    text = make_key(runner, w.platform.id, "roster:write")
    rows = [{"sub": f"bulk-{n:04d}", "name": f"Bulk Person {n:04d}", "email": f"bulk{n}@example.test"}
            for n in range(1000)]
    body = json.dumps({"participants": rows})
    assert len(body) > app.config["REQUEST_MAX_UNAUTHENTICATED_BYTES"]
    url = f"{ritmo.url}/api/platform/programmes/{w.programme.id}/participants"
    keyless = requests.put(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert keyless.status_code == 401
    keyed = requests.put(url, data=body, headers={"Content-Type": "application/json", "X-API-Key": text},
                         timeout=60)
    assert keyed.status_code == 200, keyed.text[:500]
    assert {r["outcome"] for r in keyed.json()["results"]} == {"added"}
    too_many = json.dumps({"participants": [*rows, {"sub": "one-more"}]})
    answer = requests.put(url, data=too_many, headers={"Content-Type": "application/json", "X-API-Key": text},
                          timeout=30)
    assert answer.status_code == 422
