"""Meetings: proposing, accepting, rescheduling, cancelling, outcome; time zones, video links, ICS."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool import ics
from lti_tool.db import db, utcnow
from lti_tool.errors import InvalidInput
from lti_tool.events import DomainEvent, subscribe, unsubscribe
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus, VideoProvider
from lti_tool.mentoring.meetings.service import parse_local_time, video_link
from tests.mentoring.conversations.factories import Mailbox, World
from tests.session_codes import rh

# Europe/Rome springs forward on 2027-03-28 and falls back on 2027-10-31; New York on 2027-03-14
# and 2027-11-07. Dates are in the future relative to the test run (within a year is required).
ROME_BEFORE_SPRING = "2027-03-27T09:00"
ROME_AFTER_SPRING = "2027-03-28T09:00"


def propose(client, world: World, user=None, times=(ROME_BEFORE_SPRING, ROME_AFTER_SPRING), **extra):
    user = user or world.mentor
    payload = {"title": "First meeting", "times": list(times), "timezone": "Europe/Rome"} | extra
    return client.post(f"/api/matches/{world.match.id}/meetings", headers=world.headers(user), json=payload)


def calendar_of(message) -> str:
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            return part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode()
    raise AssertionError("no text/calendar attachment")


def props(calendar: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in ics.unfold(calendar):
        if ":" in line:
            name, _sep, value = line.partition(":")
            out.setdefault(name.split(";")[0], value)
    return out


def test_times_are_stored_in_utc_across_dst_and_shown_in_each_zone(client, world: World) -> None:
    response = propose(client, world)
    assert response.status_code == 201
    meeting = response.get_json()
    # 09:00 in Rome is 08:00Z before the change and 07:00Z after it.
    assert [s["starts_at"] for s in meeting["slots"]] == [
        "2027-03-27T08:00:00+00:00",
        "2027-03-28T07:00:00+00:00",
    ]
    # The mentor (Europe/Rome) sees 09:00 both days; the mentee (New York, already on EDT)
    # sees 04:00 and 03:00.
    assert [s["starts_at_local"] for s in meeting["slots"]] == [
        "2027-03-27T09:00:00+01:00",
        "2027-03-28T09:00:00+02:00",
    ]
    as_mentee = client.get(f"/api/meetings/{meeting['id']}", headers=world.headers(world.mentee)).get_json()
    assert as_mentee["display_timezone"] == "America/New_York"
    assert [s["starts_at_local"] for s in as_mentee["slots"]] == [
        "2027-03-27T04:00:00-04:00",
        "2027-03-28T03:00:00-04:00",
    ]


def test_a_browser_zone_is_used_when_the_person_has_none(client, app) -> None:
    from tests.mentoring.conversations.factories import make_world

    world = make_world(mentee_tz=None)
    meeting = propose(client, world).get_json()
    seen = client.get(
        f"/api/meetings/{meeting['id']}",
        headers=world.headers(world.mentee),
        query_string={"tz": "Asia/Tokyo"},
    ).get_json()
    assert seen["display_timezone"] == "Asia/Tokyo"
    assert seen["slots"][0]["starts_at_local"] == "2027-03-27T17:00:00+09:00"


def test_wall_clock_times_that_do_not_exist_are_refused(app) -> None:
    with pytest.raises(InvalidInput):
        parse_local_time("2027-03-28T02:30", "Europe/Rome")  # skipped by the spring change
    # An ambiguous autumn time takes the first occurrence (summer time).
    assert parse_local_time("2027-10-31T02:30", "Europe/Rome").isoformat() == "2027-10-31T00:30:00+00:00"
    assert parse_local_time("2027-10-31T09:00", "Europe/Rome").isoformat() == "2027-10-31T08:00:00+00:00"
    assert parse_local_time("2027-03-28T09:00+02:00", "UTC").isoformat() == "2027-03-28T07:00:00+00:00"


def test_bad_proposals_are_422_and_write_nothing(client, world: World) -> None:
    past = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    far = (utcnow() + timedelta(days=500)).strftime("%Y-%m-%dT%H:%M")
    cases = [
        {"times": []},
        {"times": [past]},
        {"times": [far]},
        {"times": ["tomorrow"]},
        {"times": [ROME_AFTER_SPRING] * 6},
        {"timezone": "Mars/Olympus"},
        {"duration_minutes": 5},
        {"duration_minutes": 600},
        {"title": ""},
        {"times": ["2027-03-28T02:30"]},
        {"video_url": "https://evil.example/zoom.us"},
    ]
    for extra in cases:
        response = propose(client, world, **extra)
        assert response.status_code == 422, extra
        assert response.get_json()["errors"], extra
    assert db.session.execute(sa.select(sa.func.count()).select_from(Meeting)).scalar_one() == 0


@pytest.mark.parametrize(
    "url,provider",
    [
        ("https://zoom.us/j/123456789?pwd=abc", VideoProvider.ZOOM),
        ("https://uni-example.zoom.us/j/42", VideoProvider.ZOOM),
        ("https://teams.microsoft.com/l/meetup-join/19%3ameeting", VideoProvider.TEAMS),
        ("https://meet.google.com/abc-defg-hij", VideoProvider.MEET),
        ("https://meet.jit.si/SomeRoom", VideoProvider.JITSI),
    ],
)
def test_allowed_video_hosts(app, url: str, provider: VideoProvider) -> None:
    assert video_link(url) == (provider, url)


@pytest.mark.parametrize(
    "url",
    [
        "http://zoom.us/j/1",
        "https://zoom.us.evil.example/j/1",
        "https://evilzoom.us/j/1",
        "https://user:pw@zoom.us/j/1",
        "https://zoom.us:8443/j/1",
        "javascript:alert(1)",
        "data:text/html,x",
        "https://example.org/meet.google.com",
        "https://meet.google.com@evil.example/",
        "https://zoom.us/j/1 onclick=x",
        "//zoom.us/j/1",
    ],
)
def test_refused_video_addresses(app, url: str) -> None:
    with pytest.raises(InvalidInput):
        video_link(url)


def test_default_video_link_is_an_unguessable_jitsi_room(client, world: World) -> None:
    first = propose(client, world).get_json()["video"]
    second = propose(client, world).get_json()["video"]
    assert first["provider"] == "jitsi"
    assert (
        first["url"].startswith("https://meet.jit.si/Ritmo-")
        and len(first["url"]) >= len("https://meet.jit.si/Ritmo-") + 32
    )
    assert first["url"] != second["url"]


def test_video_rooms_use_the_installations_jitsi(app, client, world: World) -> None:
    app.config["WEBINAR_JITSI_BASE_URL"] = "https://jitsi.example.edu/"
    generated = propose(client, world).get_json()["video"]
    assert generated["provider"] == "jitsi"
    assert generated["url"].startswith("https://jitsi.example.edu/Ritmo-")
    pasted = propose(client, world, video_url="https://jitsi.example.edu/TeamRoom").get_json()["video"]
    assert pasted == {**pasted, "provider": "jitsi", "url": "https://jitsi.example.edu/TeamRoom"}
    refused = propose(client, world, video_url="https://jitsi.evil.example/TeamRoom")
    assert refused.status_code == 422


def test_full_lifecycle_sends_ics_by_smtp_with_stable_uid_and_growing_sequence(
    client, world: World, mailbox: Mailbox
) -> None:
    meeting = propose(client, world, agenda="Talk about *goals*; bring your CV, please").get_json()
    drain()
    proposal_mail = mailbox.to("ben0@example.org")
    assert len(proposal_mail) == 1 and "proposed a meeting" in proposal_mail[0]["Subject"]
    assert not mailbox.to("marta@example.org")  # the proposer is not told about their own proposal
    mailbox.clear()

    # The proposer cannot accept their own times; an outsider cannot see them; the mentee accepts.
    slot = meeting["slots"][1]["id"]
    assert (
        client.post(
            f"/api/meetings/{meeting['id']}/accept",
            headers=world.headers(world.mentor),
            json={"slot_id": slot},
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/meetings/{meeting['id']}/accept",
            headers=world.headers(world.outsider),
            json={"slot_id": slot},
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/meetings/{meeting['id']}/accept",
            headers=world.headers(world.coordinator),
            json={"slot_id": slot},
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/meetings/{meeting['id']}/accept",
            headers=world.headers(world.mentee),
            json={"slot_id": 999999},
        ).status_code
        == 422
    )
    accepted = client.post(
        f"/api/meetings/{meeting['id']}/accept", headers=world.headers(world.mentee), json={"slot_id": slot}
    )
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "confirmed"
    drain()
    invites = mailbox.messages
    assert sorted(str(m["To"]) for m in invites) == ["ben0@example.org", "marta@example.org"]
    first = props(calendar_of(invites[0]))
    assert first["METHOD"] == "REQUEST" and first["SEQUENCE"] == "0"
    assert first["DTSTART"] == "20270328T070000Z" and first["DTEND"] == "20270328T074500Z"
    assert first["UID"] == meeting["ical_uid"]
    assert first["LOCATION"] == meeting["video"]["url"]
    assert "bring your CV\\, please" in first["DESCRIPTION"]
    mentee_mail = mailbox.to("ben0@example.org")[0]
    assert "03:00" in mentee_mail.get_body(("plain",)).get_content()  # New York time in the text
    part = next(p for p in mentee_mail.iter_attachments() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "REQUEST" and part.get_filename() == "invite.ics"
    mailbox.clear()

    # Reschedule: new times; once accepted, the same UID with SEQUENCE 1 and the new time.
    moved = client.post(
        f"/api/meetings/{meeting['id']}/reschedule",
        headers=world.headers(world.mentee),
        json={"times": ["2027-10-31T09:00"], "timezone": "Europe/Rome"},
    )
    assert moved.status_code == 200 and moved.get_json()["status"] == "proposed"
    new_slot = moved.get_json()["slots"][0]["id"]
    assert (
        client.post(
            f"/api/meetings/{meeting['id']}/accept",
            headers=world.headers(world.mentor),
            json={"slot_id": slot},
        ).status_code
        == 422
    )  # an old round's time
    assert (
        client.post(
            f"/api/meetings/{meeting['id']}/accept",
            headers=world.headers(world.mentor),
            json={"slot_id": new_slot},
        ).status_code
        == 200
    )
    drain()
    second = props(calendar_of(mailbox.to("marta@example.org")[-1]))
    assert second["UID"] == first["UID"] and second["SEQUENCE"] == "1"
    assert second["DTSTART"] == "20271031T080000Z"  # after Rome fell back: 09:00 CET = 08:00Z
    mailbox.clear()

    # Cancel: METHOD:CANCEL, same UID, SEQUENCE 2.
    cancelled = client.post(
        f"/api/meetings/{meeting['id']}/cancel", headers=world.headers(world.mentor), json={"reason": "Sick"}
    )
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    drain()
    assert len(mailbox.messages) == 2
    third = props(calendar_of(mailbox.messages[0]))
    assert third["METHOD"] == "CANCEL" and third["UID"] == first["UID"] and third["SEQUENCE"] == "2"
    assert third["STATUS"] == "CANCELLED"
    download = client.get(f"/api/meetings/{meeting['id']}/invite.ics", headers=world.headers(world.mentee))
    assert download.status_code == 200 and download.mimetype == "text/calendar"
    assert props(download.get_data(as_text=True))["METHOD"] == "CANCEL"
    again = client.post(f"/api/meetings/{meeting['id']}/cancel", headers=world.headers(world.mentor), json={})
    assert again.status_code == 409


def test_ics_download_is_well_formed(client, world: World) -> None:
    meeting = propose(client, world, title="Ünïcödé meeting " + "x" * 120).get_json()
    client.post(
        f"/api/meetings/{meeting['id']}/accept",
        headers=world.headers(world.mentee),
        json={"slot_id": meeting["slots"][0]["id"]},
    )
    response = client.get(f"/api/meetings/{meeting['id']}/invite.ics", headers=world.headers(world.mentor))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    text = raw.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75
    assert props(text)["SUMMARY"].startswith("Ünïcödé meeting xxx")
    page = client.get(f"/meetings/{meeting['id']}/invite.ics?rh={rh(world.token(world.mentee))}")
    assert page.status_code == 200
    # No invitation before a time is accepted; outsiders get nothing.
    pending = propose(client, world).get_json()
    assert (
        client.get(
            f"/api/meetings/{pending['id']}/invite.ics", headers=world.headers(world.mentor)
        ).status_code
        == 409
    )
    assert (
        client.get(
            f"/api/meetings/{meeting['id']}/invite.ics", headers=world.headers(world.outsider)
        ).status_code
        == 404
    )


def test_outcome_held_emits_once_and_missed_does_not(client, world: World) -> None:
    seen: list[DomainEvent] = []

    def collect(event: DomainEvent) -> None:
        seen.append(event)

    subscribe("meeting.held", collect)
    try:
        meeting = propose(client, world).get_json()
        client.post(
            f"/api/meetings/{meeting['id']}/accept",
            headers=world.headers(world.mentee),
            json={"slot_id": meeting["slots"][0]["id"]},
        )
        url = f"/api/meetings/{meeting['id']}/outcome"
        early = client.post(url, headers=world.headers(world.mentee), json={"outcome": "held"})
        assert early.status_code == 409
        row = db.session.get(Meeting, meeting["id"])
        row.starts_at = utcnow() - timedelta(hours=1)
        db.session.commit()
        assert (
            client.post(url, headers=world.headers(world.mentee), json={"outcome": "cancelled"}).status_code
            == 422
        )
        held = client.post(
            url, headers=world.headers(world.mentee), json={"outcome": "held", "notes": "We set **3 goals**"}
        )
        assert (
            held.status_code == 200
            and held.get_json()["notes_html"] == "<p>We set <strong>3 goals</strong></p>\n"
        )
        again = client.post(
            url, headers=world.headers(world.mentor), json={"outcome": "held", "notes": "Updated notes"}
        )
        assert again.status_code == 200 and again.get_json()["notes"] == "Updated notes"
        flip = client.post(url, headers=world.headers(world.mentor), json={"outcome": "missed"})
        assert flip.status_code == 409
        assert len(seen) == 1
        assert seen[0].match_id == world.match.id and seen[0].data["meeting_id"] == meeting["id"]
        other = propose(client, world).get_json()
        client.post(
            f"/api/meetings/{other['id']}/accept",
            headers=world.headers(world.mentee),
            json={"slot_id": other["slots"][0]["id"]},
        )
        db.session.get(Meeting, other["id"]).starts_at = utcnow() - timedelta(hours=1)
        db.session.commit()
        missed = client.post(
            f"/api/meetings/{other['id']}/outcome",
            headers=world.headers(world.mentor),
            json={"outcome": "missed"},
        )
        assert missed.status_code == 200 and missed.get_json()["status"] == MeetingStatus.MISSED.value
        assert len(seen) == 1
    finally:
        unsubscribe("meeting.held", collect)


def test_meetings_appear_in_history_and_pages(client, world: World) -> None:
    meeting = propose(client, world, title="Kickoff call").get_json()
    history = client.get(
        f"/api/matches/{world.match.id}/history",
        headers=world.headers(world.mentee),
        query_string={"kind": "meeting"},
    ).get_json()
    assert [e["title"] for e in history["entries"]] == ["Kickoff call"]
    token = world.token(world.mentee)
    listing = client.get(f"/matches/{world.match.id}/meetings?rh={rh(token)}")
    assert listing.status_code == 200 and "Kickoff call" in listing.get_data(as_text=True)
    # The form offers as many time fields as it says (a proposal holds up to five).
    page = listing.get_data(as_text=True)
    assert "up to 5" in page and page.count('name="times"') == 5
    detail = client.get(f"/meetings/{meeting['id']}?rh={rh(token)}").get_data(as_text=True)
    assert "Accept this time" in detail and "04:00" in detail  # New York time of 09:00 Rome
    accepted = client.post(
        f"/meetings/{meeting['id']}/accept",
        data={"ritmo_session": token, "slot_id": str(meeting["slots"][0]["id"])},
    )
    assert accepted.status_code == 303
    assert db.session.get(Meeting, meeting["id"]).status is MeetingStatus.CONFIRMED
    proposed = client.post(
        f"/matches/{world.match.id}/meetings/new",
        data={
            "ritmo_session": token,
            "title": "Follow-up",
            "times": ["2027-04-02T18:30", ""],
            "timezone": "America/New_York",
            "duration_minutes": "30",
            "video_url": "",
        },
    )
    assert proposed.status_code == 303
    follow = db.session.execute(sa.select(Meeting).where(Meeting.title == "Follow-up")).scalar_one()
    assert follow.slots[0].starts_at.isoformat() == "2027-04-02T22:30:00+00:00"
    space = client.get(f"/matches/{world.match.id}/space?rh={rh(token)}").get_data(as_text=True)
    assert "Kickoff call" in space and "Follow-up" in space


def test_a_reminder_goes_out_a_day_before_unless_the_meeting_moved(
    client, world: World, mailbox: Mailbox
) -> None:
    from lti_tool.jobs.models import Job
    from lti_tool.mentoring.meetings.service import REMINDER_TASK

    meeting = propose(client, world).get_json()
    client.post(
        f"/api/meetings/{meeting['id']}/accept",
        headers=world.headers(world.mentee),
        json={"slot_id": meeting["slots"][0]["id"]},
    )
    [job] = db.session.execute(sa.select(Job).where(Job.task == REMINDER_TASK)).scalars().all()
    assert job.run_at.isoformat() == "2027-03-26T08:00:00+00:00"
    drain()
    mailbox.clear()
    job.run_at = utcnow()
    db.session.commit()
    drain()
    assert sorted(str(m["To"]) for m in mailbox.messages) == ["ben0@example.org", "marta@example.org"]
    assert all(m["Subject"] == "Reminder: First meeting" for m in mailbox.messages)
    # Moved: the first reminder is stale, the new time has its own.
    moved = client.post(
        f"/api/meetings/{meeting['id']}/reschedule",
        headers=world.headers(world.mentor),
        json={"times": ["2027-04-10T10:00"], "timezone": "Europe/Rome"},
    ).get_json()
    client.post(
        f"/api/meetings/{meeting['id']}/accept",
        headers=world.headers(world.mentee),
        json={"slot_id": moved["slots"][0]["id"]},
    )
    reminders = (
        db.session.execute(sa.select(Job).where(Job.task == REMINDER_TASK).order_by(Job.id)).scalars().all()
    )
    assert [r.payload["sequence"] for r in reminders] == [0, 1]
    mailbox.clear()
    from lti_tool.mentoring.meetings.service import send_reminder

    send_reminder({"meeting_id": meeting["id"], "sequence": 0})
    db.session.commit()
    drain()
    assert not [m for m in mailbox.messages if m["Subject"].startswith("Reminder")]


def test_notified_times_are_written_in_the_recipients_language(
    client, world: World, mailbox: Mailbox
) -> None:
    world.mentee.locale = "it-IT"
    db.session.commit()
    propose(client, world)
    drain()
    body = mailbox.to("ben0@example.org")[0].get_body(("plain",)).get_content()
    assert "- sabato 27 marzo 2027, 04:00 (America/New_York)" in body, body
