"""Webinar mail goes through the notification service: preferences, unsubscribe, the in-app list."""

from __future__ import annotations

import re
from datetime import timedelta

from lti_tool.db import db, utcnow
from lti_tool.jobs.runner import drain
from lti_tool.notifications import service
from lti_tool.notifications.models import EmailMode
from tests.mentoring.webinars.factory import api

SIGN_IN = re.compile(r"(/signin/[A-Za-z0-9_-]{43})")


def _schedule(client, world) -> dict:
    start = (utcnow() + timedelta(days=3)).replace(tzinfo=None, microsecond=0)
    response = api(
        client,
        world.people["coach"],
        "POST",
        "/api/webinars",
        json={"title": "Feedback", "starts_at": start.isoformat(), "timezone": "UTC", "duration_minutes": 60},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["webinars"][0]


def _in_app(client, person) -> list[str]:
    return [
        n["subject"] for n in api(client, person, "GET", "/api/notifications").get_json()["notifications"]
    ]


def test_an_opted_out_person_gets_no_webinar_mail_but_sees_it_in_the_app(client, world, mailbox):
    service.set_email_mode(world.people["nina"].user.id, EmailMode.OFF)
    webinar = _schedule(client, world)
    for name in ("nina", "noah"):
        api(client, world.people[name], "POST", f"/api/webinars/{webinar['id']}/registration")
    drain()
    assert mailbox.subjects("nina@") == []
    assert mailbox.subjects("noah@") == ["You are registered: Feedback"]
    assert _in_app(client, world.people["nina"]) == ["You are registered: Feedback"]
    # The e-mail carries the calendar, an unsubscribe header and a link that works without a session.
    [message] = [m for m in mailbox.messages if "noah@" in str(m["To"])]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert any("METHOD:REQUEST" in c for c in mailbox.calendars("noah@"))
    [plain] = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    link = SIGN_IN.search(plain.get_payload(decode=True).decode())
    assert link
    spent = client.post(link.group(1))
    assert spent.status_code == 303 and spent.headers["Location"].startswith(f"/webinars/{webinar['id']}?rh=")
    assert client.get(spent.headers["Location"]).status_code == 200


def test_digest_readers_get_webinar_news_in_their_digest(client, world, mailbox):
    service.set_email_mode(world.people["noah"].user.id, EmailMode.DIGEST)
    webinar = _schedule(client, world)
    api(client, world.people["noah"], "POST", f"/api/webinars/{webinar['id']}/registration")
    drain()
    assert mailbox.subjects("noah@") == []
    assert service.send_digests() == 1
    db.session.commit()
    drain()
    assert mailbox.subjects("noah@") == ["You are registered: Feedback"]
    assert any("METHOD:REQUEST" in c for c in mailbox.calendars("noah@"))
