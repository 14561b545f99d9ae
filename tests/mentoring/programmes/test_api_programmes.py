"""Programme configuration and participants over the API."""

from __future__ import annotations

from lti_tool.db import db
from lti_tool.mentoring.programmes.models import ParticipantRole, Programme, RoleSource
from tests.mentoring.programmes.factories import call, world
from tests.session_codes import rh


def test_coordinator_configures_the_programme(client, app):
    w = world()
    base = f"/api/programmes/{w.programme.id}"
    changed = call(
        client,
        w,
        w.coordinator,
        "PATCH",
        base,
        json={
            "matching_mode": "group",
            "role_source": "self",
            "default_capacity": 4,
            "requires_approval": False,
            "starts_on": "2027-01-10",
            "ends_on": "2027-06-30",
            "request_deadline_hours": 48,
        },
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["matching_mode"] == "group" and changed.json["default_capacity"] == 4
    assert changed.json["request_deadline_hours"] == 48
    backwards = call(client, w, w.coordinator, "PATCH", base, json={"ends_on": "2026-01-01"})
    assert backwards.status_code == 422 and "ends_on" in backwards.json["errors"]
    assert call(client, w, w.coordinator, "PATCH", base, json={"default_capacity": 0}).status_code == 422
    eve = w.person("Eve", ParticipantRole.MENTEE)
    assert call(client, w, eve.user_id, "PATCH", base, json={"title": "x"}).status_code == 403
    assert call(client, w, eve.user_id, "GET", base).json["title"] == "Mentoring 101"


def test_roles_chosen_by_people_or_assigned(client, app):
    w = world()
    eve = w.person("Eve", ParticipantRole.MENTEE)
    base = f"/api/programmes/{w.programme.id}"
    refused = call(client, w, eve.user_id, "PUT", base + "/me/role", json={"role": "mentor"})
    assert refused.status_code == 403  # roles come from the LMS by default
    w.programme.role_source = RoleSource.SELF
    from lti_tool.db import db

    db.session.commit()
    chosen = call(client, w, eve.user_id, "PUT", base + "/me/role", json={"role": "mentor"})
    assert chosen.json["role"] == "mentor"
    assert (
        call(client, w, eve.user_id, "PUT", base + "/me/role", json={"role": "coordinator"}).status_code
        == 422
    )
    assigned = call(
        client,
        w,
        w.coordinator,
        "PATCH",
        f"{base}/participants/{eve.id}",
        json={"role": "mentee", "capacity": 3},
    )
    assert assigned.json["role"] == "mentee" and assigned.json["capacity"] == 3
    listed = call(
        client, w, w.coordinator, "GET", base + "/participants", query_string={"role": "mentee", "q": "ev"}
    ).json
    assert listed["total"] == 1 and listed["items"][0]["name"] == "Eve"


def test_pages_link_the_features(client, app):
    w = world()
    code = rh(w.token(w.coordinator))
    page = client.get(f"/programmes/{w.programme.id}/settings", query_string={"rh": code})
    assert page.status_code == 200 and b"matching_mode" in page.data
    saved = client.post(
        f"/programmes/{w.programme.id}/settings",
        data={
            "ritmo_session": w.token(w.coordinator),
            "title": "Spring cohort",
            "matching_mode": "group",
            "role_source": "lms",
            "default_capacity": "3",
            "timezone": "UTC",
            "request_deadline_hours": "72",
        },
    )
    assert b"Settings saved" in saved.data
    eve = w.person("Eve", ParticipantRole.MENTEE)
    assert (
        client.get(
            f"/programmes/{w.programme.id}/settings", query_string={"rh": rh(w.token(eve.user_id))}
        ).status_code
        == 403
    )


def test_refused_settings_come_back_as_typed_and_change_nothing(client, app):
    w = world()
    title = w.programme.title
    refused = client.post(
        f"/programmes/{w.programme.id}/settings",
        data={
            "ritmo_session": w.token(w.coordinator),
            "title": "Autumn cohort",
            "matching_mode": "group",
            "role_source": "coordinator",
            "default_capacity": "4",
            "starts_on": "2027-03-01",
            "ends_on": "2027-02-01",  # before it starts
            "timezone": "Europe/Rome",
            "request_deadline_hours": "48",
        },
    )
    page = refused.get_data(as_text=True)
    assert 'role="alert"' in page and "Settings saved" not in page
    assert 'value="Autumn cohort"' in page and 'value="2027-03-01"' in page and 'value="2027-02-01"' in page
    assert '<option value="group" selected>' in page and '<option value="coordinator" selected>' in page
    assert 'value="4"' in page and 'value="48"' in page and 'value="Europe/Rome"' in page
    db.session.expire_all()
    assert db.session.get_one(Programme, w.programme.id).title == title
