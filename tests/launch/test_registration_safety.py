"""Dynamic registration that strangers cannot abuse: no takeover of a registered platform, origins
compared as origins, pending until approved unless invited, and no calls to internal addresses."""
# ruff: noqa: F811 - the registration LMS's fixtures are imported and then requested by name

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.demo.server import serve_in_thread
from lti_tool.launch import origins, registry
from lti_tool.launch.models import Platform, PlatformInvite, PlatformStatus
from lti_tool.lti_services import ags, nrps, tokens
from lti_tool.lti_services.errors import AccessTokenError, NrpsError
from tests.launch.test_dynamic_registration import (  # noqa: F401 - fixtures
    RegistrationLms,
    invite_path,
    lms,
    lms_server,
    platforms,
    register,
    text,
)
from tests.lti_platform import INSTRUCTOR, launch, start_login

VICTIM_KEYS = "https://lms.example.edu/mod/lti/certs.php"


def victim(issuer: str, client_id: str = "moodle-client-1") -> Platform:
    return registry.add_platform({
        "issuer": issuer, "client_id": client_id, "deployment_ids": ["1"], "name": "Our Moodle",
        "auth_login_url": issuer + "/mod/lti/auth.php", "auth_token_url": issuer + "/mod/lti/token.php",
        "key_set_url": VICTIM_KEYS,
    })


def unchanged(platform_id: int, issuer: str) -> bool:
    db.session.expire_all()
    platform = db.session.get_one(Platform, platform_id)
    return (platform.key_set_url, platform.auth_login_url, platform.auth_token_url,
            platform.status) == (VICTIM_KEYS, issuer + "/mod/lti/auth.php",
                                 issuer + "/mod/lti/token.php", PlatformStatus.ACTIVE)


@pytest.mark.parametrize(
    "url, base, inside",
    [
        ("https://lms.example.edu/.well-known/openid-configuration", "https://lms.example.edu", True),
        ("https://LMS.example.edu:443/x", "https://lms.example.edu/", True),
        ("https://lms.example.edu/moodle/x", "https://lms.example.edu/moodle", True),
        ("https://lms.example.edu/moodle", "https://lms.example.edu/moodle/", True),
        ("https://lms.example.edu/moodle2/x", "https://lms.example.edu/moodle", False),
        ("https://lms.example.edu.evil.example/x", "https://lms.example.edu", False),
        ("https://lms.example.edu@evil.example/x", "https://lms.example.edu", False),
        ("https://evil.example/x", "https://lms.example.edu@evil.example", False),
        ("http://lms.example.edu/x", "https://lms.example.edu", False),
        ("https://lms.example.edu:8443/x", "https://lms.example.edu", False),
        ("javascript:alert(1)", "https://lms.example.edu", False),
        # Dot segments climb out of the base once the server resolves them (urllib3 resolves
        # plain ones, servers decode %2e and often read a backslash as a slash).
        ("https://lms.example.edu/moodle/../evil/x", "https://lms.example.edu/moodle", False),
        ("https://lms.example.edu/moodle/%2e%2e/evil/x", "https://lms.example.edu/moodle", False),
        ("https://lms.example.edu/moodle/..%5cevil/x", "https://lms.example.edu/moodle", False),
        ("https://lms.example.edu/moodle/x", "https://lms.example.edu/evil/../moodle", False),
        ("https://lms.example.edu/moodle/a..b/x", "https://lms.example.edu/moodle", True),
    ],
)
def test_urls_are_compared_by_origin_and_whole_segments(url: str, base: str, inside: bool) -> None:
    assert origins.url_within(url, base) is inside


def test_userinfo_configuration_url_cannot_take_over(client, lms: RegistrationLms) -> None:
    # The LMS server stands in for the attacker's site; the issuer claimed is the victim's.
    issuer = "http://lms.example.edu"
    existing = victim(issuer)
    lms.issuer_override = issuer
    host = lms.url.removeprefix("http://")
    response = register(client, lms, config_url=f"{issuer}@{host}/.well-known/openid-configuration")
    assert response.status_code == 400
    assert lms.config_requests == [] and lms.received == []
    assert unchanged(existing.id, issuer) and len(platforms()) == 1


def test_issuer_prefix_on_another_port_cannot_take_over(client, lms: RegistrationLms) -> None:
    # "http://127.0.0.1" is a string prefix of the LMS's "http://127.0.0.1:<port>", not its origin.
    issuer = "http://127.0.0.1"
    existing = victim(issuer)
    lms.issuer_override = issuer
    response = register(client, lms)
    assert response.status_code == 400 and "does not belong to the issuer" in text(response)
    assert lms.received == []
    assert unchanged(existing.id, issuer) and len(platforms()) == 1


def test_known_issuer_and_client_id_are_refused_not_updated(client, lms: RegistrationLms) -> None:
    existing = victim(lms.url)  # the same issuer and the client id the LMS will hand out
    path = invite_path()
    response = register(client, lms, path=path)
    assert response.status_code == 409
    page = text(response)
    assert "already known to Ritmo" in page and "lti-tool platform remove" in page
    assert unchanged(existing.id, lms.url) and len(platforms()) == 1
    # The invitation was not spent by the refused registration.
    assert db.session.execute(sa.select(PlatformInvite.used_at)).scalar_one() is None


