"""The login's state is signed, kept by the browser and the platform, and spent once by the launch."""

from __future__ import annotations

import logging
import time

import pytest
import sqlalchemy as sa

from lti_tool.cache import CacheEntry
from lti_tool.db import db
from lti_tool.launch import login_state
from tests.launch.test_launch_security import assert_rejected
from tests.lti_platform import start_login


def cache_rows() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(CacheEntry)).scalar_one()


def launch_with_state(client, platform, state: str, nonce: str):
    """Post a launch for ``state`` as the browser that holds its cookie."""
    client.set_cookie(f"lti1p3-{state}", state, path="/lti/")
    token = platform.sign(platform.claims(nonce))
    return client.post("/lti/launch", data={"id_token": token, "state": state})


def test_login_writes_nothing_and_the_launch_spends_the_state(client, platform):
    before = cache_rows()
    auth = start_login(client, platform)
    assert cache_rows() == before  # a flood of logins cannot fill the shared cache
    assert auth["nonce"] == login_state.nonce_for(auth["state"].removeprefix("state-"))
    data = {"id_token": platform.sign(platform.claims(auth["nonce"])), "state": auth["state"]}
    assert client.post("/lti/launch", data=data).status_code == 200
    spent = db.session.execute(
        sa.select(CacheEntry.key).where(CacheEntry.key.startswith("state-spent:"))
    ).scalars().all()
    assert len(spent) == 1
    assert client.post("/lti/launch", data=data).status_code == 400


def test_read_gives_what_login_signed(app):
    state = login_state.issue(7, storage=True)
    record = login_state.read(state)
    assert record is not None
    assert (record.platform_id, record.storage) == (7, True)
    assert record.nonce == login_state.nonce_for(state)
    assert record.nonce != login_state.nonce_for(login_state.issue(7, storage=True))


@pytest.mark.parametrize("part", [0, 1, 2, 3, 4])
def test_a_state_changed_anywhere_is_refused(app, part):
    pieces = login_state.issue(7, storage=False).split(".")
    pieces[part] = "8" if pieces[part] != "8" else "9"
    assert login_state.read(".".join(pieces)) is None


@pytest.mark.parametrize("state", ["", "made-up", "a.b.c.d.e", "....", "x.7.0.notatime.mac"])
def test_garbage_is_refused(app, state):
    assert login_state.read(state) is None


def test_a_state_outlives_neither_its_ttl_nor_the_secret(app):
    ttl = app.config["LOGIN_STATE_TTL_SECONDS"]
    now = time.time()
    assert login_state.read(login_state.issue(7, False, now=now - ttl + 5)) is not None
    assert login_state.read(login_state.issue(7, False, now=now - ttl - 5)) is None
    # Issued in the future beyond the clock leeway: refused too.
    ahead = now + app.config["JWT_LEEWAY_SECONDS"] + 30
    assert login_state.read(login_state.issue(7, False, now=ahead)) is None
    state = login_state.issue(7, False)
    app.config["SECRET_KEY"] = "another-secret"
    assert login_state.read(state) is None
    # A spent state is remembered at least as long as it could still be read.
    assert login_state.spent_ttl() > ttl + app.config["JWT_LEEWAY_SECONDS"]


def test_an_expired_state_is_refused_at_launch(app, client, platform, caplog):
    ttl = app.config["LOGIN_STATE_TTL_SECONDS"]
    state = "state-" + login_state.issue(platform_id(), False, now=time.time() - ttl - 5)
    with caplog.at_level(logging.WARNING, "lti_tool.security"):
        response = launch_with_state(client, platform, state, nonce_of(state))
    assert_rejected(response)
    assert "expired" in caplog.text


def test_a_state_signed_for_another_platform_is_refused(app, client, platform, caplog):
    state = "state-" + login_state.issue(platform_id() + 1000, False)
    with caplog.at_level(logging.WARNING, "lti_tool.security"):
        response = launch_with_state(client, platform, state, nonce_of(state))
    assert_rejected(response)
    assert "another platform" in caplog.text


def test_the_nonce_must_be_the_one_derived_from_the_state(app, client, platform, caplog):
    state = "state-" + login_state.issue(platform_id(), False)
    other = "state-" + login_state.issue(platform_id(), False)
    with caplog.at_level(logging.WARNING, "lti_tool.security"):
        response = launch_with_state(client, platform, state, nonce_of(other))
    assert_rejected(response)
    assert "nonce" in caplog.text
    # The refused launch did not spend the state: its own nonce still opens Ritmo, once.
    assert launch_with_state(client, platform, state, nonce_of(state)).status_code == 200
    assert launch_with_state(client, platform, state, nonce_of(state)).status_code == 400


def platform_id() -> int:
    from lti_tool.launch.models import Platform

    return db.session.execute(sa.select(Platform.id)).scalars().first()


def nonce_of(state: str) -> str:
    return login_state.nonce_for(state.removeprefix("state-"))
