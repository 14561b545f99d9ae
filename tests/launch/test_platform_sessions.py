"""A platform that is disabled or removed ends its people's sessions at once, in every process.

Refusing its launches is not enough: a session token issued before lives for
``SESSION_TOKEN_TTL_SECONDS`` and names only the person, so without a revocation it would keep
working (and, with Redis, a removed person's cached stamp would still say "valid").
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lti_tool import create_app
from lti_tool.db import db
from lti_tool.launch import registry
from lti_tool.launch.models import PlatformStatus
from tests.conftest import REDIS_URL, _config, need
from tests.mentoring.conversations.factories import make_world


def _chat(client, match_id: int, headers: dict[str, str]) -> int:
    return client.post(f"/api/matches/{match_id}/chat", headers=headers,
                       json={"body": "still here?"}).status_code


def _disable(platform_id: int) -> None:
    registry.set_status(platform_id, PlatformStatus.DISABLED)


CHANGES: list[Callable[[int], object]] = [_disable, registry.remove_platform]


def _ended_elsewhere(app, change: Callable[[int], object], **extra: object) -> None:
    world = make_world()
    headers = world.headers(world.mentee)  # made while the platform is there
    match_id, platform_id = world.match.id, world.platform.id
    config = {k: app.config[k] for k in ("DATABASE_URL", "DATA_DIR", "SECRET_KEY", "BASE_URL")}
    other = create_app(_config(config["DATABASE_URL"], config["DATA_DIR"], **extra))
    other_client = other.test_client()
    try:
        # The other process has read the person's stamp (and, with Redis, cached it).
        assert _chat(other_client, match_id, headers) == 201
        change(platform_id)
        assert _chat(other_client, match_id, headers) == 401
    finally:
        with other.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("change", CHANGES, ids=["disabled", "removed"])
def test_a_disabled_or_removed_platform_ends_its_sessions(app, client, change) -> None:
    _ended_elsewhere(app, change)


@pytest.mark.redis
@pytest.mark.parametrize("app_config", [{"REDIS_URL": REDIS_URL}], indirect=False)
@pytest.mark.parametrize("change", CHANGES, ids=["disabled", "removed"])
def test_a_disabled_or_removed_platform_ends_its_sessions_through_redis(app, client, app_config,
                                                                        change) -> None:
    need(REDIS_URL, "Redis", "LTI_TOOL_TEST_REDIS_URL")
    _ended_elsewhere(app, change, REDIS_URL=REDIS_URL)
