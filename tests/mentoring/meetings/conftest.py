from __future__ import annotations

import pytest

from tests.mentoring.conversations.factories import World, make_world
from tests.mentoring.mail_fixtures import app_config, mailbox, smtp  # noqa: F401 (fixtures)


@pytest.fixture
def world(app) -> World:
    return make_world()
