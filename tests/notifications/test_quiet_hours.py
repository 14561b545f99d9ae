"""Quiet hours: immediate e-mails that fall in them wait for their end; in-app stays immediate."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from lti_tool import timezones
from lti_tool.db import db, utcnow
from lti_tool.jobs.models import Job
from lti_tool.jobs.runner import drain
from lti_tool.notifications import quiet_hours, service
from lti_tool.notifications.models import EmailMode, EmailState, Notification
from tests.mentoring.conversations.factories import Mailbox, World
from tests.notifications.test_email_links import SIGN_IN, enrol

ROME = "Europe/Rome"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_end_of_the_quiet_period_holding_a_moment() -> None:
    night = (time(22, 0), time(7, 0))
    # 23:30 in Rome (UTC+1 in January) is quiet until 07:00 the next morning, 06:00 UTC.
    assert quiet_hours.quiet_end_after(night, ROME, at("2027-01-10T22:30")) == at("2027-01-11T06:00")
    # 05:00 in Rome: the same night, ending this morning.
    assert quiet_hours.quiet_end_after(night, ROME, at("2027-01-11T04:00")) == at("2027-01-11T06:00")
    assert quiet_hours.quiet_end_after(night, ROME, at("2027-01-11T06:00")) is None  # 07:00 sharp: awake
    assert quiet_hours.quiet_end_after(night, ROME, at("2027-01-11T12:00")) is None
    # A daytime block (a person who works nights), in summer time (UTC+2).
    day = (time(9, 0), time(17, 0))
    assert quiet_hours.quiet_end_after(day, ROME, at("2027-07-01T08:00")) == at("2027-07-01T15:00")
    assert quiet_hours.quiet_end_after(day, ROME, at("2027-07-01T16:00")) is None


def _quiet_now(world: World) -> datetime:
    """Give the mentee quiet hours from an hour ago to two hours from now, in their zone; the end (UTC)."""
    local = utcnow().astimezone(timezones.shown_zone(world.mentee.timezone))
    start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    quiet_hours.set_hours(world.mentee.id, (start, end))
    ends = quiet_hours.release_at(world.mentee)
    assert ends is not None
    return ends


def test_an_e_mail_in_quiet_hours_waits_for_their_end(app, world: World, mailbox: Mailbox) -> None:
    enrol(world)
    ends = _quiet_now(world)
    assert timedelta(hours=1, minutes=58) < ends - utcnow() <= timedelta(hours=2)
    note = service.notify(world.mentee.id, "post", "Late reply", "Marta answered.", link="/notifications")
    service.notify(world.mentor.id, "post", "For Marta", "no quiet hours")
    db.session.commit()
    drain()
    # In-app at once; the mentor's mail at once; the mentee's waits.
    assert db.session.get(Notification, note.id).read_at is None
    assert [m["Subject"] for m in mailbox.messages] == ["For Marta"]
    assert note.email_state is EmailState.QUEUED and note.email_after == ends
    job = db.session.execute(
        sa.select(Job).where(Job.dedupe_key == quiet_hours.held_mail_key(note.id))
    ).scalar_one()
    assert job.run_at == ends
    job.run_at = utcnow()  # the quiet hours are over
    db.session.commit()
    drain()
    [held] = mailbox.to("ben0@example.org")
    assert held["Subject"] == "Late reply"
    assert SIGN_IN.search(held.get_body(("plain",)).get_content())  # its sign-in link still works then


def test_turning_e_mail_off_calls_held_mail_off(app, world: World, mailbox: Mailbox) -> None:
    _quiet_now(world)
    note = service.notify(world.mentee.id, "post", "Held", "text")
    db.session.commit()
    service.set_email_mode(world.mentee.id, EmailMode.OFF)
    assert db.session.get(Notification, note.id).email_state is EmailState.SKIPPED
    assert (
        db.session.execute(sa.select(Job).where(Job.dedupe_key == quiet_hours.held_mail_key(note.id))).first()
        is None
    )
    db.session.execute(sa.update(Job).values(run_at=utcnow()))
    db.session.commit()
    drain()
    assert mailbox.messages == []


def test_quiet_hours_through_the_api_and_the_page(client, world: World) -> None:
    h = world.headers(world.mentee)
    saved = client.put(
        "/api/notifications/preferences",
        headers=h,
        json={"email": "immediate", "quiet_hours": {"start": "22:00", "end": "07:00"}},
    )
    assert saved.status_code == 200, saved.get_json()
    body = client.get("/api/notifications/preferences", headers=h).get_json()
    assert (
        body["quiet_hours"] == {"start": "22:00", "end": "07:00"} and body["timezone"] == "America/New_York"
    )
    # Equal times are refused, and nothing is half-written (the mode stays).
    bad = client.put(
        "/api/notifications/preferences",
        headers=h,
        json={"email": "digest", "quiet_hours": {"start": "08:00", "end": "08:00"}},
    )
    assert bad.status_code == 422 and "end" in bad.get_json()["errors"]["quiet_hours"]
    assert service.email_mode(world.mentee.id) is EmailMode.IMMEDIATE
    # Leaving quiet_hours out keeps them; the page's unticked box turns them off.
    client.put("/api/notifications/preferences", headers=h, json={"email": "digest"})
    assert quiet_hours.hours_of(world.mentee.id) == (time(22, 0), time(7, 0))
    page = client.post(
        "/notifications/preferences",
        data={"ritmo_session": world.token(world.mentee), "email": "immediate", "quiet_start": "22:00"},
    )
    assert page.status_code == 303 and quiet_hours.hours_of(world.mentee.id) is None
    page = client.post(
        "/notifications/preferences",
        data={
            "ritmo_session": world.token(world.mentee),
            "email": "immediate",
            "quiet": "on",
            "quiet_start": "21:30",
            "quiet_end": "06:45",
        },
    )
    assert page.status_code == 303 and quiet_hours.hours_of(world.mentee.id) == (time(21, 30), time(6, 45))


def test_nobody_has_quiet_hours_by_default(app, world: World, mailbox: Mailbox) -> None:
    assert quiet_hours.hours_of(world.mentee.id) is None
    service.notify(world.mentee.id, "post", "Now", "text")
    db.session.commit()
    drain()
    assert [m["Subject"] for m in mailbox.messages] == ["Now"]
