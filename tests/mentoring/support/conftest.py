from __future__ import annotations

from typing import Any

import pytest

from tests.mentoring.conversations.factories import World, make_world


@pytest.fixture
def world(app) -> World:
    return make_world()


def ask(client, world: World, user=None, **extra: Any):
    """Open a support request over the API as ``user`` (the mentee by default)."""
    payload = {"subject": "Cannot find the goals page", "body": "Where do I **set goals**?"} | extra
    return client.post("/api/support/requests", headers=world.headers(user or world.mentee), json=payload)
