"""Time zones across summer-time changes, and the RFC 5545 invitations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lti_tool import ics
from lti_tool.db import utcnow
from tests.mentoring.webinars.factory import api
from tests.session_codes import rh


def _create(client, world, **body):
    return api(
        client,
        world.people["coach"],
        "POST",
        "/api/webinars",
        json={"title": "Orientation", "duration_minutes": 45, "audience": "everyone", **body},
    )


def test_weekly_series_keeps_rome_wall_time_across_both_dst_changes(client, world):
    # Europe leaves summer time on 31 October 2027, the USA on 7 November 2027.
    response = _create(client, world, starts_at="2027-10-24T18:00", timezone="Europe/Rome", repeat_weekly=3)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()["webinars"]
    assert [w["starts_at"] for w in created] == [
        "2027-10-24T16:00:00+00:00",
        "2027-10-31T17:00:00+00:00",
        "2027-11-07T17:00:00+00:00",
    ]
    assert len({w["series_key"] for w in created}) == 1

    # Nina reads them in New York: the gap between the two changes shows as a 13:00 week.
    seen = api(client, world.people["nina"], "GET", "/api/webinars").get_json()["upcoming"]
    assert [w["starts_local"] for w in seen] == [
        "2027-10-24T12:00:00-04:00",
        "2027-10-31T13:00:00-04:00",
        "2027-11-07T12:00:00-05:00",
    ]
    assert {w["display_timezone"] for w in seen} == {"America/New_York"}
    assert seen[2]["starts_text"] == "Sunday, November 7, 2027, 12:00 (America/New_York)"
    # Noah reads them in Rome: always 18:00.
    rome = api(client, world.people["noah"], "GET", "/api/webinars").get_json()["upcoming"]
    assert [w["starts_local"][11:16] for w in rome] == ["18:00", "18:00", "18:00"]


def test_webinar_on_the_spring_forward_weekend(client, world):
    ok = _create(client, world, starts_at="2027-03-28T10:00", timezone="Europe/Rome").get_json()
    [webinar] = ok["webinars"]
    assert webinar["starts_at"] == "2027-03-28T08:00:00+00:00"
    nina = api(client, world.people["nina"], "GET", f"/api/webinars/{webinar['id']}").get_json()
    assert nina["starts_local"] == "2027-03-28T04:00:00-04:00"
    # 02:30 does not exist in Rome that night: refused with a reason, not silently shifted.
    skipped = _create(client, world, starts_at="2027-03-28T02:30", timezone="Europe/Rome")
    assert skipped.status_code == 422
    assert "Clocks go forward" in skipped.get_json()["errors"]["starts_at"][0]
    # 02:30 happens twice on 31 October: the first (summer-time) one is meant.
    twice = _create(client, world, starts_at="2027-10-31T02:30", timezone="Europe/Rome").get_json()
    assert twice["webinars"][0]["starts_at"] == "2027-10-31T00:30:00+00:00"
    # An instant with an offset is taken as given.
    offset = _create(client, world, starts_at="2027-03-28T10:00:00-04:00", timezone="Europe/Rome").get_json()
    assert offset["webinars"][0]["starts_at"] == "2027-03-28T14:00:00+00:00"


def test_bad_zone_past_time_and_series_length_are_refused(client, world):
    assert _create(client, world, starts_at="2027-03-28T10:00", timezone="Mars/Olympus").status_code == 422
    past = (utcnow() - timedelta(hours=1)).replace(tzinfo=None).isoformat()
    assert _create(client, world, starts_at=past, timezone="UTC").status_code == 422
    assert (
        _create(client, world, starts_at="2027-03-28T10:00", timezone="UTC", repeat_weekly=27).status_code
        == 422
    )


def _unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    assert all(len(line.encode()) <= 75 for line in physical), physical
    logical: list[str] = []
    for line in physical:
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


def test_ics_escapes_folds_and_uses_utc():
    title = "Mentoring, feedback; and \\ back-slashes — " + "è" * 60
    event = ics.Event(
        uid="webinar-7@ritmo.example",
        sequence=2,
        starts_at=datetime(2027, 10, 31, 18, 0, tzinfo=UTC),
        ends_at=datetime(2027, 10, 31, 19, 0, tzinfo=UTC),
        summary=title,
        description="Line one\nLine two",
        location="https://ritmo.example/webinars/7",
        organizer=ics.Person("ritmo@example.edu", "Ritmo"),
        attendees=[ics.Person("nina@example.edu", 'Nina "N" Rossi')],
        alarm_before=timedelta(minutes=15),
    )
    text = ics.calendar(event, method=ics.Method.REQUEST, stamp=datetime(2027, 10, 1, tzinfo=UTC))
    lines = _unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "METHOD:REQUEST" in lines and "VERSION:2.0" in lines
    assert "DTSTART:20271031T180000Z" in lines and "DTEND:20271031T190000Z" in lines
    assert "SEQUENCE:2" in lines and "UID:webinar-7@ritmo.example" in lines
    assert "SUMMARY:Mentoring\\, feedback\\; and \\\\ back-slashes — " + "è" * 60 in lines
    assert "DESCRIPTION:Line one\\nLine two" in lines
    assert any(line.startswith("ATTENDEE;CN=\"Nina 'N' Rossi\"") for line in lines)
    for begin, end in (("BEGIN:VEVENT", "END:VEVENT"), ("BEGIN:VALARM", "END:VALARM")):
        assert lines.count(begin) == lines.count(end) == 1
    cancel = _unfold(
        ics.calendar(
            ics.Event(**{**event.__dict__, "sequence": 3}), method=ics.Method.CANCEL, stamp=datetime.now(UTC)
        )
    )
    assert "METHOD:CANCEL" in cancel and "STATUS:CANCELLED" in cancel and "BEGIN:VALARM" not in cancel


def test_calendar_download(client, world):
    [webinar] = _create(client, world, starts_at="2027-03-28T10:00", timezone="Europe/Rome").get_json()[
        "webinars"
    ]
    response = client.get(f"/webinars/{webinar['id']}/invite.ics?rh={rh(world.people['nina'].token)}")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f'attachment; filename="webinar-{webinar["id"]}.ics"'
    lines = _unfold(response.get_data(as_text=True))
    assert "METHOD:PUBLISH" in lines and "DTSTART:20270328T080000Z" in lines
    assert not any(line.startswith("ATTENDEE") for line in lines)
    # The room address is not in it: the calendar links to Ritmo's page, which records attendance.
    assert webinar["join_url"] not in response.get_data(as_text=True)


def test_a_person_keeps_their_browser_time_zone(client, world):
    [webinar] = _create(client, world, starts_at="2027-03-28T10:00", timezone="Europe/Rome").get_json()[
        "webinars"
    ]
    noah = world.people["noah"]
    assert (
        api(client, noah, "PUT", "/api/webinars/timezone", json={"timezone": "Nowhere/Land"}).status_code
        == 422
    )
    assert (
        api(client, noah, "PUT", "/api/webinars/timezone", json={"timezone": "Asia/Tokyo"}).status_code == 200
    )
    seen = api(client, noah, "GET", f"/api/webinars/{webinar['id']}").get_json()
    assert (seen["display_timezone"], seen["starts_local"]) == ("Asia/Tokyo", "2027-03-28T17:00:00+09:00")
