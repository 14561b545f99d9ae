from __future__ import annotations

import pytest

from tests.mentoring.conversations.factories import World, make_world


@pytest.fixture
def world(app) -> World:
    return make_world()
