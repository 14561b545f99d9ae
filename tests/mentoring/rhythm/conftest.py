from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from lti_tool.db import db, utcnow
from tests.mentoring.conversations.factories import World, make_world
from tests.mentoring.mail_fixtures import app_config, mailbox, smtp  # noqa: F401 (fixtures)


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
