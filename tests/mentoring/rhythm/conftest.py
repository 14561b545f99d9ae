from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

from lti_tool.db import db, utcnow
from tests.mentoring.conversations.factories import Mailbox, World, free_port, make_world


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp) -> Mailbox:
    smtp[1].clear()
    return smtp[1]


@pytest.fixture
def app_config(smtp) -> dict[str, object]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp[0].port, "MAIL_FROM": "Ritmo <ritmo@example.org>"}


@pytest.fixture
def world(app) -> World:
    return make_world()


def days_later(days: float, start: datetime | None = None) -> datetime:
    return (start or utcnow()) + timedelta(days=days)


def chat(client, world: World, user, body: str = "hello") -> int:
    response = client.post(
        f"/api/matches/{world.match.id}/chat", headers=world.headers(user), json={"body": body}
    )
    assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    return int(response.get_json()["id"])


def propose_meeting(client, world: World, in_days: float = 2.0) -> dict:
    when = (utcnow() + timedelta(days=in_days)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/api/matches/{world.match.id}/meetings",
        headers=world.headers(world.mentor),
        json={"title": "Catch-up", "times": [when], "timezone": "UTC"},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()
