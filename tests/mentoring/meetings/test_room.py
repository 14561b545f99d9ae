"""The meeting room: presence heartbeats (members only), "held" when both sides were there together,
the milestone rule reached through it, and BigBlueButton's signed create and join."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.wrappers import Request, Response

from lti_tool.db import db, utcnow
from lti_tool.demo.server import ServerHandle, serve_in_thread
from lti_tool.events import DomainEvent, subscribe, unsubscribe
from lti_tool.mentoring.goals.models import CompletionState, MilestoneCompletion
from lti_tool.mentoring.meetings import bbb
from lti_tool.mentoring.meetings.models import Meeting, MeetingPresence, MeetingStatus
from lti_tool.mentoring.programmes.models import Participant
from tests.mentoring.conversations.factories import World
from tests.mentoring.meetings.test_meetings import propose


def confirmed(client, world: World, starts_in: timedelta = timedelta(minutes=-5)) -> int:
    """A meeting the mentor proposed and the mentee accepted, moved to start ``starts_in`` from now."""
    meeting = propose(client, world).get_json()
    accepted = client.post(
        f"/api/meetings/{meeting['id']}/accept",
        headers=world.headers(world.mentee),
        json={"slot_id": meeting["slots"][0]["id"]},
    )
    assert accepted.status_code == 200
    row = db.session.get(Meeting, meeting["id"])
    row.starts_at = utcnow() + starts_in
    db.session.commit()
    return int(meeting["id"])


def beat(client, world: World, user, meeting_id: int):
    return client.post(f"/api/meetings/{meeting_id}/presence", headers=world.headers(user))


@pytest.fixture
def held_events() -> Iterator[list[DomainEvent]]:
    seen: list[DomainEvent] = []
    subscribe("meeting.held", seen.append)
    yield seen
    unsubscribe("meeting.held", seen.append)


def test_heartbeats_show_who_is_in_the_room_to_members_only(client, world: World) -> None:
    meeting_id = confirmed(client, world, starts_in=timedelta(hours=2))
    first = beat(client, world, world.mentor, meeting_id)
    assert first.status_code == 200
    assert [p["name"] for p in first.get_json()["present"]] == ["Marta Rossi"]
    assert first.get_json()["heartbeat_seconds"] == 20
    seen = client.get(f"/api/meetings/{meeting_id}/presence", headers=world.headers(world.mentee))
    assert seen.status_code == 200 and [p["user_id"] for p in seen.get_json()["present"]] == [world.mentor.id]
    # Another match's mentee: not found; the coordinator reads the space but does not join its calls.
    assert beat(client, world, world.outsider, meeting_id).status_code == 404
    assert beat(client, world, world.coordinator, meeting_id).status_code == 403
    assert (
        client.get(
            f"/api/meetings/{meeting_id}/presence", headers=world.headers(world.coordinator)
        ).status_code
        == 403
    )
    assert client.post(f"/api/meetings/{meeting_id}/presence").status_code == 401
    rows = db.session.execute(sa.select(MeetingPresence)).scalars().all()
    assert [(r.user_id, r.meeting_id) for r in rows] == [(world.mentor.id, meeting_id)]
    # Outside the window (two hours ahead) nobody's presence makes the meeting held.
    assert beat(client, world, world.mentee, meeting_id).get_json()["held"] is False
    assert db.session.get(Meeting, meeting_id).status is MeetingStatus.CONFIRMED


def test_a_proposed_meeting_has_no_room_yet(client, world: World) -> None:
    meeting = propose(client, world).get_json()
    assert beat(client, world, world.mentor, meeting["id"]).status_code == 409
    page = client.get(f"/meetings/{meeting['id']}/room", headers=world.headers(world.mentor))
    assert page.status_code == 409


def test_beats_extend_one_stretch_and_a_long_silence_starts_another(client, world: World) -> None:
    meeting_id = confirmed(client, world)
    beat(client, world, world.mentor, meeting_id)
    beat(client, world, world.mentor, meeting_id)
    assert db.session.execute(sa.select(sa.func.count(MeetingPresence.id))).scalar_one() == 1
    row = db.session.execute(sa.select(MeetingPresence)).scalar_one()
    row.joined_at = row.last_seen_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert (
        beat(client, world, world.mentor, meeting_id).get_json()["present"][0]["user_id"] == world.mentor.id
    )
    assert db.session.execute(sa.select(sa.func.count(MeetingPresence.id))).scalar_one() == 2


def test_only_one_side_present_is_not_held(client, world: World, held_events) -> None:
    meeting_id = confirmed(client, world)
    for _ in range(3):
        assert beat(client, world, world.mentor, meeting_id).get_json()["held"] is False
    assert db.session.get(Meeting, meeting_id).status is MeetingStatus.CONFIRMED
    assert held_events == []


def test_both_sides_at_different_times_is_not_held(client, world: World, held_events) -> None:
    meeting_id = confirmed(client, world, starts_in=timedelta(minutes=-30))
    beat(client, world, world.mentor, meeting_id)
    row = db.session.execute(sa.select(MeetingPresence)).scalar_one()
    # The mentor was there from the start for five minutes, and left.
    row.joined_at = utcnow() - timedelta(minutes=30)
    row.last_seen_at = utcnow() - timedelta(minutes=25)
    db.session.commit()
    answer = beat(client, world, world.mentee, meeting_id).get_json()
    assert answer["held"] is False and [p["user_id"] for p in answer["present"]] == [world.mentee.id]
    assert held_events == []


def test_both_sides_together_mark_the_meeting_held_once(client, world: World, held_events) -> None:
    meeting_id = confirmed(client, world)
    assert beat(client, world, world.mentee, meeting_id).get_json()["held"] is False
    answer = beat(client, world, world.mentor, meeting_id).get_json()
    assert answer["held"] is True and answer["status"] == "held"
    assert sorted(p["user_id"] for p in answer["present"]) == sorted([world.mentor.id, world.mentee.id])
    meeting = db.session.get(Meeting, meeting_id)
    assert meeting.status is MeetingStatus.HELD and meeting.outcome_at is not None
    beat(client, world, world.mentee, meeting_id)
    beat(client, world, world.mentor, meeting_id)
    assert len(held_events) == 1
    assert held_events[0].match_id == world.match.id and held_events[0].data["meeting_id"] == meeting_id
    # Members can still add notes to a meeting the room recorded as held.
    notes = client.post(
        f"/api/meetings/{meeting_id}/outcome",
        headers=world.headers(world.mentor),
        json={"outcome": "held", "notes": "Good talk"},
    )
    assert notes.status_code == 200 and len(held_events) == 1


def test_the_meetings_held_milestone_completes_through_the_room(client, world: World) -> None:
    made = client.post(
        "/api/goals/milestones",
        headers=world.headers(world.coordinator),
        json={"title": "First meeting", "completion_mode": "automatic", "rule_event": "meeting.held"},
    )
    assert made.status_code == 201, made.get_json()
    milestone_id = made.get_json()["id"]
    meeting_id = confirmed(client, world)
    beat(client, world, world.mentor, meeting_id)
    assert db.session.execute(sa.select(MilestoneCompletion)).scalars().all() == []
    beat(client, world, world.mentee, meeting_id)
    mentee_participant = db.session.execute(
        sa.select(Participant.id).where(
            Participant.user_id == world.mentee.id, Participant.programme_id == world.programme.id
        )
    ).scalar_one()
    completions = {
        (c.milestone_id, c.participant_id): c.state
        for c in db.session.execute(sa.select(MilestoneCompletion)).scalars()
    }
    assert completions == {(milestone_id, mentee_participant): CompletionState.COMPLETED}


def test_the_room_page_embeds_jitsi_with_its_origin_allowed_on_that_page_only(
    app, client, world: World
) -> None:
    app.config["WEBINAR_JITSI_BASE_URL"] = "https://video.example.org"
    meeting_id = confirmed(client, world)
    page = client.get(f"/meetings/{meeting_id}/room", headers=world.headers(world.mentor))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'src="https://video.example.org/external_api.js"' in html
    assert 'data-kind="jitsi"' in html and 'data-domain="video.example.org"' in html
    csp = page.headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert "https://video.example.org" in script_src
    detail = client.get(f"/meetings/{meeting_id}", headers=world.headers(world.mentor))
    assert "video.example.org" not in detail.headers["Content-Security-Policy"]
    assert f"/meetings/{meeting_id}/room" in detail.get_data(as_text=True)
    assert (
        client.get(f"/meetings/{meeting_id}/room", headers=world.headers(world.outsider)).status_code == 404
    )


# -- BigBlueButton -----------------------------------------------------------------------------------


def test_bbb_checksum_matches_the_api_documentation_example() -> None:
    # docs.bigbluebutton.org, API "Usage": create with this query and secret.
    query = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
    secret = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
    assert bbb.checksum("create", query, secret) == "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
    url = bbb.signed_url(
        "https://bbb.example.org/bigbluebutton/",
        secret,
        "create",
        [
            ("name", "Test Meeting"),
            ("meetingID", "abc123"),
            ("attendeePW", "111222"),
            ("moderatorPW", "333444"),
        ],
    )
    assert url == (
        "https://bbb.example.org/bigbluebutton/api/create?"
        + query
        + "&checksum=1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
    )


class BigBlueButton:
    """Stands for a BigBlueButton server: checks every call's checksum, answers ``create``."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.calls: list[tuple[str, dict[str, str]]] = []

    def __call__(self, environ, start_response):
        request = Request(environ)
        call = request.path.rsplit("/", 1)[-1]
        query = request.query_string.decode()
        signed, _sep, given = query.rpartition("&checksum=")
        ok = bbb.checksum(call, signed, self.secret) == given
        self.calls.append((call, dict(parse_qsl(signed))))
        code = "SUCCESS" if ok else "FAILED"
        body = f"<response><returncode>{code}</returncode></response>"
        return Response(body, mimetype="text/xml")(environ, start_response)


