"""The API of programmes, profiles, matching, the roster and a match's life keeps the contract the
OpenAPI document states: each call of a lived-through programme answers a documented status with a
body that matches its documented schema (times in ISO 8601, every required field there)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from lti_tool.db import db
from lti_tool.jobs.runner import drain
from lti_tool.lti_services.errors import ServiceError
from lti_tool.mentoring.matching import lifecycle
from lti_tool.mentoring.programmes.models import MatchingMode, ParticipantRole
from lti_tool.mentoring.roster import failures
from tests.mentoring.matching import states
from tests.mentoring.matching.contract import Caller
from tests.mentoring.matching.test_api_matching import people, setup_programme
from tests.mentoring.matching.test_service_choice import setup as choice_programme
from tests.mentoring.programmes.factories import world


def test_the_coordinators_matching_keeps_the_contract(client, app):
    w = setup_programme()
    p = people(w)
    api, base, coordinator = Caller(app, client, w), f"/api/programmes/{w.programme.id}", w.coordinator
    started = api(coordinator, "POST", base + "/matching/runs").json
    drain()
    run = api(coordinator, "GET", f"{base}/matching/runs/{started['id']}").json
    assert run["state"] == "done" and run["summary"]["matched"] == 2
    left = api(
        coordinator, "GET", f"{base}/matching/runs/{run['id']}/unmatched", query_string={"per_page": 1}
    )
    assert left.json["total"] == 2 and left.json["pages"] == 2
    proposed = api(coordinator, "GET", base + "/matching/pairs").json["items"]
    assert {i["mentee"]["name"] for i in proposed} == {"Eve Mentee", "Fay Mentee"}
    eve, fay, gus, ada = (p[k].id for k in ("eve", "fay", "gus", "ada"))  # type: ignore[attr-defined]
    why = api(
        coordinator, "GET", base + "/matching/why-not", query_string={"mentee_id": gus, "mentor_id": ada}
    )
    assert why.json["allowed"] is False and why.json["current"] is None
    assert api(coordinator, "POST", base + "/matching/lock", json={"mentee_ids": [eve]}).json == {
        "changed": 1
    }
    swapped = api(
        coordinator, "POST", base + "/matching/swap", json={"mentee_ids": [eve, fay], "force": True}
    )
    assert swapped.json == {"swapped": [eve, fay]}
    assigned = api(
        coordinator,
        "POST",
        base + "/matching/assign",
        json={"mentee_id": eve, "mentor_id": ada, "force": True},
    )
    assert set(assigned.json) == {"match_id"}, assigned.json
    assert api(coordinator, "POST", base + "/matching/remove", json={"mentee_ids": [fay]}).json == {
        "removed": 1
    }
    assert api(coordinator, "POST", base + "/matching/approve", json={}).json == {"approved": 1}
    match_id = assigned.json["match_id"]
    history = api(coordinator, "GET", f"{base}/matches/{match_id}/history").json["items"]
    assert history[-1]["action"] == "match.activated"
    assert datetime.fromisoformat(history[-1]["at"]).tzinfo is not None  # ISO 8601, not an HTTP date
    active = api(coordinator, "GET", base + "/matching/pairs", query_string={"status": "active"}).json[
        "items"
    ]
    assert datetime.fromisoformat(active[0]["started_at"]).tzinfo is not None
    eve_user = p["eve"].user_id  # type: ignore[attr-defined]
    cards = api(eve_user, "GET", base + "/my-matches").json["items"]
    assert cards[0]["match_id"] == match_id and cards[0]["mentor"]["name"] == "Ada Mentor"
    ended = api(coordinator, "POST", f"{base}/matches/{match_id}/end", json={"reason": "over"})
    assert ended.json == {"match_id": match_id, "status": "ended"}
    assert api(coordinator, "POST", f"{base}/matches/{match_id}/end", json={}).status_code == 409


def test_a_member_asking_for_another_partner_is_told_which_match_ended(client, app):
    w = world()
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    mentee = w.person("Max Mentee", ParticipantRole.MENTEE)
    match = states.active(w.programme, mentor, [mentee])
    api = Caller(app, client, w)
    asked = api(
        mentee.user_id, "POST", f"/api/programmes/{w.programme.id}/matches/{match.id}/rematch", json={}
    )
    assert asked.json == {"match_id": match.id, "status": "ended"}


def test_a_matchs_life_keeps_the_contract(client, app):
    w = world()
    w.programme.ends_on = date.today() + timedelta(days=90)
    db.session.commit()
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    mentee = w.person("Max Mentee", ParticipantRole.MENTEE)
    match = states.active(w.programme, mentor, [mentee])
    api, url = Caller(app, client, w), f"/api/programmes/{w.programme.id}/matches/{match.id}"
    life = api(mentee.user_id, "GET", url + "/life").json
    assert life["planned_end_source"] == "programme" and life["closure"]["proposed_by"] is None
    assert api(mentee.user_id, "PUT", url + "/check-in", json={"feeling": "well"}).json["feeling"] == "well"
    day = (date.today() + timedelta(days=30)).isoformat()
    planned = api(w.coordinator, "PUT", url + "/planned-end", json={"planned_end_on": day}).json
    assert planned["planned_end_on"] == day and planned["checkins"][0]["feeling_label"]
    proposed = api(
        mentor.user_id, "POST", url + "/closure", json={"reason": "goals_met", "reflection": "Good"}
    )
    assert proposed.status_code == 201 and proposed.json["closure"]["mine"] is True
    assert api(mentee.user_id, "DELETE", url + "/closure").json["closure"]["reason"] is None
    api(mentor.user_id, "POST", url + "/closure", json={"reason": "time_up"})
    confirmed = api(mentee.user_id, "POST", url + "/closure/confirm", json={"reflection": "Thanks"}).json
    assert confirmed["status"] == "ended" and confirmed["completed"] is True
    written = api(mentee.user_id, "PUT", url + "/reflection", json={"reflection": "Thank you *both*"}).json
    assert written["kind"] == "closing" and "<em>both</em>" in written["text_html"]
    other = states.active(w.programme, mentor, [w.person("Ned Mentee", ParticipantRole.MENTEE)])
    closed = api(w.coordinator, "POST", f"/api/programmes/{w.programme.id}/matches/{other.id}/close", json={})
    assert closed.json["end_reason"] == "completed"


def test_mentee_choice_keeps_the_contract(client, app):
    w, (ada, bob, _cat, _dan), eve = choice_programme()
    api, base = Caller(app, client, w), f"/api/programmes/{w.programme.id}"
    offers = api(eve.user_id, "GET", base + "/recommendations").json["items"]
    assert offers[0]["mentor"]["id"] == ada.id and offers[0]["room"] == 1
    asked = api(eve.user_id, "POST", base + "/requests", json={"mentor_id": ada.id}).json
    assert api(ada.user_id, "GET", base + "/requests").json["items"][0]["mentee_name"] == "Eve"
    withdrawn = api(eve.user_id, "POST", f"{base}/requests/{asked['id']}/withdraw").json
    assert withdrawn["status"] == "withdrawn" and withdrawn["answered_at"]
    again = api(eve.user_id, "POST", base + "/requests", json={"mentor_id": bob.id}).json
    answered = api(bob.user_id, "POST", f"{base}/requests/{again['id']}/answer", json={"accept": False}).json
    assert answered["status"] == "declined"
    paused = api(ada.user_id, "PUT", base + "/me/availability", json={"paused": True})
    assert paused.json == {"status": "paused"}


def test_programme_profiles_and_roster_keep_the_contract(client, app):
    w = world(MatchingMode.GROUP)
    w.question(kind="tags", label="Skills", options=["python", "sql"], weight=1, required=True)
    eve = w.person("Eve", ParticipantRole.MENTEE)
    api, base, coordinator = Caller(app, client, w), f"/api/programmes/{w.programme.id}", w.coordinator
    programme = api(eve.user_id, "GET", base).json
    assert programme["request_deadline_hours"] is None and programme["timezone"] == "UTC"
    changed = api(coordinator, "PATCH", base, json={"timezone": "Europe/Rome", "request_deadline_hours": 12})
    assert changed.json["timezone"] == "Europe/Rome" and changed.json["request_deadline_hours"] == 12
    listed = api(coordinator, "GET", base + "/participants", query_string={"role": "mentee"}).json
    assert [i["name"] for i in listed["items"]] == ["Eve"] and listed["items"][0]["lms_disagrees"] is False
    assert (
        api(coordinator, "PATCH", f"{base}/participants/{eve.id}", json={"capacity": 2}).json["capacity"] == 2
    )
    w.programme.role_source = "self"
    db.session.commit()
    assert api(eve.user_id, "PUT", base + "/me/role", json={"role": "mentor"}).json["role"] == "mentor"
    assert api(eve.user_id, "PUT", base + "/me/role", json={"role": "mentee"}).json["role"] == "mentee"
    added = api(coordinator, "POST", base + "/questions", json={"kind": "free_text", "label": "About you"})
    assert added.status_code == 201 and added.json["help"] == "" and added.json["constraint"] is None
    question = f"{base}/questions/{added.json['id']}"
    assert api(coordinator, "PATCH", question, json={"required": True}).json["required"] is True
    assert len(api(eve.user_id, "GET", base + "/questions").json["items"]) == 2
    saved = api(eve.user_id, "PUT", base + "/profile", json={"answers": {"skills": ["sql"]}}).json
    assert saved["status"]["missing"] and not saved["status"]["complete"]
    assert api(eve.user_id, "POST", base + "/profile/submit").status_code == 422
    assert api(coordinator, "DELETE", question).status_code == 204
    assert api(eve.user_id, "POST", base + "/profile/submit").json["status"]["complete"] is True
    assert api(eve.user_id, "GET", base + "/profile").json["answers"] == {"skills": ["sql"]}
    assert api(coordinator, "GET", base + "/roster/status").json == {"last_sync": None}
    assert api(coordinator, "POST", base + "/roster/sync").status_code == 409  # the LMS shares no roster
    csv = "user_id,name,role,skills\nhr-1,Ada,mentor,python\n"
    imported = api(
        coordinator, "POST", base + "/roster/import", data={"file": (io.BytesIO(csv.encode()), "people.csv")}
    )
    assert imported.json == {"rows": 1, "added": 1, "updated": 0}
    assert b"hr-1" in api(coordinator, "GET", base + "/roster/export.csv").data
    failures.record(w.programme.id, ServiceError("The LMS is down", status=503, transient=True))
    last = api(coordinator, "GET", base + "/roster/status").json["last_sync"]
    assert last["error"] == "The LMS is down" and last["tries"] == 1 and last["retry_at"]


def test_a_programme_zone_must_be_one_ritmo_knows(client, app):
    """An unknown zone would fail every time shown in the programme later; it is refused at once."""
    w = world()
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    match = states.active(w.programme, mentor, [w.person("Max Mentee", ParticipantRole.MENTEE)])
    api, base = Caller(app, client, w), f"/api/programmes/{w.programme.id}"
    refused = api(
        w.coordinator, "PATCH", base, json={"timezone": "Mars/Olympus_Mons", "ends_on": "2099-01-01"}
    )
    assert refused.status_code == 422 and "Europe/Rome" in refused.json["errors"]["timezone"][0]
    db.session.expire_all()
    assert w.programme.timezone == "UTC" and w.programme.ends_on is None  # nothing half-written
    assert api(w.coordinator, "GET", f"{base}/matches/{match.id}/life").status_code == 200


def test_ids_and_pages_beyond_the_database_are_refused_in_words(client, app):
    w = setup_programme()
    api, base = Caller(app, client, w), f"/api/programmes/{w.programme.id}"
    huge = 2**63
    for path, args in (
        ("/participants", {"page": huge}),
        ("/matching/pairs", {"page": huge}),
        ("/matching/why-not", {"mentee_id": huge, "mentor_id": 1}),
    ):
        refused = api(w.coordinator, "GET", base + path, query_string=args)
        assert refused.status_code == 422 and refused.json["errors"], path
    for path, body in (
        ("/matching/assign", {"mentee_id": huge, "mentor_id": 1}),
        ("/matching/lock", {"mentee_ids": [huge]}),
        ("/matching/approve", {"match_ids": [huge]}),
    ):
        refused = api(w.coordinator, "POST", base + path, json=body)
        assert refused.status_code == 422 and refused.json["errors"], path
    assert lifecycle.approve(states.coordinator(w.programme), w.programme, None) == 0  # nothing changed


def test_dates_a_programme_could_never_reach_are_refused(client, app):
    """A day at the calendar's end left no room for the day after it: reading the match failed."""
    w = world()
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    match = states.active(w.programme, mentor, [w.person("Max Mentee", ParticipantRole.MENTEE)])
    api, base = Caller(app, client, w), f"/api/programmes/{w.programme.id}"
    for body in ({"ends_on": "9999-12-31"}, {"starts_on": "0001-01-01"}):
        refused = api(w.coordinator, "PATCH", base, json=body)
        assert refused.status_code == 422 and set(refused.json["errors"]) == set(body), refused.json
    far = {"planned_end_on": "9999-12-31"}
    refused = api(w.coordinator, "PUT", f"{base}/matches/{match.id}/planned-end", json=far)
    assert refused.status_code == 422 and "planned_end_on" in refused.json["errors"]
    assert api(w.coordinator, "GET", f"{base}/matches/{match.id}/life").json["planned_end_on"] is None


