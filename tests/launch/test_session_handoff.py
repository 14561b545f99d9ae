"""The session never travels in a URL: links and redirects carry a one-time handoff code instead.

A page trades its token for a code (``POST /api/session/handoff``), or the server mints one when it
redirects after a form; the next request spends the code once. A raw token in the query string is
refused, so no access log, proxy or browser history ever holds a usable session.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.cache import Cache, CacheEntry, RedisCache, init_cache
from lti_tool.db import db
from lti_tool.identity import handoff
from tests.conftest import REDIS_URL, need
from tests.launch.test_shared_state import second_worker
from tests.lti_platform import launch, session_token

HANDOFF = "/api/session/handoff"


def cache_of(app: Flask) -> Cache:
    return app.extensions["ritmo_cache"]


def _token(client, platform) -> str:
    return session_token(launch(client, platform).get_data(as_text=True))


def _code(client, token: str) -> str:
    response = client.post(HANDOFF, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()["code"]


def test_a_raw_token_in_the_query_string_is_refused(client, platform):
    token = _token(client, platform)
    fresh = client.application.test_client(use_cookies=False)
    assert fresh.get("/api/me", query_string={"rs": token}).status_code == 401
    assert fresh.get("/programme", query_string={"rs": token}).status_code == 401
    assert fresh.get("/programme", query_string={"ritmo_session": token}).status_code == 401
    # The header and a POSTed form field still carry it.
    assert fresh.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert fresh.post("/programme", data={"ritmo_session": token}).status_code == 200


def test_a_code_opens_one_page_once(client, platform):
    token = _token(client, platform)
    code = _code(client, token)
    assert len(code) >= 22 and token not in code  # 128 random bits, not derived from the token
    page = client.get("/programme", query_string={"rh": code})
    assert page.status_code == 200
    # The page carries the session on (its meta tag) for the next links and requests.
    assert session_token(page.get_data(as_text=True)) == token
    again = client.get("/programme", query_string={"rh": code})
    assert again.status_code == 401 and "text/html" in again.content_type
    assert client.get("/api/me", query_string={"rh": "not-a-code"}).status_code == 401


def test_codes_are_distinct_and_expire(app, client, platform):
    token = _token(client, platform)
    assert len({_code(client, token) for _ in range(5)}) == 5
    stale = handoff.mint(token, ttl=-1)
    assert client.get("/api/me", query_string={"rh": stale}).status_code == 401


def test_a_code_needs_a_session(client):
    assert client.post(HANDOFF).status_code == 401
    assert client.post(HANDOFF, headers={"Authorization": "Bearer forged"}).status_code == 401
    assert client.get(HANDOFF).status_code == 405  # a GET (a prefetch, a logged URL) never mints


def test_a_redirect_after_a_form_carries_a_code_not_the_token(client, platform):
    token = _token(client, platform)
    response = client.post("/notifications/preferences", data={"ritmo_session": token, "email": "digest"})
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    query = parse_qs(location.query)
    assert token not in response.headers["Location"] and "rs" not in query
    page = client.get(location.path, query_string={k: v[0] for k, v in query.items()})
    assert page.status_code == 200 and session_token(page.get_data(as_text=True)) == token
    assert client.get(location.path, query_string={k: v[0] for k, v in query.items()}).status_code == 401


def test_a_get_form_submitted_with_a_code_works(client, platform):
    token = _token(client, platform)
    code = _code(client, token)
    # What ritmo.js does for a GET form: the form's fields plus ?rh=, never ritmo_session.
    page = client.get("/notifications", query_string={"before": "", "rh": code})
    assert page.status_code == 200


def test_the_cache_holds_neither_the_code_nor_the_token(app, client, platform):
    token = _token(client, platform)
    code = _code(client, token)
    rows = db.session.execute(sa.select(CacheEntry.key, CacheEntry.value)).all()
    stored = repr(rows)
    assert "handoff:" in stored and code not in stored and token not in stored


def _code_here_spent_there(app, client, platform, other) -> tuple[int, int]:
    token = _token(client, platform)
    code = _code(client, token)
    with other.app_context():
        there = other.test_client().get("/api/me", query_string={"rh": code}).status_code
        db.session.remove()
        db.engine.dispose()
    again = client.get("/api/me", query_string={"rh": code}).status_code
    return there, again


def test_a_code_made_by_one_worker_is_spent_by_another_once(app, client, platform):
    assert _code_here_spent_there(app, client, platform, second_worker(app)) == (200, 401)


@pytest.mark.redis
def test_a_code_is_spent_once_through_redis(app, client, platform):
    need(REDIS_URL, "Redis", "LTI_TOOL_TEST_REDIS_URL")
    app.config["REDIS_URL"] = REDIS_URL
    init_cache(app)
    assert isinstance(cache_of(app), RedisCache)
    other = second_worker(app, REDIS_URL=REDIS_URL)
    assert _code_here_spent_there(app, client, platform, other) == (200, 401)
    assert not [k for k in cache_of(app).client.scan_iter(match="ritmo:handoff:*")]
