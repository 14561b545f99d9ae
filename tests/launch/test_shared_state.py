"""Launch state lives where every server process sees it: the database, or Redis in production.

Two app instances stand for two worker processes: the login lands on one, the launch on the other,
and a replay on either is refused.
"""

from __future__ import annotations

import pytest

from lti_tool import create_app
from lti_tool.db import db
from tests.conftest import REDIS_URL, _config, need
from tests.lti_platform import start_login


def second_worker(app, **extra):
    config = {k: app.config[k] for k in ("DATABASE_URL", "DATA_DIR", "SECRET_KEY", "BASE_URL")}
    return create_app(_config(config["DATABASE_URL"], config["DATA_DIR"], **extra))


def login_here_launch_there(app, client, platform, other):
    auth = start_login(client, platform)
    data = {"id_token": platform.sign(platform.claims(auth["nonce"])), "state": auth["state"]}
    cookie = client.get_cookie(f"lti1p3-{auth['state']}", path="/lti/")
    other_client = other.test_client()
    other_client.set_cookie(cookie.key, cookie.value, path="/lti/")
    with other.app_context():
        first = other_client.post("/lti/launch", data=data)
        db.session.remove()
        db.engine.dispose()
    replay = client.post("/lti/launch", data=data)
    return first, replay


def test_state_is_shared_through_the_database(app, client, platform):
    other = second_worker(app)
    first, replay = login_here_launch_there(app, client, platform, other)
    assert first.status_code == 200
    assert replay.status_code == 400


@pytest.mark.redis
@pytest.mark.parametrize("app_config", [{"REDIS_URL": REDIS_URL}], indirect=False)
def test_state_is_shared_through_redis(app, client, platform, app_config):
    need(REDIS_URL, "Redis", "LTI_TOOL_TEST_REDIS_URL")
    app.config["REDIS_URL"] = REDIS_URL
    from lti_tool.cache import RedisCache, init_cache

    init_cache(app)
    assert isinstance(app.extensions["ritmo_cache"], RedisCache)
    other = second_worker(app, REDIS_URL=REDIS_URL)
    first, replay = login_here_launch_there(app, client, platform, other)
    assert first.status_code == 200
    assert replay.status_code == 400


def _delete_prefix_keeps_the_rest(store) -> None:
    for key in ("memo:1-7:a", "memo:1-7:b", "memo:1-70:c", "memo:1_7:d", "other"):
        store.set(key, {"k": key}, 60)
    store.delete_prefix("memo:1-7:")
    assert store.get("memo:1-7:a") is None and store.get("memo:1-7:b") is None
    # Neither a longer id nor a LIKE/glob wildcard lookalike is caught by the prefix.
    assert store.get("memo:1-70:c") == {"k": "memo:1-70:c"}
    assert store.get("memo:1_7:d") == {"k": "memo:1_7:d"}
    assert store.get("other") == {"k": "other"}
    store.delete_prefix("memo:1_")  # "_" is literal, not "any character"
    assert store.get("memo:1-70:c") is not None and store.get("memo:1_7:d") is None


def test_database_cache_deletes_by_prefix(app):
    from lti_tool.cache import DatabaseCache

    _delete_prefix_keeps_the_rest(DatabaseCache(prefix="t:"))


@pytest.mark.redis
def test_redis_cache_deletes_by_prefix():
    need(REDIS_URL, "Redis", "LTI_TOOL_TEST_REDIS_URL")
    import secrets

    from lti_tool.cache import RedisCache

    store = RedisCache(REDIS_URL, prefix=f"test-{secrets.token_hex(4)}*[x]:")  # glob characters too
    try:
        _delete_prefix_keeps_the_rest(store)
    finally:
        store.delete_prefix("")


def _claim_and_get_claims_once_and_reads(store) -> None:
    store.set("memo:m", {"digest": "d"}, 60)
    assert store.claim_and_get("spent:s", 60, "memo:m", "stamp:x") == (True, [{"digest": "d"}, None])
    # A claim holds for every caller until it expires; the other values stay.
    assert store.claim_and_get("spent:s", 60, "memo:m") == (False, [{"digest": "d"}])
    assert store.claim_and_get("spent:other", 60) == (True, [])


def test_database_cache_claims_one_key_and_reads_another(app):
    from lti_tool.cache import DatabaseCache

    _claim_and_get_claims_once_and_reads(DatabaseCache(prefix="t:"))


@pytest.mark.redis
def test_redis_cache_claims_one_key_and_reads_another():
    need(REDIS_URL, "Redis", "LTI_TOOL_TEST_REDIS_URL")
    import secrets

    from lti_tool.cache import RedisCache

    store = RedisCache(REDIS_URL, prefix=f"test-{secrets.token_hex(4)}:")
    try:
        _claim_and_get_claims_once_and_reads(store)
    finally:
        store.delete_prefix("")