def test_text_holding_a_nul_character_is_refused_before_anything_is_written(client, app):
    """PostgreSQL keeps no NUL character (U+0000), and nobody types one: refused in words (422)."""
    w = world()
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    mentee = w.person("Max Mentee", ParticipantRole.MENTEE)
    match = states.active(w.programme, mentor, [mentee])
    api, base = Caller(app, client, w), f"/api/programmes/{w.programme.id}"
    for user, method, path, body in (
        (w.coordinator, "PATCH", base, {"title": "Spring\x00", "description": "fine"}),
        (
            w.coordinator,
            "POST",
            base + "/questions",
            {"kind": "tags", "label": "Skills", "options": ["a\x00"]},
        ),
        (mentee.user_id, "PUT", f"{base}/matches/{match.id}/check-in", {"feeling": "well", "text": "ok\x00"}),
        (w.coordinator, "POST", f"{base}/matches/{match.id}/end", {"reason": "\x00"}),
    ):
        refused = api(user, method, path, json=body)
        assert refused.status_code == 422, (path, refused.json)
        assert "NUL" in str(refused.json["errors"]), refused.json
    for path in ("/participants", "/matching/pairs"):
        refused = api(w.coordinator, "GET", base + path, query_string={"q": "Mia\x00"})
        assert refused.status_code == 422 and "q" in refused.json["errors"], refused.json
    db.session.expire_all()
    assert w.programme.title == "Mentoring 101" and match.status.value == "active"
