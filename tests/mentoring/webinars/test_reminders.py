"""Reminders go out by jobs, by e-mail through a real SMTP server and in the app, exactly once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.jobs import enqueue
from lti_tool.jobs.models import Job, JobState
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.webinars.invitations import send_reminders
from lti_tool.mentoring.webinars.models import ReminderKind, Webinar, WebinarReminder
from tests.mentoring.webinars.factory import api


def _reminders(mailbox, to: str) -> list[str]:
    return [s for s in mailbox.subjects(to) if s.startswith("Reminder:")]


def test_each_reminder_is_sent_exactly_once(client, world, mailbox):
    start = (utcnow() + timedelta(hours=23, minutes=30)).replace(tzinfo=None, microsecond=0)
    created = api(
        client,
        world.people["coach"],
        "POST",
        "/api/webinars",
        json={
            "title": "Goal setting",
            "starts_at": start.isoformat(),
            "timezone": "UTC",
            "duration_minutes": 60,
        },
    ).get_json()["webinars"][0]
    for name in ("nina", "noah"):
        api(client, world.people[name], "POST", f"/api/webinars/{created['id']}/registration")
    # The day-before time has passed already: only the hour-before job is scheduled, for later.
    jobs = db.session.execute(sa.select(Job).where(Job.task == "webinars.remind")).scalars().all()
    assert [j.payload["kind"] for j in jobs] == ["hour_before"]
    drain()
    assert _reminders(mailbox, "nina@") == []

    # The periodic sweep catches up with the day-before reminder, twice over: one e-mail each.
    for _ in range(2):
        enqueue("webinars.reminder_sweep", {})
        db.session.commit()
        drain()
    assert _reminders(mailbox, "nina@") == ["Reminder: Goal setting starts tomorrow"]
    assert _reminders(mailbox, "noah@") == ["Reminder: Goal setting starts tomorrow"]

    # Time passes to the hour-before reminder; its job runs, a retry and the sweep add nothing.
    hour_job = jobs[0]
    hour_job.run_at = utcnow()
    db.session.commit()
    drain()
    assert db.session.get(Job, hour_job.id).state is JobState.DONE
    webinar = db.session.get(Webinar, created["id"])
    webinar.starts_at = utcnow() + timedelta(minutes=50)
    db.session.commit()
    assert send_reminders(webinar, ReminderKind.HOUR_BEFORE) == 0
    enqueue("webinars.reminder_sweep", {}, dedupe_key="sweep-again")
    db.session.commit()
    drain()
    assert _reminders(mailbox, "nina@") == [
        "Reminder: Goal setting starts tomorrow",
        "Reminder: Goal setting starts in one hour",
    ]
    assert len(_reminders(mailbox, "noah@")) == 2
    assert _reminders(mailbox, "mara@") == []  # not registered, not reminded

    # Nina (New York) reads the time in her zone; the in-app notices are there too.
    nina_mail = [m for m in mailbox.messages if "nina@" in str(m["To"]) and "Reminder" in str(m["Subject"])]
    [plain] = [p for p in nina_mail[0].walk() if p.get_content_type() == "text/plain"]
    body = plain.get_payload(decode=True).decode()
    assert "(America/New_York)" in body and "/signin/" in body  # the link opens the webinar without a session
    notices = api(client, world.people["nina"], "GET", "/api/webinars/notices").get_json()["notices"]
    assert sorted(n["kind"] for n in notices) == ["day_before", "hour_before"]
    rows = db.session.execute(sa.select(sa.func.count()).select_from(WebinarReminder)).scalar_one()
    assert rows == 4


def test_a_moved_webinar_ignores_the_stale_reminder_job(client, world, mailbox):
    start = (utcnow() + timedelta(days=3)).replace(tzinfo=None, microsecond=0)
    created = api(
        client,
        world.people["coach"],
        "POST",
        "/api/webinars",
        json={"title": "Moved", "starts_at": start.isoformat(), "timezone": "UTC", "duration_minutes": 60},
    ).get_json()["webinars"][0]
    api(client, world.people["nina"], "POST", f"/api/webinars/{created['id']}/registration")
    later = (utcnow() + timedelta(days=6)).replace(tzinfo=None, microsecond=0)
    api(
        client,
        world.people["coach"],
        "PATCH",
        f"/api/webinars/{created['id']}",
        json={"starts_at": later.isoformat(), "timezone": "UTC"},
    )
    jobs = db.session.execute(sa.select(Job).where(Job.task == "webinars.remind")).scalars().all()
    assert len(jobs) == 4  # two for the old time, two for the new one
    for job in jobs:
        job.run_at = utcnow()
    db.session.commit()
    drain()
    # Only the jobs for the current time send; nothing for the old time (its payload is stale).
    assert len(_reminders(mailbox, "nina@")) == 2


def test_nobody_is_reminded_of_a_cancelled_webinar(client, world, mailbox):
    start = (utcnow() + timedelta(hours=20)).replace(tzinfo=None, microsecond=0)
    created = api(
        client,
        world.people["coach"],
        "POST",
        "/api/webinars",
        json={"title": "Off", "starts_at": start.isoformat(), "timezone": "UTC", "duration_minutes": 60},
    ).get_json()["webinars"][0]
    api(client, world.people["nina"], "POST", f"/api/webinars/{created['id']}/registration")
    api(client, world.people["coach"], "POST", f"/api/webinars/{created['id']}/cancel")
    enqueue("webinars.reminder_sweep", {})
    db.session.commit()
    drain()
    assert _reminders(mailbox, "nina@") == []