@pytest.fixture
def bbb_server(app) -> Iterator[tuple[ServerHandle, BigBlueButton]]:
    server = BigBlueButton("s3cret")
    handle = serve_in_thread(server, "127.0.0.1", 0)
    app.config.update(BBB_URL=f"{handle.url}/bigbluebutton/", BBB_SECRET="s3cret", ALLOW_PRIVATE_URLS=True)
    yield handle, server
    handle.shutdown()


def test_bbb_room_is_created_server_side_then_joined_with_a_signed_url(
    client, world: World, bbb_server
) -> None:
    handle, server = bbb_server
    meeting_id = confirmed(client, world)
    page = client.get(f"/meetings/{meeting_id}/room", headers=world.headers(world.mentee))
    assert page.status_code == 200
    assert [c[0] for c in server.calls] == ["create"]
    room_id = server.calls[0][1]["meetingID"]
    assert room_id.startswith("ritmo-") and server.calls[0][1]["name"] == "First meeting"
    html = page.get_data(as_text=True)
    join = html.split('data-join="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    parts = urlsplit(join)
    assert f"{parts.scheme}://{parts.netloc}" == handle.url and parts.path == "/bigbluebutton/api/join"
    signed, _sep, given = parts.query.rpartition("&checksum=")
    assert bbb.checksum("join", signed, "s3cret") == given
    assert (
        dict(parse_qsl(signed))["meetingID"] == room_id
        and dict(parse_qsl(signed))["fullName"] == "Ben Mentee0"
    )
    assert "s3cret" not in html
    assert handle.url in page.headers["Content-Security-Policy"]


def test_a_bbb_server_that_refuses_leaves_a_clear_error(app, client, world: World, bbb_server) -> None:
    app.config["BBB_SECRET"] = "wrong"
    meeting_id = confirmed(client, world)
    page = client.get(f"/meetings/{meeting_id}/room", headers=world.headers(world.mentee))
    assert page.status_code == 409