def test_allowed_issuers_compare_origins(client, lms: RegistrationLms, app) -> None:
    app.config["REGISTRATION_ALLOWED_ISSUERS"] = ["http://127.0.0.1"]  # a string prefix only
    response = register(client, lms)
    assert response.status_code == 403 and lms.config_requests == []
    app.config["REGISTRATION_ALLOWED_ISSUERS"] = [lms.url]
    lms.overrides = {"jwks_uri": "http://127.0.0.2:9/jwks"}  # outside every allowed origin
    response = register(client, lms)
    assert response.status_code == 403 and lms.received == [] and platforms() == []


def test_endpoints_must_be_plain_http_urls(client, lms: RegistrationLms) -> None:
    host = lms.url.removeprefix("http://")
    lms.overrides = {"registration_endpoint": f"http://lms.example.edu@{host}/register"}
    response = register(client, lms)
    assert response.status_code == 400
    assert lms.received == [] and platforms() == []


def test_private_addresses_are_refused_in_production(client, lms: RegistrationLms, app) -> None:
    app.config["ALLOW_PRIVATE_URLS"] = False
    port = lms.url.rsplit(":", 1)[1]
    for url in (lms.config_url, f"https://127.0.0.1:{port}/.well-known/openid-configuration",
                "https://169.254.169.254/latest/meta-data/", "https://10.0.0.5/openid",
                f"https://[::1]:{port}/.well-known/openid-configuration",
                f"https://localhost:{port}/.well-known/openid-configuration"):
        response = register(client, lms, config_url=url)
        assert response.status_code == 400, url
        assert "Ritmo will not contact the LMS" in text(response)
    assert lms.config_requests == [] and platforms() == []


def test_invite_link_registers_active_once(client, lms: RegistrationLms, runner) -> None:
    result = runner.invoke(args=["platform", "invite", "--name", "Our Moodle"])
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    assert url.startswith("http://127.0.0.1:5000/lti/register/")
    token = url.rsplit("/", 1)[1]
    invite = db.session.execute(sa.select(PlatformInvite)).scalar_one()
    assert token not in invite.token_hash and len(invite.token_hash) == 64  # only a digest

    path = url.removeprefix("http://127.0.0.1:5000")
    response = register(client, lms, path=path)
    assert response.status_code == 200, text(response)
    [platform] = platforms()
    assert platform.status is PlatformStatus.ACTIVE and platform.name == "Our Moodle"
    db.session.expire_all()
    invite = db.session.execute(sa.select(PlatformInvite)).scalar_one()
    assert invite.used_at is not None and invite.platform_id == platform.id
    lms.platform.client_id, lms.platform.deployment_id = "moodle-client-1", "dep-1"
    assert launch(client, lms.platform, roles=[INSTRUCTOR]).status_code == 200

    # Spent: a second LMS dialog with the same link is refused before any request.
    asked = len(lms.config_requests)
    again = register(client, lms, token="token-2", path=path)
    assert again.status_code == 410 and "expired or was already used" in text(again)
    assert len(lms.config_requests) == asked and len(platforms()) == 1


def test_expired_or_unknown_invite_is_refused(client, lms: RegistrationLms) -> None:
    path = invite_path()
    db.session.execute(sa.update(PlatformInvite).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert register(client, lms, path=path).status_code == 410
    assert register(client, lms, path="/lti/register/not-a-real-link").status_code == 410
    assert lms.config_requests == [] and platforms() == []


def test_failed_registration_gives_the_invite_back(client, lms: RegistrationLms) -> None:
    path = invite_path()
    lms.fail_with = (400, {"error": "invalid_client_metadata"})
    assert register(client, lms, path=path).status_code == 502
    lms.fail_with = None
    assert register(client, lms, path=path).status_code == 200
    assert platforms()[0].status is PlatformStatus.ACTIVE


def test_approve_only_pending(client, lms: RegistrationLms, runner) -> None:
    assert register(client, lms).status_code == 200
    [platform] = platforms()
    assert platform.status is PlatformStatus.PENDING
    ok = runner.invoke(args=["platform", "approve", str(platform.id)])
    assert ok.exit_code == 0 and lms.url + "/jwks" in ok.output
    again = runner.invoke(args=["platform", "approve", str(platform.id)])
    assert again.exit_code == 2 and "not pending" in again.output


class _Counter:
    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.paths.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"access_token": "t", "expires_in": 3600, "members": []}']


@pytest.mark.parametrize("status", [PlatformStatus.PENDING, PlatformStatus.DISABLED])
def test_pending_or_disabled_platform_can_neither_launch_nor_be_called(client, lms, status) -> None:
    counter = _Counter()
    with serve_in_thread(counter) as server:
        values = {**lms.platform.registration(), "auth_token_url": server.url + "/token"}
        platform = registry.add_platform(values)
        # Logged in while active, then the admin disabled it (or it was pending all along).
        auth = start_login(client, lms.platform)
        registry.set_status(platform.id, status)
        from lti_tool.launch import memo

        memo.forget_platform(platform.id)
        posted = client.post("/lti/launch", data={
            "id_token": lms.platform.sign(lms.platform.claims(auth["nonce"])),
            "state": auth["state"]})
        assert posted.status_code == 403 and "Ritmo could not be opened" in text(posted)
        login = client.get("/lti/login", query_string={
            "iss": lms.platform.issuer, "client_id": lms.platform.client_id, "login_hint": "u",
            "target_link_uri": "http://127.0.0.1:5000/lti/launch"})
        assert login.status_code == 403
        with pytest.raises(AccessTokenError) as caught:
            tokens.access_token(platform, ags.DELIVERY_SCOPES)
        assert not caught.value.transient and status.value in caught.value.message
        with pytest.raises(NrpsError):
            list(nrps.members(platform, server.url + "/members", token=lambda p, s: "t"))
    assert counter.paths == []
