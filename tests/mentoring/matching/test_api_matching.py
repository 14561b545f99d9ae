"""Coordinator workflow over the API: run in the background, review, edit, re-run around locks, approve."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from lti_tool.audit import AuditEvent
from lti_tool.db import db
from lti_tool.events import subscribe, unsubscribe
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus
from lti_tool.mentoring.programmes.models import MatchingMode, ParticipantRole
from tests.mentoring.programmes.factories import World, call, world

ACTIVATED: list[int] = []


def _seen(event) -> None:
    if event.match_id is not None:
        ACTIVATED.append(event.match_id)


@pytest.fixture(autouse=True)
def _activations() -> Iterator[None]:
    subscribe("match.activated", _seen)
    yield
    unsubscribe("match.activated", _seen)


def setup_programme(mode: MatchingMode = MatchingMode.ONE_TO_ONE, **kw) -> World:
    w = world(mode, **kw)
    w.question(
        kind="tags", label="Skills", options=["python", "sql", "design", "sales"], weight=3, required=True
    )
    w.question(
        kind="languages", label="Languages", options=["en", "it", "de"], weight=1, constraint="must_share"
    )
    w.question(
        kind="department",
        label="Department",
        options=["eng", "ops", "hr"],
        weight=0,
        constraint="must_differ",
    )
    w.question(kind="free_text", label="About you", audience="everyone")
    return w


def people(w: World) -> dict[str, object]:
    M, E = ParticipantRole.MENTOR, ParticipantRole.MENTEE
    return {
        "ada": w.person(
            "Ada Mentor", M, answers={"skills": ["python", "sql"], "languages": ["en"], "department": "eng"}
        ),
        "bob": w.person(
            "Bob Mentor", M, answers={"skills": ["design"], "languages": ["it"], "department": "ops"}
        ),
        "eve": w.person(
            "Eve Mentee", E, answers={"skills": ["python"], "languages": ["en"], "department": "ops"}
        ),
        "fay": w.person(
            "Fay Mentee", E, answers={"skills": ["design"], "languages": ["it", "en"], "department": "hr"}
        ),
        # speaks only German: nobody shares a language
        "gus": w.person(
            "Gus Mentee", E, answers={"skills": ["sales"], "languages": ["de"], "department": "hr"}
        ),
        # never answered the required skills question
        "hal": w.person("Hal Mentee", E, answers={"languages": ["en"]}),
    }


def run(client, w: World) -> dict:
    started = call(client, w, w.coordinator, "POST", f"/api/programmes/{w.programme.id}/matching/runs")
    assert started.status_code == 202, started.json
    assert started.json["state"] == "queued"
    again = call(client, w, w.coordinator, "POST", f"/api/programmes/{w.programme.id}/matching/runs")
    assert again.status_code == 409
    drain()
    done = call(
        client,
        w,
        w.coordinator,
        "GET",
        f"/api/programmes/{w.programme.id}/matching/runs/{started.json['id']}",
    )
    assert done.json["state"] == "done", done.json
    assert done.json["progress"] == 100
    return done.json


def pairs(client, w: World, **args) -> dict:
    response = call(
        client, w, w.coordinator, "GET", f"/api/programmes/{w.programme.id}/matching/pairs", query_string=args
    )
    assert response.status_code == 200, response.json
    return response.json


def test_run_proposes_best_pairs_with_explanations_and_reasons(client, app):
    w = setup_programme()
    p = people(w)
    result = run(client, w)
    assert result["summary"]["matched"] == 2
    listing = pairs(client, w)
    got = {(i["mentee"]["name"], i["mentor"]["name"]) for i in listing["items"]}
    assert got == {("Eve Mentee", "Ada Mentor"), ("Fay Mentee", "Bob Mentor")}
    scores = [i["score"] for i in listing["items"]]
    assert scores == sorted(scores, reverse=True)
    eve = next(i for i in listing["items"] if i["mentee"]["name"] == "Eve Mentee")
    texts = [c["text"] for c in eve["explanation"]["criteria"]]
    assert any("offers 1 of the 1" in t and "python" in t for t in texts), texts
    assert any("both chose en" in t for t in texts), texts
    left = call(
        client,
        w,
        w.coordinator,
        "GET",
        f"/api/programmes/{w.programme.id}/matching/runs/{result['id']}/unmatched",
    ).json
    reasons = {i["mentee"]["name"]: i["reason"] for i in left["items"]}
    assert "Languages" in reasons["Gus Mentee"] or "language" in reasons["Gus Mentee"].lower()
    assert "Skills" in reasons["Hal Mentee"] and "profile incomplete" in reasons["Hal Mentee"]
    # search and pagination
    assert pairs(client, w, q="fay")["total"] == 1
    first = pairs(client, w, per_page=1)
    assert first["total"] == 2 and len(first["items"]) == 1 and first["pages"] == 2
    del p


def test_participants_cannot_run_or_review(client, app):
    w = setup_programme()
    p = people(w)
    eve = p["eve"].user_id  # type: ignore[attr-defined]
    assert call(client, w, eve, "POST", f"/api/programmes/{w.programme.id}/matching/runs").status_code == 403
    assert call(client, w, eve, "GET", f"/api/programmes/{w.programme.id}/matching/pairs").status_code == 403


def test_why_not_names_the_broken_constraint(client, app):
    w = setup_programme()
    p = people(w)
    run(client, w)
    response = call(
        client,
        w,
        w.coordinator,
        "GET",
        f"/api/programmes/{w.programme.id}/matching/why-not",
        query_string={"mentee_id": p["gus"].id, "mentor_id": p["ada"].id},
    )  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response.json["allowed"] is False
    assert any("Languages" in r for r in response.json["reasons"]), response.json
    other = call(
        client,
        w,
        w.coordinator,
        "GET",
        f"/api/programmes/{w.programme.id}/matching/why-not",
        query_string={"mentee_id": p["eve"].id, "mentor_id": p["bob"].id},
    ).json  # type: ignore[attr-defined]
    assert other["current"]["mentor_id"] == p["ada"].id  # type: ignore[attr-defined]
    assert any("scores higher" in r or "rules the pair out" in r for r in other["reasons"]), other
    bad = call(
        client,
        w,
        w.coordinator,
        "GET",
        f"/api/programmes/{w.programme.id}/matching/why-not",
        query_string={"mentee_id": p["ada"].id, "mentor_id": p["bob"].id},
    )  # type: ignore[attr-defined]
    assert bad.status_code == 422 and "mentee_id" in bad.json["errors"]


def test_why_not_reasons_speak_the_coordinators_language(client, app):
    w = setup_programme()
    p = people(w)
    run(client, w)
    response = client.get(
        f"/api/programmes/{w.programme.id}/matching/why-not",
        query_string={"mentee_id": p["gus"].id, "mentor_id": p["ada"].id},  # type: ignore[attr-defined]
        headers={**w.headers(w.coordinator), "Accept-Language": "it"},
    )
    assert response.status_code == 200
    reasons = response.json["reasons"]
    assert any("Languages: nessun valore in comune per Languages" in r for r in reasons), reasons


def test_lock_swap_remove_and_rerun_around_locks(client, app):
    w = setup_programme(MatchingMode.ONE_TO_ONE)
    p = people(w)
    run(client, w)
    base = f"/api/programmes/{w.programme.id}/matching"
    eve, fay = p["eve"].id, p["fay"].id  # type: ignore[attr-defined]
    refused = call(client, w, w.coordinator, "POST", base + "/swap", json={"mentee_ids": [eve, fay]})
    assert refused.status_code == 409  # Eve and Bob share no language
    swapped = call(
        client, w, w.coordinator, "POST", base + "/swap", json={"mentee_ids": [eve, fay], "force": True}
    )
    assert swapped.status_code == 200, swapped.json
    run(client, w)  # the swapped pairs are locked: the re-run keeps them
    got = {(i["mentee"]["name"], i["mentor"]["name"], i["locked"]) for i in pairs(client, w)["items"]}
    assert got == {("Eve Mentee", "Bob Mentor", True), ("Fay Mentee", "Ada Mentor", True)}
    unlocked = call(
        client, w, w.coordinator, "POST", base + "/lock", json={"mentee_ids": [eve, fay], "locked": False}
    )
    assert unlocked.json == {"changed": 2}
    run(client, w)
    got = {(i["mentee"]["name"], i["mentor"]["name"]) for i in pairs(client, w)["items"]}
    assert got == {("Eve Mentee", "Ada Mentor"), ("Fay Mentee", "Bob Mentor")}
    removed = call(
        client, w, w.coordinator, "POST", base + "/remove", json={"mentee_ids": [eve], "reason": "conflict"}
    )
    assert removed.json == {"removed": 1}
    run(client, w)  # a removed pair is never proposed again
    got = {(i["mentee"]["name"], i["mentor"]["name"]) for i in pairs(client, w)["items"]}
    assert ("Eve Mentee", "Ada Mentor") not in got
    history = (
        db.session.execute(sa.select(AuditEvent.action).where(AuditEvent.subject_type == "match"))
        .scalars()
        .all()
    )
    assert {"match.swapped", "match.unlocked", "match.removed"} <= set(history)


def test_assign_by_hand_respects_rules_and_capacity(client, app):
    w = setup_programme(MatchingMode.ONE_TO_ONE)
    p = people(w)
    base = f"/api/programmes/{w.programme.id}/matching"
    ok = call(
        client,
        w,
        w.coordinator,
        "POST",
        base + "/assign",
        json={"mentee_id": p["eve"].id, "mentor_id": p["ada"].id},
    )  # type: ignore[attr-defined]
    assert ok.status_code == 200, ok.json
    full = call(
        client,
        w,
        w.coordinator,
        "POST",
        base + "/assign",
        json={"mentee_id": p["hal"].id, "mentor_id": p["ada"].id},
    )  # type: ignore[attr-defined]
    assert full.status_code == 409 and "room" in full.json["detail"]


def test_approve_activates_notifies_and_records(client, app):
    from lti_tool.notifications.models import Notification

    w = setup_programme()
    p = people(w)
    run(client, w)
    ACTIVATED.clear()
    items = pairs(client, w)["items"]
    one = items[0]["match_id"]
    approved = call(
        client,
        w,
        w.coordinator,
        "POST",
        f"/api/programmes/{w.programme.id}/matching/approve",
        json={"match_ids": [one]},
    )
    assert approved.json == {"approved": 1}
    assert [one] == ACTIVATED
    assert db.session.get(Match, one).status is MatchStatus.ACTIVE
    told = (
        db.session.execute(sa.select(Notification.user_id).where(Notification.kind == "match.activated"))
        .scalars()
        .all()
    )
    assert len(told) == 2
    rest = call(
        client, w, w.coordinator, "POST", f"/api/programmes/{w.programme.id}/matching/approve", json={}
    )
    assert rest.json == {"approved": 1}
    # participants see their match and why, plus the programme's rules in words
    eve = p["eve"].user_id  # type: ignore[attr-defined]
    mine = call(client, w, eve, "GET", f"/api/programmes/{w.programme.id}/my-matches").json
    assert mine["items"][0]["mentor"]["name"] == "Ada Mentor"
    assert mine["items"][0]["mentees"][0]["explanation"]["criteria"]
    assert any("Skills counts for 75%" in line for line in mine["rules"]), mine["rules"]
    assert any("must differ" in line for line in mine["rules"])
    # the history of the match: who and why
    history = call(
        client, w, w.coordinator, "GET", f"/api/programmes/{w.programme.id}/matches/{one}/history"
    ).json["items"]
    assert history[-1]["action"] == "match.activated" and history[-1]["actor"] == "Cora Coordinator"


def test_rematch_and_end(client, app):
    w = setup_programme()
    p = people(w)
    run(client, w)
    call(client, w, w.coordinator, "POST", f"/api/programmes/{w.programme.id}/matching/approve", json={})
    eve_user = p["eve"].user_id  # type: ignore[attr-defined]
    match_id = call(client, w, eve_user, "GET", f"/api/programmes/{w.programme.id}/my-matches").json["items"][
        0
    ]["match_id"]
    gus_user = p["gus"].user_id  # type: ignore[attr-defined]
    stranger = call(
        client, w, gus_user, "POST", f"/api/programmes/{w.programme.id}/matches/{match_id}/rematch", json={}
    )
    assert stranger.status_code == 404
    asked = call(
        client,
        w,
        eve_user,
        "POST",
        f"/api/programmes/{w.programme.id}/matches/{match_id}/rematch",
        json={"reason": "different goals"},
    )
    assert asked.json["status"] == "ended"
    assert (
        call(client, w, eve_user, "GET", f"/api/programmes/{w.programme.id}/my-matches").json["items"] == []
    )
    fay_match = pairs(client, w, status="active")["items"][0]["match_id"]
    ended = call(
        client,
        w,
        w.coordinator,
        "POST",
        f"/api/programmes/{w.programme.id}/matches/{fay_match}/end",
        json={"reason": "programme over"},
    )
    assert ended.json["status"] == "ended"
    assert (
        call(
            client,
            w,
            w.coordinator,
            "POST",
            f"/api/programmes/{w.programme.id}/matches/{fay_match}/end",
            json={},
        ).status_code
        == 409
    )


def test_group_mode_fills_mentor_capacity(client, app):
    w = world(MatchingMode.GROUP)
    w.question(kind="tags", label="Skills", options=["python", "sql"], weight=1)
    mentor = w.person("Ada Mentor", ParticipantRole.MENTOR, capacity=3, answers={"skills": ["python", "sql"]})
    for n in range(4):
        w.person(f"Mentee {n}", ParticipantRole.MENTEE, answers={"skills": ["python"]})
    result = run(client, w)
    assert result["summary"]["matched"] == 3
    matches = db.session.execute(sa.select(Match).where(Match.mentor_id == mentor.id)).scalars().all()
    assert len(matches) == 1 and len(matches[0].members) == 3
    left = call(
        client,
        w,
        w.coordinator,
        "GET",
        f"/api/programmes/{w.programme.id}/matching/runs/{result['id']}/unmatched",
    ).json["items"]
    assert [i["code"] for i in left] == ["full"] or [i["code"] for i in left] == ["no_capacity"]


def test_without_approval_matches_start_at_once(client, app):
    w = setup_programme(requires_approval=False)
    people(w)
    run(client, w)
    assert pairs(client, w)["total"] == 0
    assert pairs(client, w, status="active")["total"] == 2


def test_matching_never_pairs_across_a_hard_constraint_property(client, app):
    """Random profiles: every proposed pair shares a language and sits in different departments."""
    import random

    rnd = random.Random(7)
    w = setup_programme(MatchingMode.GROUP)
    langs, depts, skills = ["en", "it", "de"], ["eng", "ops", "hr"], ["python", "sql", "design", "sales"]
    for n in range(30):
        role = ParticipantRole.MENTOR if n % 3 == 0 else ParticipantRole.MENTEE
        w.person(
            f"P{n}",
            role,
            answers={
                "skills": rnd.sample(skills, rnd.randint(1, 3)),
                "languages": rnd.sample(langs, rnd.randint(1, 2)),
                "department": rnd.choice(depts),
            },
        )
    run(client, w)
    from lti_tool.mentoring.profiles import service as profiles

    by_key = {q.key: q.id for q in profiles.questions(w.programme.id)}
    rows = db.session.execute(sa.select(MatchMentee.mentee_id, Match.mentor_id).join(Match)).all()
    assert rows
    for mentee, mentor in rows:
        a, b = profiles.answers_of(mentee), profiles.answers_of(mentor)
        assert set(a[by_key["languages"]]) & set(b[by_key["languages"]])
        assert a[by_key["department"]] != b[by_key["department"]]
    load: dict[int, int] = {}
    for _mentee, mentor in rows:
        load[mentor] = load.get(mentor, 0) + 1
    assert max(load.values()) <= w.programme.default_capacity
