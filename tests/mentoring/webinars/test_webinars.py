"""Webinars through the API: scheduling, audience, registration with a waiting list, join link and
attendance, corrections and CSV import, the content page after the session, cancellation."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.webinars.models import Webinar, WebinarRegistration
from tests.mentoring.webinars.factory import World, api
from tests.session_codes import rh


def schedule(client, world: World, **overrides):
    start = (utcnow() + timedelta(days=3)).replace(tzinfo=None, microsecond=0)
    body = {
        "title": "Listening skills",
        "description": "Bring **questions**.",
        "audience": "everyone",
        "starts_at": start.isoformat(),
        "timezone": "UTC",
        "duration_minutes": 60,
        **overrides,
    }
    response = api(client, world.people["coach"], "POST", "/api/webinars", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["webinars"]


def starting_soon(webinar_id: int, minutes: int = 5) -> None:
    """Time passes: the webinar now starts in ``minutes``."""
    webinar = db.session.get(Webinar, webinar_id)
    webinar.starts_at = utcnow() + timedelta(minutes=minutes)
    db.session.commit()


def test_coordinator_schedules_with_a_generated_jitsi_room(client, world):
    [webinar] = schedule(client, world)
    assert webinar["join_provider"] == "jitsi"
    assert webinar["join_url"].startswith("https://meet.jit.si/RitmoListeningSkills-")
    assert webinar["description_html"] == "<p>Bring <strong>questions</strong>.</p>\n"
    [other] = schedule(client, world)
    assert other["join_url"] != webinar["join_url"]  # every webinar gets its own room
    # Participants get Ritmo's join link, never the room itself.
    seen = api(client, world.people["nina"], "GET", f"/api/webinars/{webinar['id']}").get_json()
    assert seen["join_url"] is None and seen["join_link"] == f"/webinars/{webinar['id']}/join"


def test_only_coordinators_schedule(client, world):
    response = api(
        client,
        world.people["mara"],
        "POST",
        "/api/webinars",
        json={"title": "x", "starts_at": "2030-01-01T10:00", "timezone": "UTC", "duration_minutes": 30},
    )
    assert response.status_code == 403
    assert db.session.execute(sa.select(sa.func.count()).select_from(Webinar)).scalar_one() == 0


def test_join_addresses_come_from_the_allow_list(client, world, app):
    for url, provider in [
        ("https://us02web.zoom.us/j/123456789?pwd=abc", "zoom"),
        ("https://teams.microsoft.com/l/meetup-join/19%3ameeting", "teams"),
    ]:
        [webinar] = schedule(client, world, join_url=url)
        assert (webinar["join_provider"], webinar["join_url"]) == (provider, url)
    for bad in [
        "https://evil.example.com/zoom.us",
        "http://zoom.us/j/1",
        "https://zoom.us.evil.com/j/1",
        "https://user:pw@zoom.us/j/1",
        "javascript:alert(1)",
        "https://bbb.example.edu/b/room",
    ]:
        response = api(
            client,
            world.people["coach"],
            "POST",
            "/api/webinars",
            json={
                "title": "x",
                "starts_at": "2030-01-01T10:00",
                "timezone": "UTC",
                "duration_minutes": 30,
                "join_url": bad,
            },
        )
        assert response.status_code == 422, bad
        assert "join_url" in response.get_json()["errors"]
    # BigBlueButton is self-hosted: its hosts are the installation's to allow.
    app.config["WEBINAR_BBB_HOSTS"] = ["bbb.example.edu"]
    [webinar] = schedule(client, world, join_url="https://bbb.example.edu/b/room")
    assert webinar["join_provider"] == "bigbluebutton"


def test_audience_hides_webinars_from_other_roles(client, world):
    [webinar] = schedule(client, world, audience="mentors")
    assert api(client, world.people["nina"], "GET", f"/api/webinars/{webinar['id']}").status_code == 404
    assert (
        api(client, world.people["nina"], "POST", f"/api/webinars/{webinar['id']}/registration").status_code
        == 404
    )
    assert api(client, world.people["nina"], "GET", "/api/webinars").get_json()["upcoming"] == []
    mentor_list = api(client, world.people["mara"], "GET", "/api/webinars").get_json()["upcoming"]
    assert [w["id"] for w in mentor_list] == [webinar["id"]]


def test_other_courses_cannot_see_a_webinar(client, world):
    from tests.mentoring.webinars.factory import make_world

    [webinar] = schedule(client, world)
    stranger = make_world("course-2").people["nina"]
    assert api(client, stranger, "GET", f"/api/webinars/{webinar['id']}").status_code == 404
    assert client.get(f"/api/webinars/{webinar['id']}").status_code == 401


def test_waiting_list_and_promotion_when_someone_cancels(client, world, mailbox):
    [webinar] = schedule(client, world, capacity=2)
    path = f"/api/webinars/{webinar['id']}/registration"
    first = api(client, world.people["mara"], "POST", path).get_json()
    second = api(client, world.people["nina"], "POST", path).get_json()
    third = api(client, world.people["noah"], "POST", path).get_json()
    fourth = api(client, world.people["marco"], "POST", path).get_json()
    assert [first["my_status"], second["my_status"]] == ["registered", "registered"]
    assert (third["my_status"], third["waitlist_position"]) == ("waitlisted", 1)
    assert (fourth["my_status"], fourth["waitlist_position"]) == ("waitlisted", 2)
    assert fourth["seats_left"] == 0
    # Registering again changes nothing.
    assert api(client, world.people["mara"], "POST", path).get_json()["my_status"] == "registered"

    drain()
    assert any(s.startswith("You are registered") for s in mailbox.subjects("mara@"))
    assert mailbox.subjects("noah@") == ["Waiting list: Listening skills"]

    cancelled = api(client, world.people["mara"], "DELETE", path).get_json()
    assert cancelled["my_status"] == "cancelled"
    noah = api(client, world.people["noah"], "GET", f"/api/webinars/{webinar['id']}").get_json()
    assert (noah["my_status"], noah["waitlist_position"]) == ("registered", None)
    marco = api(client, world.people["marco"], "GET", f"/api/webinars/{webinar['id']}").get_json()
    assert marco["waitlist_position"] == 1
    # The promoted person hears about it by e-mail (with the invitation) and in the app.
    drain()
    assert "A seat opened up: Listening skills" in mailbox.subjects("noah@")
    assert any("METHOD:REQUEST" in c for c in mailbox.calendars("noah@"))
    assert any("METHOD:CANCEL" in c for c in mailbox.calendars("mara@"))
    notices = api(client, world.people["noah"], "GET", "/api/webinars/notices").get_json()["notices"]
    assert [(n["kind"], n["webinar_id"]) for n in notices] == [("promoted", webinar["id"])]
    assert (
        api(
            client, world.people["noah"], "POST", f"/api/webinars/notices/{notices[0]['id']}/dismiss"
        ).status_code
        == 204
    )
    assert api(client, world.people["noah"], "GET", "/api/webinars/notices").get_json()["notices"] == []

    # Raising the capacity promotes the next person too.
    api(client, world.people["coach"], "PATCH", f"/api/webinars/{webinar['id']}", json={"capacity": 3})
    marco = api(client, world.people["marco"], "GET", f"/api/webinars/{webinar['id']}").get_json()
    assert marco["my_status"] == "registered"


def test_join_link_records_attendance_once_then_redirects(client, world, events):
    [webinar] = schedule(client, world)
    nina = world.people["nina"].token
    early = client.get(f"/webinars/{webinar['id']}/join?rh={rh(nina)}")
    assert early.status_code == 409 and "opens 15 minutes before" in early.get_data(as_text=True)

    starting_soon(webinar["id"], minutes=10)
    response = client.get(f"/webinars/{webinar['id']}/join?rh={rh(nina)}")
    assert response.status_code == 303
    assert response.headers["Location"] == webinar["join_url"]
    # Joining again (dropped connection) is fine.
    assert client.get(f"/webinars/{webinar['id']}/join?rh={rh(nina)}").status_code == 303
    registration = db.session.execute(sa.select(WebinarRegistration)).scalar_one()
    assert registration.attended_at is not None and registration.attendance_source.value == "join_link"
    attended = [e for e in events if e.name == "webinar.attended"]
    assert len(attended) == 1
    assert (attended[0].participant_id, attended[0].data["webinar_id"]) == (
        world.people["nina"].id,
        webinar["id"],
    )

    # The host gets in without being counted.
    host = client.get(f"/webinars/{webinar['id']}/join?rh={rh(world.people['coach'].token)}")
    assert host.status_code == 303
    assert len([e for e in events if e.name == "webinar.attended"]) == 1


def test_full_webinar_keeps_the_waiting_list_out_of_the_room(client, world):
    [webinar] = schedule(client, world, capacity=1)
    api(client, world.people["mara"], "POST", f"/api/webinars/{webinar['id']}/registration")
    api(client, world.people["noah"], "POST", f"/api/webinars/{webinar['id']}/registration")
    starting_soon(webinar["id"])
    waiting = client.get(f"/webinars/{webinar['id']}/join?rh={rh(world.people['noah'].token)}")
    assert waiting.status_code == 403 and "number 1 on the waiting list" in waiting.get_data(as_text=True)
    walk_in = client.get(f"/webinars/{webinar['id']}/join?rh={rh(world.people['nina'].token)}")
    assert walk_in.status_code == 403
    code = rh(world.people["mara"].token)
    assert client.get(f"/webinars/{webinar['id']}/join?rh={code}").status_code == 303


def test_host_corrects_attendance_participants_cannot(client, world, events):
    [webinar] = schedule(client, world, host_user_id=world.people["mara"].user.id)
    path = f"/api/webinars/{webinar['id']}/attendance/{world.people['nina'].id}"
    too_early = api(client, world.people["mara"], "PUT", path, json={"attended": True})
    assert too_early.status_code == 409
    starting_soon(webinar["id"], minutes=-30)
    assert api(client, world.people["noah"], "PUT", path, json={"attended": True}).status_code == 403
    assert (
        api(client, world.people["noah"], "GET", f"/api/webinars/{webinar['id']}/attendance").status_code
        == 403
    )
    marked = api(client, world.people["mara"], "PUT", path, json={"attended": True})
    assert marked.status_code == 200 and marked.get_json()["attended"] is True
    assert marked.get_json()["attendance_source"] == "host"
    assert [e.name for e in events].count("webinar.attended") == 1
    unmarked = api(client, world.people["coach"], "PUT", path, json={"attended": False})
    assert unmarked.get_json()["attended"] is False
    assert [e.name for e in events][-1] == "webinar.attendance_removed"
    listing = api(client, world.people["mara"], "GET", f"/api/webinars/{webinar['id']}/attendance").get_json()
    assert [(r["name"], r["attended"]) for r in listing["registrations"]] == [("Nina", False)]


def _csv(client, person, webinar_id, text: str):
    return api(
        client,
        person,
        "POST",
        f"/api/webinars/{webinar_id}/attendance/import",
        data={"file": (io.BytesIO(text.encode()), "attendance.csv")},
        content_type="multipart/form-data",
    )


def test_csv_import_reports_every_bad_row_and_writes_nothing(client, world, events):
    [webinar] = schedule(client, world)
    starting_soon(webinar["id"], minutes=-90)
    bad = (
        "Name,User Email,Attended\n"
        "Nina,nina@example.edu,yes\n"
        "Ghost,ghost@example.edu,yes\n"
        "Noah,noah@example.edu,maybe\n"
        "Nina again,NINA@example.edu,yes\n"
    )
    response = _csv(client, world.people["coach"], webinar["id"], bad)
    assert response.status_code == 422
    rows = response.get_json()["errors"]["rows"]
    assert [r["row"] for r in rows] == [3, 4, 5]
    assert "ghost@example.edu" in rows[0]["message"] and "maybe" in rows[1]["message"]
    assert "row 2" in rows[2]["message"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(WebinarRegistration)).scalar_one() == 0
    assert not [e for e in events if e.name == "webinar.attended"]

    good = (
        f"user_id;attended\n{world.people['noah'].user.sub};yes\n"
        f"{world.people['nina'].user.sub};no\n{world.people['mara'].user.sub};1\n"
    )
    result = _csv(client, world.people["coach"], webinar["id"], good)
    assert result.status_code == 200, result.get_json()
    assert result.get_json() == {"marked": 2, "unmarked": 0, "unchanged": 1}
    assert sorted(e.participant_id for e in events if e.name == "webinar.attended") == sorted(
        [world.people["noah"].id, world.people["mara"].id]
    )
    assert _csv(client, world.people["noah"], webinar["id"], good).status_code == 403
    no_column = _csv(client, world.people["coach"], webinar["id"], "name\nNina\n")
    assert no_column.status_code == 422 and "file" in no_column.get_json()["errors"]


def test_after_the_session_the_page_becomes_a_content_page(client, world):
    [webinar] = schedule(client, world, host_user_id=world.people["mara"].user.id)
    path = f"/api/webinars/{webinar['id']}"
    bad = api(client, world.people["mara"], "PATCH", path, json={"recording_url": "javascript:alert(1)"})
    assert bad.status_code == 422
    updated = api(
        client,
        world.people["mara"],
        "PATCH",
        path,
        json={
            "recording_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "slides_url": "https://slides.example.edu/deck",
        },
    )
    assert updated.status_code == 200
    pdf = b"%PDF-1.4\n% slides\n"
    attached = api(
        client,
        world.people["mara"],
        "POST",
        "/api/content/items",
        data={
            "webinar_id": str(webinar["id"]),
            "kind": "file",
            "title": "Slides (PDF)",
            "file": (io.BytesIO(pdf), "slides.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert attached.status_code == 201, attached.get_json()
    # Another participant may not attach materials.
    refused = api(
        client,
        world.people["nina"],
        "POST",
        "/api/content/items",
        json={"webinar_id": webinar["id"], "kind": "link", "title": "x", "url": "https://example.edu"},
    )
    assert refused.status_code == 403

    starting_soon(webinar["id"], minutes=-120)
    page = api(client, world.people["nina"], "GET", path).get_json()
    assert page["has_ended"] is True
    assert page["recording_embed_url"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert [m["title"] for m in page["materials"]] == ["Slides (PDF)"]
    html = client.get(f"/webinars/{webinar['id']}?rh={rh(world.people['nina'].token)}").get_data(as_text=True)
    assert "youtube-nocookie.com/embed/dQw4w9WgXcQ" in html and "Slides (PDF)" in html
    assert 'id="registration"' not in html
    # Registration is closed once it is over.
    assert api(client, world.people["nina"], "POST", f"{path}/registration").status_code == 409


def test_cancelling_tells_everyone_with_a_calendar_cancellation(client, world, mailbox):
    [webinar] = schedule(client, world, capacity=1)
    api(client, world.people["nina"], "POST", f"/api/webinars/{webinar['id']}/registration")
    api(client, world.people["noah"], "POST", f"/api/webinars/{webinar['id']}/registration")
    assert (
        api(client, world.people["nina"], "POST", f"/api/webinars/{webinar['id']}/cancel").status_code == 403
    )
    cancelled = api(client, world.people["coach"], "POST", f"/api/webinars/{webinar['id']}/cancel").get_json()
    assert cancelled["status"] == "cancelled"
    drain()
    for name in ("nina", "noah"):
        assert any(s.startswith("Cancelled: ") for s in mailbox.subjects(f"{name}@"))
    # Nina held a seat (and an invitation): her calendar gets the cancellation. Noah was waiting.
    cancel = [c for c in mailbox.calendars("nina@") if "METHOD:CANCEL" in c]
    assert cancel and "STATUS:CANCELLED" in cancel[0] and "SEQUENCE:1" in cancel[0]
    assert mailbox.calendars("noah@") == []
    code = rh(world.people["nina"].token)
    assert client.get(f"/webinars/{webinar['id']}/join?rh={code}").status_code == 409
    assert (
        api(client, world.people["noah"], "POST", f"/api/webinars/{webinar['id']}/registration").status_code
        == 409
    )


def test_rescheduling_sends_an_update_with_a_higher_sequence(client, world, mailbox):
    [webinar] = schedule(client, world)
    api(client, world.people["nina"], "POST", f"/api/webinars/{webinar['id']}/registration")
    later = (utcnow() + timedelta(days=5)).replace(tzinfo=None, microsecond=0, second=0)
    moved = api(
        client,
        world.people["coach"],
        "PATCH",
        f"/api/webinars/{webinar['id']}",
        json={"starts_at": later.isoformat(), "timezone": "UTC"},
    )
    assert moved.status_code == 200
    drain()
    assert any(s.startswith("Updated: ") for s in mailbox.subjects("nina@"))
    update = [c for c in mailbox.calendars("nina@") if "SEQUENCE:1" in c]
    assert update and f"DTSTART:{later.strftime('%Y%m%dT%H%M%S')}Z" in update[0]


def test_a_refused_change_leaves_the_webinar_as_it_was(client, world):
    [webinar] = schedule(client, world)
    refused = api(
        client,
        world.people["coach"],
        "PATCH",
        f"/api/webinars/{webinar['id']}",
        json={"title": "Renamed", "join_url": "https://evil.example.com/room"},
    )
    assert refused.status_code == 422
    # Even in the same database session (this test shares it with the requests).
    shown = api(client, world.people["coach"], "GET", f"/api/webinars/{webinar['id']}").get_json()
    assert shown["title"] == "Listening skills"
    db.session.expire_all()
    assert db.session.get(Webinar, webinar["id"]).title == "Listening skills"
