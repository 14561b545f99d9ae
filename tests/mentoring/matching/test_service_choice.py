"""Mentee-choice mode: recommendations, requests, answers, expiry to the next best mentor, pausing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.jobs.models import Job
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.matching.models import Match, MatchRequest, MatchStatus, RequestStatus
from lti_tool.mentoring.programmes.models import MatchingMode, ParticipantRole
from tests.mentoring.programmes.factories import call, world


def setup():
    w = world(MatchingMode.MENTEE_CHOICE, requires_approval=False)
    w.programme.settings = {"request_deadline_hours": 24}
    db.session.commit()
    w.question(kind="tags", label="Skills", options=["python", "sql", "design", "sales"], weight=1)
    M = ParticipantRole.MENTOR
    mentors = [
        w.person("Ada", M, capacity=1, answers={"skills": ["python", "sql"]}),
        w.person("Bob", M, capacity=1, answers={"skills": ["python"]}),
        w.person("Cat", M, capacity=1, answers={"skills": ["sql"]}),
        w.person("Dan", M, capacity=1, answers={"skills": ["sales"]}),
    ]
    eve = w.person("Eve", ParticipantRole.MENTEE, answers={"skills": ["python", "sql"]})
    return w, mentors, eve


def test_recommend_ask_accept(client, app):
    w, (ada, bob, _cat, dan), eve = setup()
    base = f"/api/programmes/{w.programme.id}"
    recs = call(client, w, eve.user_id, "GET", base + "/recommendations").json["items"]
    assert [r["mentor"]["name"] for r in recs] == ["Ada", "Bob", "Cat"]
    assert recs[0]["explanation"]["criteria"][0]["text"].startswith("Skills: the mentor offers 2 of the 2")
    wrong = call(client, w, eve.user_id, "POST", base + "/requests", json={"mentor_id": dan.id})
    assert wrong.status_code == 422
    asked = call(
        client, w, eve.user_id, "POST", base + "/requests", json={"mentor_id": ada.id, "message": "hi"}
    )
    assert asked.status_code == 201 and asked.json["status"] == "pending"
    twice = call(client, w, eve.user_id, "POST", base + "/requests", json={"mentor_id": bob.id})
    assert twice.status_code == 409
    not_mine = call(
        client, w, bob.user_id, "POST", f"{base}/requests/{asked.json['id']}/answer", json={"accept": True}
    )
    assert not_mine.status_code == 404
    accepted = call(
        client, w, ada.user_id, "POST", f"{base}/requests/{asked.json['id']}/answer", json={"accept": True}
    )
    assert accepted.json["status"] == "accepted"
    match = db.session.execute(sa.select(Match).where(Match.mentor_id == ada.id)).scalar_one()
    assert match.status is MatchStatus.ACTIVE
    assert (
        call(client, w, eve.user_id, "GET", base + "/my-matches").json["items"][0]["mentor"]["name"] == "Ada"
    )


def test_unanswered_request_expires_and_goes_to_the_next_best(client, app):
    w, (ada, bob, _cat, _dan), eve = setup()
    base = f"/api/programmes/{w.programme.id}"
    first = call(client, w, eve.user_id, "POST", base + "/requests", json={"mentor_id": ada.id}).json
    req = db.session.get(MatchRequest, first["id"])
    assert req.expires_at - utcnow() > timedelta(hours=23)
    drain()  # not due yet
    assert db.session.get(MatchRequest, first["id"]).status is RequestStatus.PENDING
    # the deadline passes: move the request and its job into the past
    req.expires_at = utcnow() - timedelta(minutes=1)
    job = db.session.execute(
        sa.select(Job).where(Job.dedupe_key == f"match-request-expire:{req.id}")
    ).scalar_one()
    job.run_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    drain()
    db.session.expire_all()
    assert db.session.get(MatchRequest, first["id"]).status is RequestStatus.EXPIRED
    pending = db.session.execute(
        sa.select(MatchRequest).where(MatchRequest.status == RequestStatus.PENDING)
    ).scalar_one()
    assert pending.mentor_id == bob.id and pending.mentee_id == eve.id


def test_declined_mentor_is_not_offered_again_and_paused_mentors_are_hidden(client, app):
    w, (ada, bob, _cat, _dan), eve = setup()
    base = f"/api/programmes/{w.programme.id}"
    first = call(client, w, eve.user_id, "POST", base + "/requests", json={"mentor_id": ada.id}).json
    call(client, w, ada.user_id, "POST", f"{base}/requests/{first['id']}/answer", json={"accept": False})
    paused = call(client, w, bob.user_id, "PUT", base + "/me/availability", json={"paused": True})
    assert paused.json == {"status": "paused"}
    assert (
        call(client, w, eve.user_id, "PUT", base + "/me/availability", json={"paused": True}).status_code
        == 403
    )
    recs = call(client, w, eve.user_id, "GET", base + "/recommendations").json["items"]
    assert [r["mentor"]["name"] for r in recs] == ["Cat", "Dan"]


def test_requests_need_mentee_choice_mode(client, app):
    w = world(MatchingMode.ONE_TO_ONE)
    mentor = w.person("Ada", ParticipantRole.MENTOR)
    eve = w.person("Eve", ParticipantRole.MENTEE)
    response = call(
        client,
        w,
        eve.user_id,
        "POST",
        f"/api/programmes/{w.programme.id}/requests",
        json={"mentor_id": mentor.id},
    )
    assert response.status_code == 409


def test_the_request_deadline_is_written_in_the_mentors_language(client, app):
    from babel.dates import format_date

    from lti_tool.notifications.models import Notification

    w, (ada, *_others), eve = setup()
    ada.user.locale = "it"
    db.session.commit()
    asked = call(
        client,
        w,
        eve.user_id,
        "POST",
        f"/api/programmes/{w.programme.id}/requests",
        json={"mentor_id": ada.id},
    )
    expires = db.session.get(MatchRequest, asked.json["id"]).expires_at
    told = db.session.execute(
        sa.select(Notification).where(
            Notification.user_id == ada.user_id, Notification.kind == "match.requested"
        )
    ).scalar_one()
    # The mentor keeps no zone: the programme's (UTC), labelled as every time is.
    day = format_date(expires, "d MMM y", locale="it")
    assert f"{day}, {expires:%H:%M} (UTC)" in told.text
    assert expires.strftime("%Y-%m-%d") not in told.text


def test_why_we_matched_you_is_read_in_each_persons_language(client, app):
    w, (ada, *_rest), eve = setup()
    base = f"/api/programmes/{w.programme.id}"
    # Eve asks and Ada accepts in English: the match's explanation is written then.
    asked = call(client, w, eve.user_id, "POST", base + "/requests", json={"mentor_id": ada.id})
    call(client, w, ada.user_id, "POST", f"{base}/requests/{asked.json['id']}/answer", json={"accept": True})
    page = client.get(
        f"/programmes/{w.programme.id}/my-match",
        headers={**w.headers(eve.user_id), "Accept": "text/html", "Accept-Language": "it"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Skills: il mentor offre 2 dei 2" in html and "the mentor offers" not in html
    # The API gives the sentence as written, and what it takes to say it again.
    criterion = call(client, w, eve.user_id, "GET", base + "/recommendations").json["items"][0][
        "explanation"]["criteria"][0]
    assert criterion["text"].startswith("Skills: the mentor offers")
    assert criterion["say"]["msgid"].startswith("%(q)s: the mentor offers")
    assert criterion["say"]["args"]["n"] == 2
