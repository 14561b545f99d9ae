"""Every check of the LTI Security Framework on the id_token, each with a token that fails it."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import rsa

from lti_tool.accounts.models import Course, Enrolment, User
from lti_tool.db import db
from lti_tool.launch import registry
from lti_tool.launch.models import PlatformStatus
from tests.lti_platform import INSTRUCTOR, LTI, launch, session_token, start_login


def count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def assert_rejected(response, status: int = 400) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_data(as_text=True)
    assert "Ritmo could not be opened" in body or "approval" in body or "cookie" in body
    # Nothing was written for a rejected launch.
    assert count(User) == 0 and count(Course) == 0 and count(Enrolment) == 0


def test_good_launch_creates_user_course_and_session(client, platform):
    response = launch(client, platform)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    token = session_token(html)
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["user"]["sub"] == "user-1"
    assert me["role"] == "participant"
    assert me["course"]["context_id"] == "course-1"
    assert count(User) == 1 and count(Course) == 1


def test_instructor_is_coordinator(client, platform):
    response = launch(client, platform, roles=[INSTRUCTOR])
    token = session_token(response.get_data(as_text=True))
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["role"] == "coordinator"


def test_bad_signature_is_rejected(client, platform):
    auth = start_login(client, platform)
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = platform.sign(platform.claims(auth["nonce"]), key=forger)
    response = client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert_rejected(response)


def test_unknown_kid_refetches_once_then_rejects(client, platform):
    before = platform.jwks_requests
    auth = start_login(client, platform)
    token = platform.sign(platform.claims(auth["nonce"]), kid="no-such-kid")
    assert_rejected(client.post("/lti/launch", data={"id_token": token, "state": auth["state"]}))
    assert platform.jwks_requests == before + 1


def test_rotated_platform_key_is_picked_up(client, platform, app):
    assert launch(client, platform).status_code == 200
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    platform.extra_keys["platform-key-2"] = new_key
    app.config["PLATFORM_JWKS_REFETCH_SECONDS"] = 0
    try:
        auth = start_login(client, platform)
        token = platform.sign(platform.claims(auth["nonce"], sub="user-2"), kid="platform-key-2")
        response = client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
        assert response.status_code == 200
    finally:
        platform.extra_keys.clear()


@pytest.mark.parametrize(
    "override",
    [
        {"iss": "https://evil.example"},
        {"aud": "someone-else"},
        {"aud": ["ritmo-client", "other"]},  # several audiences and no azp
        {"aud": ["ritmo-client", "other"], "azp": "other"},
        {"azp": "other"},
        {"exp": int(time.time()) - 3600},
        {"iat": int(time.time()) + 3600},
        {"nonce": "not-the-issued-nonce"},
        {LTI + "deployment_id": "unknown-deployment"},
        {LTI + "message_type": "LtiNoSuchMessage"},
        {LTI + "version": "1.1"},
    ],
    ids=["iss", "aud", "aud-list-no-azp", "azp-other", "azp-mismatch", "expired", "future-iat",
         "nonce", "deployment", "message-type", "version"],
)
def test_claim_checks(client, platform, override):
    auth = start_login(client, platform)
    claims = platform.claims(auth["nonce"])
    claims.update(override)
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth["state"]}
    )
    assert_rejected(response)


def test_several_audiences_with_azp_naming_us_is_accepted(client, platform):
    auth = start_login(client, platform)
    claims = platform.claims(auth["nonce"], aud=["ritmo-client", "other"], azp="ritmo-client")
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth["state"]}
    )
    assert response.status_code == 200


def test_clock_leeway_is_a_setting(client, platform, app):
    auth = start_login(client, platform)
    claims = platform.claims(auth["nonce"], iat=int(time.time()) + 30)
    token = platform.sign(claims)
    app.config["JWT_LEEWAY_SECONDS"] = 0
    assert_rejected(client.post("/lti/launch", data={"id_token": token, "state": auth["state"]}))
    auth = start_login(client, platform)
    claims = platform.claims(auth["nonce"], iat=int(time.time()) + 30)
    app.config["JWT_LEEWAY_SECONDS"] = 60
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth["state"]}
    )
    assert response.status_code == 200


def test_replayed_launch_is_rejected(client, platform):
    auth = start_login(client, platform)
    data = {"id_token": platform.sign(platform.claims(auth["nonce"])), "state": auth["state"]}
    assert client.post("/lti/launch", data=data).status_code == 200
    replay = client.post("/lti/launch", data=data)
    assert replay.status_code == 400


def test_state_from_another_browser_is_rejected(app, client, platform):
    auth = start_login(client, platform)
    token = platform.sign(platform.claims(auth["nonce"]))
    other_browser = app.test_client()
    response = other_browser.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    # No state cookie: the page posts the launch again once from Ritmo's origin (a Lax cookie
    # would come then), and opens nothing.
    assert 'id="relay"' in response.get_data(as_text=True)
    assert count(User) == 0
    relayed = {"id_token": token, "state": auth["state"], "ritmo_relayed": "1"}
    # Still no state cookie and no platform storage: the person is told about cookies.
    assert_rejected(other_browser.post("/lti/launch", data=relayed), status=401)


def test_unknown_state_is_rejected(client, platform):
    auth = start_login(client, platform)
    token = platform.sign(platform.claims(auth["nonce"]))
    assert_rejected(client.post("/lti/launch", data={"id_token": token, "state": "made-up"}))


@pytest.mark.parametrize("id_token", ["", "abc", "a.b", "a.b.c", "e30.e30.e30"])
def test_malformed_tokens_get_400_not_500(client, platform, id_token):
    auth = start_login(client, platform)
    assert_rejected(client.post("/lti/launch", data={"id_token": id_token, "state": auth["state"]}))


def test_unregistered_issuer_login_is_rejected(client, platform):
    response = client.get(
        "/lti/login", query_string={"iss": "https://unknown.example", "login_hint": "x",
                                    "target_link_uri": "http://127.0.0.1:5000/lti/launch"},
    )
    assert response.status_code == 400
    assert "not registered" in response.get_data(as_text=True)


def test_login_without_login_hint_is_rejected(client, platform):
    response = client.get("/lti/login", query_string={"iss": platform.issuer,
                                                       "client_id": platform.client_id})
    assert response.status_code == 400


def test_pending_platform_cannot_launch(client, platform):
    p = registry.find_platform(platform.issuer, platform.client_id)
    registry.set_status(p.id, PlatformStatus.PENDING)
    response = client.get("/lti/login", query_string={
        "iss": platform.issuer, "client_id": platform.client_id, "login_hint": "u",
        "target_link_uri": "http://127.0.0.1:5000/lti/launch"})
    assert response.status_code == 403


def test_missing_optional_claims_do_not_crash(client, platform):
    response = launch(
        client, platform, name=None, email=None, **{LTI + "context": {"id": "c-bare"}}
    )
    assert response.status_code == 200
    user = db.session.execute(sa.select(User)).scalar_one()
    assert user.email is None and user.display_name.startswith("User ")


def test_launch_without_sub_is_rejected_clearly(client, platform):
    response = launch(client, platform, sub=None)
    assert response.status_code == 400
    assert "anonymously" in response.get_data(as_text=True)
