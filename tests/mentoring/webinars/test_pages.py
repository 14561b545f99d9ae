"""The HTML pages: forms post, redirect back with the session, and show what the API says."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.mentoring.content.models import ContentItem, ContentModule
from lti_tool.mentoring.webinars.models import TrainingGate, Webinar
from tests.session_codes import rh


def _post(client, person, path, data=None, **kwargs):
    return client.post(path, data={"ritmo_session": person.token, **(data or {})}, **kwargs)


def _get(client, person, path):
    response = client.get(path, query_string={"rh": rh(person.token)})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_coordinator_and_participant_pages(client, world):
    coach, nina = world.people["coach"], world.people["nina"]
    start = (utcnow() + timedelta(days=1)).replace(tzinfo=None, microsecond=0, second=0)
    created = _post(
        client,
        coach,
        "/webinars",
        {
            "title": "Feedback <b>basics</b>",
            "description": "Agenda",
            "audience": "everyone",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "timezone": "Europe/Rome",
            "duration_minutes": "60",
            "capacity": "",
            "join_url": "",
            "repeat_weekly": "1",
        },
    )
    assert created.status_code == 303 and "rh=" in created.headers["Location"]
    webinar = db.session.execute(sa.select(Webinar)).scalar_one()
    assert webinar.capacity is None and webinar.join_provider.value == "jitsi"

    listing = _get(client, nina, "/webinars")
    assert "Feedback &lt;b&gt;basics&lt;/b&gt;" in listing and "<b>basics" not in listing
    assert "Schedule a webinar" not in listing and "Schedule a webinar" in _get(client, coach, "/webinars")

    assert _post(client, nina, f"/webinars/{webinar.id}/register").status_code == 303
    page = _get(client, nina, f"/webinars/{webinar.id}")
    assert 'data-state="registered"' in page and "invite.ics" in page
    webinar.capacity = 2
    db.session.commit()
    assert "1 seat left of 2." in _get(client, nina, f"/webinars/{webinar.id}")
    italian = client.get(
        f"/webinars/{webinar.id}", query_string={"rh": rh(nina.token)}, headers={"Accept-Language": "it"}
    ).get_data(as_text=True)
    assert "Resta 1 posto su 2." in italian
    webinar.capacity = 5
    db.session.commit()
    assert "4 of 5 seats left." in _get(client, nina, f"/webinars/{webinar.id}")
    webinar.capacity = None
    db.session.commit()
    assert 'id="manage"' not in page and webinar.join_url not in page

    manage = _get(client, coach, f"/webinars/{webinar.id}")
    assert 'id="manage"' in manage and "Nina" in manage
    webinar.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    marked = _post(
        client,
        coach,
        f"/webinars/{webinar.id}/attendance",
        {"participant_id": str(nina.id), "attended": "true"},
    )
    assert marked.status_code == 303
    imported = _post(
        client,
        coach,
        f"/webinars/{webinar.id}/attendance/import",
        {"file": (io.BytesIO(b"email\nnoah@example.edu\n"), "a.csv")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 303
    assert "Mark absent" in _get(client, coach, f"/webinars/{webinar.id}")
    bad = _post(
        client,
        coach,
        f"/webinars/{webinar.id}/attendance/import",
        {"file": (io.BytesIO(b"email\nghost@example.edu\n"), "a.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "nothing was imported" in bad.get_data(as_text=True)

    assert (
        _post(
            client,
            coach,
            f"/webinars/{webinar.id}/edit",
            {"recording_url": "https://vimeo.com/76979871", "slides_url": ""},
        ).status_code
        == 303
    )
    assert "player.vimeo.com/video/76979871" in _get(client, nina, f"/webinars/{webinar.id}")


def test_content_and_gate_pages(client, world):
    coach, mara = world.people["coach"], world.people["mara"]
    assert (
        _post(
            client,
            coach,
            "/content/modules",
            {"title": "Basics", "description": "Intro", "audience": "mentors", "position": ""},
        ).status_code
        == 303
    )
    module = db.session.execute(sa.select(ContentModule)).scalar_one()
    added = _post(
        client,
        coach,
        "/content/items",
        {
            "module_id": str(module.id),
            "kind": "file",
            "title": "Handout",
            "audience": "everyone",
            "body": "",
            "url": "",
            "webinar_id": "",
            "file": (io.BytesIO(b"%PDF-1.4\n"), "handout.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert added.status_code == 303, added.get_data(as_text=True)[:500]
    item = db.session.execute(sa.select(ContentItem)).scalar_one()
    assert "Basics" in _get(client, mara, "/content")
    assert "Add an item" not in _get(client, mara, f"/content/modules/{module.id}")
    assert "Add an item" in _get(client, coach, f"/content/modules/{module.id}")
    assert "Download handout.pdf" in _get(client, mara, f"/content/items/{item.id}")
    assert _post(client, mara, f"/content/items/{item.id}/complete").status_code == 303
    assert 'id="done"' in _get(client, mara, f"/content/items/{item.id}")

    assert (
        _post(
            client,
            coach,
            "/training/gates",
            {"role": "mentor", "module_id": str(module.id), "webinar_id": ""},
        ).status_code
        == 303
    )
    gate = db.session.execute(sa.select(TrainingGate)).scalar_one()
    waiting = _get(client, coach, "/training/waiting")
    assert "Marco" in waiting and "Mara" not in waiting.split('id="waiting"')[1]
    assert "<td>mentor</td>" in waiting  # the role's label
    assert client.get("/training/waiting", query_string={"rh": rh(mara.token)}).status_code == 403
    assert _post(client, coach, f"/training/gates/{gate.id}/delete").status_code == 303
    assert "Nobody is waiting." in _get(client, coach, "/training/waiting")


def test_participant_roles_have_labels_in_the_viewers_language(app):
    from flask_babel import force_locale

    from lti_tool.mentoring.programmes.models import ParticipantRole

    with app.test_request_context(), force_locale("it"):
        assert ParticipantRole.COORDINATOR.label == "coordinatore"
        assert ParticipantRole.MENTEE.label == "mentee"


def test_attendance_form_without_a_person_says_so(client, world):
    """A form naming no one (or not a number) is the sender's to correct (422), not a 500."""
    coach = world.people["coach"]
    created = client.post(
        "/api/webinars",
        json={"title": "Form", "starts_at": (utcnow() + timedelta(days=2)).replace(tzinfo=None).isoformat(),
              "timezone": "UTC", "duration_minutes": 30},
        headers={"Authorization": f"Bearer {coach.token}"},
    )
    webinar_id = created.get_json()["webinars"][0]["id"]
    for sent in ({"participant_id": "nina", "attended": "true"}, {"attended": "true"}):
        answer = _post(client, coach, f"/webinars/{webinar_id}/attendance", sent)
        assert answer.status_code == 422, answer.get_data(as_text=True)[:300]
