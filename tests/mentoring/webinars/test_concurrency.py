"""Two people taking the last seat at the same moment, on PostgreSQL (row lock on the webinar);
two workers sending the same reminders at once (unique reminder rows)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.identity.session import read_token
from lti_tool.mentoring.webinars import invitations, registration
from lti_tool.mentoring.webinars.models import (
    RegistrationStatus,
    ReminderKind,
    Webinar,
    WebinarRegistration,
    WebinarReminder,
)
from tests.mentoring.webinars.factory import api


@pytest.fixture
def postgres_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite has one writer)")


def _together(app, work, people):
    barrier = threading.Barrier(len(people))
    errors: list[BaseException] = []

    def run(person):
        with app.app_context():
            try:
                barrier.wait()
                work(person)
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_last_seat_goes_to_exactly_one_person(app, client, world, postgres_only):
    start = (utcnow() + timedelta(days=2)).replace(tzinfo=None, microsecond=0)
    [webinar] = api(
        client,
        world.people["coach"],
        "POST",
        "/api/webinars",
        json={
            "title": "Small group",
            "starts_at": start.isoformat(),
            "timezone": "UTC",
            "duration_minutes": 30,
            "capacity": 1,
        },
    ).get_json()["webinars"]
    people = [world.people[n] for n in ("mara", "marco", "nina", "noah")]
    db.session.commit()
    _together(app, lambda p: registration.register(read_token(p.token), webinar["id"]), people)
    statuses = (
        db.session.execute(
            sa.select(WebinarRegistration.status).where(WebinarRegistration.webinar_id == webinar["id"])
        )
        .scalars()
        .all()
    )
    assert sorted(statuses) == sorted([RegistrationStatus.REGISTERED] + [RegistrationStatus.WAITLISTED] * 3)


def test_two_workers_send_each_reminder_once(app, client, world, postgres_only):
    start = (utcnow() + timedelta(hours=2)).replace(tzinfo=None, microsecond=0)
    [webinar] = api(
        client,
        world.people["coach"],
        "POST",
        "/api/webinars",
        json={"title": "Soon", "starts_at": start.isoformat(), "timezone": "UTC", "duration_minutes": 30},
    ).get_json()["webinars"]
    for name in ("nina", "noah", "mara"):
        api(client, world.people[name], "POST", f"/api/webinars/{webinar['id']}/registration")
    sent: list[int] = []

    def remind(_worker):
        found = db.session.get(Webinar, webinar["id"])
        sent.append(invitations.send_reminders(found, ReminderKind.DAY_BEFORE))
        db.session.commit()

    _together(app, remind, [1, 2, 3])
    assert sum(sent) == 3
    rows = db.session.execute(sa.select(sa.func.count()).select_from(WebinarReminder)).scalar_one()
    assert rows == 3
