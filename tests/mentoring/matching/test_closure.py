"""Closing a match: a member proposes, the other side confirms, reflections; a coordinator closes;
only members and coordinators reach any of it; the dashboard counts what the service made."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.events import DomainEvent, subscribe, unsubscribe
from lti_tool.mentoring.matching import figures
from lti_tool.mentoring.matching.models import EndReason, Match, MatchReflection, MatchStatus
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole
from lti_tool.notifications.models import Notification
from tests.mentoring.matching import states
from tests.mentoring.programmes.factories import World, call, world

SEEN: list[DomainEvent] = []


@pytest.fixture(autouse=True)
def _events() -> Iterator[None]:
    SEEN.clear()
    for name in ("match.ended", "match.completed"):
        subscribe(name, SEEN.append)
    yield
    for name in ("match.ended", "match.completed"):
        unsubscribe(name, SEEN.append)


@dataclass
class Pair:
    w: World
    mentor: Participant
    mentee: Participant
    outsider: Participant
    match: Match

    def url(self, tail: str) -> str:
        return f"/api/programmes/{self.w.programme.id}/matches/{self.match.id}/{tail}"


def pair() -> Pair:
    w = world()
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    mentee = w.person("Max Mentee", ParticipantRole.MENTEE)
    outsider = w.person("Oli Outsider", ParticipantRole.MENTEE)
    match = states.active(w.programme, mentor, [mentee])
    states.forget_announcements()
    return Pair(w, mentor, mentee, outsider, match)


def _kinds(user_id: int) -> list[str]:
    return list(
        db.session.execute(
            sa.select(Notification.kind).where(Notification.user_id == user_id).order_by(Notification.id)
        ).scalars()
    )


def test_a_member_proposes_the_other_confirms_and_both_reflect(client, app):
    p = pair()
    proposed = call(
        client,
        p.w,
        p.mentee.user_id,
        "POST",
        p.url("closure"),
        json={"reason": "goals_met", "reflection": "I learnt **a lot** <script>alert(1)</script>"},
    )
    assert proposed.status_code == 201, proposed.json
    assert proposed.json["closure"]["mine"] and not proposed.json["closure"]["can_confirm"]
    assert _kinds(p.mentor.user_id) == ["match.closure_proposed"]
    # The proposer cannot confirm their own proposal; the mentor sees it to confirm.
    assert call(client, p.w, p.mentee.user_id, "POST", p.url("closure/confirm"), json={}).status_code == 409
    seen = call(client, p.w, p.mentor.user_id, "GET", p.url("life")).json
    assert seen["closure"]["can_confirm"] and seen["closure"]["reason"] == "goals_met"
    assert seen["status"] == "active" and SEEN == []

    confirmed = call(
        client, p.w, p.mentor.user_id, "POST", p.url("closure/confirm"), json={"reflection": "Proud of Max"}
    )
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["completed"] and confirmed.json["end_reason"] == "completed"
    db.session.expire_all()
    match = db.session.get(Match, p.match.id)
    assert match.status is MatchStatus.ENDED and match.end_reason is EndReason.COMPLETED
    assert match.ended_at is not None and match.closure_proposed_at is None
    assert [(e.name, e.match_id) for e in SEEN] == [("match.ended", match.id), ("match.completed", match.id)]
    reflections = {r.participant_id: r for r in db.session.execute(sa.select(MatchReflection)).scalars()}
    assert set(reflections) == {p.mentor.id, p.mentee.id}
    html = reflections[p.mentee.id].text_html
    assert "<strong>a lot</strong>" in html and "<script" not in html
    for person in (p.mentor, p.mentee):
        assert "match.completed" in _kinds(person.user_id)
    # After the close each member may still rewrite their reflection; members see both.
    again = call(client, p.w, p.mentee.user_id, "PUT", p.url("reflection"), json={"reflection": "Thanks!"})
    assert again.status_code == 200 and again.json["text"] == "Thanks!"
    life = call(client, p.w, p.mentor.user_id, "GET", p.url("life")).json
    assert sorted(r["text"] for r in life["reflections"]) == ["Proud of Max", "Thanks!"]
    # The dashboard's "completed" counts it, and ended-by-reason says why.
    counted = figures.matches(p.w.programme, utcnow())
    assert counted["completed"] == 1 and counted["ended_by_reason"]["completed"] == 1
    assert counted["by_status"]["ended"] == 1 and counted["live"] == 0


def test_the_other_side_declines_and_the_proposer_takes_it_back(client, app):
    p = pair()
    propose = {"reason": "time_up"}
    assert call(client, p.w, p.mentor.user_id, "POST", p.url("closure"), json=propose).status_code == 201
    assert call(client, p.w, p.mentor.user_id, "POST", p.url("closure"), json=propose).status_code == 409
    declined = call(client, p.w, p.mentee.user_id, "DELETE", p.url("closure"))
    assert declined.status_code == 200 and declined.json["closure"]["proposed_at"] is None
    assert "match.closure_declined" in _kinds(p.mentor.user_id)
    assert call(client, p.w, p.mentor.user_id, "POST", p.url("closure"), json=propose).status_code == 201
    assert call(client, p.w, p.mentor.user_id, "DELETE", p.url("closure")).status_code == 200
    db.session.expire_all()
    assert db.session.get(Match, p.match.id).status is MatchStatus.ACTIVE
    assert call(client, p.w, p.mentee.user_id, "POST", p.url("closure/confirm"), json={}).status_code == 409
    # A reflection comes with a closing, not before.
    early = call(client, p.w, p.mentee.user_id, "PUT", p.url("reflection"), json={"reflection": "x"})
    assert early.status_code == 409
    bad = call(client, p.w, p.mentee.user_id, "POST", p.url("closure"), json={"reason": "bored"})
    assert bad.status_code == 422 and SEEN == []


def test_a_coordinator_closes_directly_and_only_members_or_coordinators_reach_the_match(client, app):
    p = pair()
    coordinator = p.w.coordinator.id
    # Someone outside the match sees nothing, whatever they try.
    for method, tail, body in (
        ("GET", "life", None),
        ("POST", "closure", {"reason": "other"}),
        ("PUT", "check-in", {"feeling": "well", "text": "hi"}),
    ):
        assert call(client, p.w, p.outsider.user_id, method, p.url(tail), json=body).status_code == 404
    # Members cannot use the coordinator's close or planned end; coordinators do not write reflections.
    assert call(client, p.w, p.mentee.user_id, "POST", p.url("close"), json={}).status_code == 403
    assert (
        call(client, p.w, p.mentor.user_id, "PUT", p.url("planned-end"), json={"planned_end_on": None})
    ).status_code == 403
    assert (
        call(client, p.w, coordinator, "POST", p.url("closure"), json={"reason": "other"}).status_code == 403
    )

    closed = call(
        client, p.w, coordinator, "POST", p.url("close"), json={"reason": "not_needed", "note": "ok"}
    )
    assert closed.status_code == 200 and closed.json["completed"]
    assert call(client, p.w, coordinator, "POST", p.url("close"), json={}).status_code == 409
    db.session.expire_all()
    assert db.session.get(Match, p.match.id).end_reason is EndReason.COMPLETED
    assert [e.actor_user_id for e in SEEN] == [coordinator, coordinator]
    for person in (p.mentor, p.mentee):
        assert "match.completed" in _kinds(person.user_id)
    wrote = call(client, p.w, p.mentee.user_id, "PUT", p.url("reflection"), json={"reflection": "Good run"})
    assert wrote.status_code == 200
    refused = call(client, p.w, coordinator, "PUT", p.url("reflection"), json={"reflection": "mine"})
    assert refused.status_code == 403
    # Another programme's coordinator URL shape: the programme in the path must be the match's.
    other = f"/api/programmes/{p.w.programme.id + 1}/matches/{p.match.id}/life"
    assert call(client, p.w, coordinator, "GET", other).status_code == 404


def test_the_closing_page_offers_each_person_their_buttons(client, app):
    p = pair()
    page = f"/programmes/{p.w.programme.id}/matches/{p.match.id}/closing"
    mine = client.get(page, headers=p.w.headers(p.mentee.user_id))
    text = mine.get_data(as_text=True)
    assert mine.status_code == 200 and 'value="propose"' in text and 'value="close"' not in text
    assert 'class="button danger"' in text and "data-confirm" in text
    sent = client.post(
        page,
        headers=p.w.headers(p.mentee.user_id),
        data={"action": "propose", "reason": "goals_met", "reflection": "Great"},
    )
    assert sent.status_code == 302
    theirs = client.get(page, headers=p.w.headers(p.mentor.user_id)).get_data(as_text=True)
    assert 'value="confirm"' in theirs and "Great" in theirs
    coordinator = client.get(page, headers=p.w.headers(p.w.coordinator.id)).get_data(as_text=True)
    assert 'value="close"' in coordinator and 'value="planned_end"' in coordinator
    assert client.get(page, headers=p.w.headers(p.outsider.user_id)).status_code == 404
    refused = client.post(page, headers=p.w.headers(p.mentee.user_id), data={"action": "close"})
    assert refused.status_code == 403
    my_match = client.get(f"/programmes/{p.w.programme.id}/my-match", headers=p.w.headers(p.mentor.user_id))
    assert f"/matches/{p.match.id}/closing" in my_match.get_data(as_text=True)
