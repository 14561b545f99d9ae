"""Every webinars, training and content answer is exactly what its operation declares, and numbers
that cannot be rows, seats or dates are refused at the boundary (422, not a database error or a 500)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from lti_tool.db import db, utcnow
from lti_tool.mentoring.webinars.models import Webinar
from tests.mentoring.declared import declared
from tests.mentoring.webinars.factory import api

BEYOND_INT32 = 2**31


def call(app, client, person, method: str, path: str, **kwargs):
    return declared(app, method, path, api(client, person, method, path, **kwargs))


def _start(days: int = 3) -> str:
    return (utcnow() + timedelta(days=days)).replace(tzinfo=None, microsecond=0).isoformat()


def test_webinars_answer_as_declared(app, client, world) -> None:
    coach, nina = world.people["coach"], world.people["nina"]
    created = call(app, client, coach, "POST", "/api/webinars", json={
        "title": "Listening", "starts_at": _start(), "timezone": "UTC", "duration_minutes": 60,
        "capacity": 1, "repeat_weekly": 2,
    })["webinars"]
    assert len(created) == 2 and created[0]["series_key"] == created[1]["series_key"]
    webinar_id = created[0]["id"]
    shown = call(app, client, nina, "GET", f"/api/webinars/{webinar_id}")
    assert shown["join_url"] is None and shown["host"] == "Coach" and shown["my_status"] is None
    assert call(app, client, nina, "POST", f"/api/webinars/{webinar_id}/registration")["my_status"] == (
        "registered"
    )
    waiting = call(app, client, world.people["noah"], "POST", f"/api/webinars/{webinar_id}/registration")
    assert waiting["waitlist_position"] == 1
    call(app, client, coach, "PATCH", f"/api/webinars/{webinar_id}", json={"capacity": 2})
    listed = call(app, client, nina, "GET", "/api/webinars")
    assert [w["id"] for w in listed["upcoming"]] == [c["id"] for c in created]
    notices = call(app, client, world.people["noah"], "GET", "/api/webinars/notices")["notices"]
    assert notices and notices[0]["kind"] == "promoted"
    call(app, client, world.people["noah"], "POST", f"/api/webinars/notices/{notices[0]['id']}/dismiss")
    assert call(app, client, nina, "PUT", "/api/webinars/timezone", json={"timezone": "Europe/Rome"}) == {
        "timezone": "Europe/Rome"
    }
    call(app, client, world.people["noah"], "DELETE", f"/api/webinars/{webinar_id}/registration")

    webinar = db.session.get(Webinar, webinar_id)
    webinar.starts_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    path = f"/api/webinars/{webinar_id}/attendance"
    marked = call(app, client, coach, "PUT", f"{path}/{nina.id}", json={"attended": True})
    assert (marked["attended"], marked["attendance_source"], marked["role"]) == (True, "host", "mentee")
    attendance = call(app, client, coach, "GET", path)["registrations"]
    assert sorted((r["name"], r["status"], r["attended"]) for r in attendance) == [
        ("Nina", "registered", True), ("Noah", "cancelled", False),
    ]
    imported = call(app, client, coach, "POST", f"{path}/import", content_type="multipart/form-data",
                    data={"file": (io.BytesIO(b"email,attended\nnina@example.edu,no\n"), "a.csv")})
    assert imported == {"marked": 0, "unmarked": 1, "unchanged": 0}
    assert call(app, client, coach, "POST", f"/api/webinars/{created[1]['id']}/cancel")["status"] == (
        "cancelled"
    )


def test_training_and_content_answer_as_declared(app, client, world) -> None:
    coach, mara = world.people["coach"], world.people["mara"]
    module = call(app, client, coach, "POST", "/api/content/modules",
                  json={"title": "Basics", "audience": "mentors"})
    call(app, client, coach, "PATCH", f"/api/content/modules/{module['id']}", json={"position": 2})
    text = call(app, client, coach, "POST", "/api/content/items",
                json={"module_id": module["id"], "kind": "text", "title": "Read", "body": "Hello *you*"})
    assert text["download_url"] is None and text["file_name"] is None
    filed = call(app, client, coach, "POST", "/api/content/items", content_type="multipart/form-data",
                 data={"module_id": str(module["id"]), "kind": "file", "title": "Slides",
                       "file": (io.BytesIO(b"%PDF-1.7\n1 0 obj <<>> endobj\n"), "slides.pdf")})
    assert filed["download_url"] == f"/content/items/{filed['id']}/file"
    call(app, client, coach, "PATCH", f"/api/content/items/{text['id']}", json={"title": "Read this"})
    assert call(app, client, mara, "GET", f"/api/content/items/{text['id']}")["viewed"] is True
    assert call(app, client, mara, "POST", f"/api/content/items/{text['id']}/completion")["completed"] is True
    shown = call(app, client, mara, "GET", f"/api/content/modules/{module['id']}")
    assert (shown["completed_count"], shown["is_complete"]) == (1, False)
    assert [m["id"] for m in call(app, client, mara, "GET", "/api/content/modules")["modules"]] == [
        module["id"]
    ]

    gate = call(app, client, coach, "POST", "/api/training/gates",
                json={"role": "mentor", "module_id": module["id"]})
    assert gate["role"] == "mentor" and gate["webinar_id"] is None
    overview = call(app, client, coach, "GET", "/api/training/gates")
    assert {w["name"] for w in overview["waiting"]} == {"Mara", "Marco"}
    placeable = call(app, client, coach, "GET", "/api/training/placeable-items")["items"]
    assert placeable == [{
        "kind": "content", "id": module["id"], "title": "Basics", "text": "",
        "target": f"content:{module['id']}", "graded_by": "completion", "score_maximum": 1,
    }]
    call(app, client, coach, "DELETE", f"/api/training/gates/{gate['id']}")
    call(app, client, coach, "DELETE", f"/api/content/items/{filed['id']}")
    call(app, client, coach, "DELETE", f"/api/content/modules/{module['id']}")


def _refused(client, world, path: str, body: dict, field: str, method: str = "POST") -> None:
    response = api(client, world.people["coach"], method, path, json=body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/content/modules", {"title": "Basics\x00"}, "title"),
        ("/api/content/modules", {"title": "Basics", "description": "a\x00b"}, "description"),
        ("/api/content/items", {"webinar_id": 1, "kind": "text", "title": "x", "body": "\x00"}, "body"),
        ("/api/webinars", {"title": "\x00", "starts_at": _start(), "duration_minutes": 30}, "title"),
        ("/api/webinars", {"title": "x", "description": "\x00", "starts_at": _start(),
                           "duration_minutes": 30}, "description"),
        ("/api/webinars/timezone", {"timezone": "Europe/Rome\x00"}, "timezone"),
    ],
)
def test_text_with_a_nul_character_is_refused_naming_the_field(client, world, path, body, field) -> None:
    """PostgreSQL cannot store U+0000 in text: it is the caller's to remove (422), not a 500."""
    _refused(client, world, path, body, field, method="PUT" if path.endswith("/timezone") else "POST")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/content/items", {"module_id": BEYOND_INT32, "kind": "text", "title": "x", "body": "y"},
         "module_id"),
        ("/api/content/modules", {"title": "x", "position": BEYOND_INT32}, "position"),
        ("/api/training/gates", {"role": "mentor", "webinar_id": BEYOND_INT32}, "webinar_id"),
        ("/api/webinars", {"title": "x", "starts_at": _start(), "duration_minutes": 30,
                           "capacity": BEYOND_INT32}, "capacity"),
        ("/api/webinars", {"title": "x", "starts_at": _start(), "duration_minutes": 30,
                           "host_user_id": BEYOND_INT32}, "host_user_id"),
        ("/api/webinars", {"title": "x", "starts_at": "9999-12-31T23:00:00", "duration_minutes": 300},
         "starts_at"),
        ("/api/webinars", {"title": "x", "starts_at": "9999-12-20T23:00:00", "duration_minutes": 30,
                           "repeat_weekly": 5}, "starts_at"),
    ],
)
def test_numbers_no_row_or_room_can_have_are_refused(client, world, path, body, field) -> None:
    _refused(client, world, path, body, field)


def test_an_unknown_zone_alone_is_refused_and_changes_nothing(app, client, world) -> None:
    coach = world.people["coach"]
    body = {"title": "Zones", "starts_at": _start(), "timezone": "UTC", "duration_minutes": 30}
    [webinar] = call(app, client, coach, "POST", "/api/webinars", json=body)["webinars"]
    path = f"/api/webinars/{webinar['id']}"
    response = api(client, coach, "PATCH", path, json={"timezone": "Nowhere/City"})
    assert response.status_code == 422 and "timezone" in response.get_json()["errors"]
    shown = call(app, client, coach, "GET", path)
    assert (shown["timezone"], shown["starts_at"]) == ("UTC", webinar["starts_at"])
