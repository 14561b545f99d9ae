"""LTI Dynamic Registration against a platform-side registration service on 127.0.0.1.

The service below plays the LMS: it publishes an OpenID configuration, checks registrations the way
Moodle's ``registration_helper.php`` does, spends registration tokens once, and can answer like
Canvas (Bearer token required on the configuration, no deployment id in the answer).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from lti_tool.audit import AuditEvent
from lti_tool.db import db
from lti_tool.launch.models import Platform, PlatformStatus
from tests import lti_platform
from tests.lti_platform import INSTRUCTOR, launch

TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
AGS_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


@dataclass
class RegistrationLms:
    """The platform side of dynamic registration, served over real HTTP."""

    variant: str = "moodle"
    tokens: set[str] = field(default_factory=set)
    issuer_override: str | None = None
    fail_with: tuple[int, Any] | None = None
    messages_supported: list[Any] | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    # Members of the configuration replaced as they are (an attacker's or a broken LMS's).
    overrides: dict[str, Any] = field(default_factory=dict)
    config_requests: list[dict[str, str]] = field(default_factory=list)
    platform: lti_platform.TestPlatform | None = None
    url: str = ""
    _clients: int = 0

    def reset(self, variant: str = "moodle") -> None:
        self.variant = variant
        self.tokens = {"token-1", "token-2"}
        self.issuer_override = None
        self.fail_with = None
        self.messages_supported = None
        self.received.clear()
        self.overrides = {}
        self.config_requests.clear()
        self._clients = 0

    @property
    def config_url(self) -> str:
        return self.url + "/.well-known/openid-configuration"

    def configuration(self) -> dict[str, Any]:
        family = "canvas" if self.variant == "canvas" else "moodle"
        supported = self.messages_supported
        if supported is None:
            supported = [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}]
        return {**self._configuration_members(supported, family), **self.overrides}

    def _configuration_members(self, supported: list[Any], family: str) -> dict[str, Any]:
        return {
            "issuer": self.issuer_override or self.url,
            "authorization_endpoint": self.url + "/auth",
            "token_endpoint": self.url + "/token",
            "jwks_uri": self.url + "/jwks",
            "registration_endpoint": self.url + "/register",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", AGS_SCORE, NRPS,
                                 "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                                 "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
                                 "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"],
            "response_types_supported": ["id_token"],
            "claims_supported": ["sub", "iss", "name", "email"],
            PLATFORM_CONFIG: {
                "product_family_code": family,
                "version": "4.3" if family == "moodle" else "cloud",
                "messages_supported": supported,
            },
        }

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/.well-known/openid-configuration":
            response = self._configuration(request)
        elif request.path == "/register" and request.method == "POST":
            response = self._register(request)
        elif request.path == "/jwks" and self.platform is not None:
            response = _json(self.platform.jwks())
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def _configuration(self, request: Request) -> Response:
        self.config_requests.append({"authorization": request.headers.get("Authorization", "")})
        if self.variant == "canvas":
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.tokens:
                return _json({"errors": [{"message": "registration token required"}]}, 401)
        return _json(self.configuration())

    def _register(self, request: Request) -> Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return Response("Unauthorized: the registration token is invalid or was already used",
                            status=401)
        body = request.get_json()
        self.received.append(body)
        if self.fail_with is not None:
            status, payload = self.fail_with
            return _json(payload, status) if isinstance(payload, dict) else Response(payload,
                                                                                     status=status)
        problem = moodle_check(body)
        if problem:
            return _json({"error": "invalid_client_metadata", "error_description": problem}, 400)
        self.tokens.discard(token)  # single use
        self._clients += 1
        client_id = f"{self.variant}-client-{self._clients}"
        tool_config: dict[str, Any] = dict(body[TOOL_CONFIG])
        if self.variant == "moodle":
            tool_config["deployment_id"] = f"dep-{self._clients}"
        answer = {**body, "client_id": client_id, TOOL_CONFIG: tool_config}
        return _json(answer)


def moodle_check(body: dict[str, Any]) -> str | None:
    """The checks of Moodle's registration_helper::registration_to_config."""
    if "id_token" not in body.get("response_types", []):
        return "invalid_response_types"
    for name in ("initiate_login_uri", "redirect_uris", "client_name", "jwks_uri"):
        if not body.get(name):
            return f"missing {name}"
    if body.get("token_endpoint_auth_method") != "private_key_jwt":
        return "invalid_token_endpoint_auth_method"
    if sorted(body.get("grant_types", [])) != ["client_credentials", "implicit"]:
        return "invalid_grant_types"
    tool = body.get(TOOL_CONFIG)
    if not isinstance(tool, dict) or not tool.get("domain") or not tool.get("target_link_uri"):
        return "missing tool configuration domain or target_link_uri"
    return None


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


@pytest.fixture(scope="module")
def lms_server() -> Iterator[RegistrationLms]:
    lms = RegistrationLms()
    server = make_server("127.0.0.1", 0, lms, threaded=True)
    lms.url = f"http://127.0.0.1:{server.server_port}"
    lms.platform = lti_platform.TestPlatform(issuer=lms.url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield lms
    server.shutdown()


@pytest.fixture
def lms(app, lms_server: RegistrationLms) -> RegistrationLms:
    lms_server.reset()
    return lms_server


def register(client, lms: RegistrationLms, token: str | None = "token-1", config_url: str | None = None,
             path: str = "/lti/register"):
    query = {"openid_configuration": config_url or lms.config_url}
    if token:
        query["registration_token"] = token
    return client.get(path, query_string=query)


def invite_path(name: str = "") -> str:
    """The path of a fresh registration link, as 'lti-tool platform invite' prints it."""
    from lti_tool.launch import invites

    _, url = invites.create(name)
    return urlsplit(url).path


def platforms() -> list[Platform]:
    return list(db.session.execute(sa.select(Platform)).scalars())


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_moodle_round_trip_registers_and_launches(client, lms):
    # Through the admin's registration link: active at once.
    response = register(client, lms, path=invite_path())
    assert response.status_code == 200, text(response)
    body = lms.received[0]
    # What Moodle requires, and what Ritmo needs the platform to enable.
    assert body["response_types"] == ["id_token"]
    assert body["grant_types"] == ["implicit", "client_credentials"]
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert body["initiate_login_uri"] == "http://127.0.0.1:5000/lti/login"
    assert body["redirect_uris"] == ["http://127.0.0.1:5000/lti/launch"]
    assert body["jwks_uri"].startswith("http://127.0.0.1:5000/")
    assert body["client_name"] == "Ritmo"
    assert set(body["scope"].split()) >= {AGS_SCORE, NRPS}
    tool = body[TOOL_CONFIG]
    assert tool["domain"] == "127.0.0.1:5000"
    assert tool["target_link_uri"] == "http://127.0.0.1:5000/lti/launch"
    assert {"sub", "name", "email"} <= set(tool["claims"])
    assert {m["type"] for m in tool["messages"]} == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert lms.config_requests[0]["authorization"] == "Bearer token-1"

    [platform] = platforms()
    assert (platform.issuer, platform.client_id) == (lms.url, "moodle-client-1")
    assert [d.deployment_id for d in platform.deployments] == ["dep-1"]
    assert platform.status is PlatformStatus.ACTIVE and not platform.accept_first_deployment
    assert platform.product_family == "moodle"
    assert platform.auth_login_url == lms.url + "/auth" and platform.key_set_url == lms.url + "/jwks"
    page = text(response)
    assert "moodle-client-1" in page and "dep-1" in page
    assert "org.imsglobal.lti.close" in page and 'data-autoclose="true"' in page
    audit = db.session.execute(sa.select(AuditEvent)).scalar_one()
    assert audit.action == "platform.registered" and audit.detail["client_id"] == "moodle-client-1"

    lms.platform.client_id, lms.platform.deployment_id = "moodle-client-1", "dep-1"
    assert launch(client, lms.platform, roles=[INSTRUCTOR]).status_code == 200


def test_registration_token_is_spent_once(client, lms):
    assert register(client, lms).status_code == 200
    # The admin reloads the dialog: Ritmo shows the result without spending the token again.
    again = register(client, lms)
    assert again.status_code == 200 and "moodle-client-1" in text(again)
    assert len(lms.received) == 1 and len(platforms()) == 1
    # A token the LMS already spent elsewhere is refused by the LMS; the admin is told why.
    lms.tokens.discard("token-2")
    refused = register(client, lms, token="token-2")
    assert refused.status_code == 502
    page = text(refused)
    assert "refused the registration token" in page
    assert "HTTP status 401" in page and "already used" not in page  # never the LMS's own words
    assert "Start the registration again from the LMS" in page
    assert len(platforms()) == 1


def test_issuer_mismatch_is_refused(client, lms):
    lms.issuer_override = "https://lms.example.edu"
    response = register(client, lms)
    assert response.status_code == 400
    assert "does not belong to the issuer" in text(response)
    assert lms.received == [] and platforms() == []


def test_canvas_variant_accepts_first_deployment_once(client, lms):
    lms.reset("canvas")
    response = register(client, lms, path=invite_path())
    assert response.status_code == 200, text(response)
    assert lms.config_requests[0]["authorization"] == "Bearer token-1"
    [platform] = platforms()
    assert platform.client_id == "canvas-client-1" and platform.deployments == []
    assert platform.accept_first_deployment and platform.product_family == "canvas"
    assert "first launch" in text(response)

    lms.platform.client_id, lms.platform.deployment_id = "canvas-client-1", "canvas-dep-7"
    assert launch(client, lms.platform).status_code == 200
    db.session.expire_all()
    assert [d.deployment_id for d in platforms()[0].deployments] == ["canvas-dep-7"]
    lms.platform.deployment_id = "canvas-dep-8"
    assert launch(client, lms.platform, sub="user-2").status_code == 400


def test_platform_error_is_shown_with_next_step(client, lms, caplog):
    # Say the level: an earlier test's Celery worker may have raised the root logger's.
    caplog.set_level(logging.WARNING, logger="lti_tool.registration")
    lms.fail_with = (400, {"error": "invalid_client_metadata",
                           "error_description": "LTI Advantage services are disabled"})
    response = register(client, lms)
    assert response.status_code == 502
    page = text(response)
    assert "The LMS rejected Ritmo&#39;s registration" in page
    # Only the status: the answer's body is never shown nor logged (it could be any server's).
    assert "HTTP status 400" in page and "LTI Advantage services" not in page
    assert "LTI Advantage services" not in caplog.text and "answered 400" in caplog.text
    assert "setup page" in page
    assert platforms() == []
    # The failed attempt did not lock the token: the admin may retry once the LMS is fixed.
    lms.fail_with = None
    assert register(client, lms).status_code == 200


def test_plain_text_platform_error_is_not_echoed(client, lms):
    lms.fail_with = (500, "Internal error: registration table is locked")
    response = register(client, lms)
    assert response.status_code == 502
    assert "HTTP status 500" in text(response) and "table is locked" not in text(response)


def test_registration_is_pending_until_approved_by_default(client, lms, app, runner):
    response = register(client, lms)
    assert response.status_code == 200
    [platform] = platforms()
    assert platform.status is PlatformStatus.PENDING
    page = text(response)
    assert f"lti-tool platform approve {platform.id}" in page
    # The dialog stays open so the admin reads how to approve.
    assert 'data-autoclose="false"' in page

    lms.platform.client_id, lms.platform.deployment_id = "moodle-client-1", "dep-1"
    blocked = client.get("/lti/login", query_string={
        "iss": lms.url, "client_id": "moodle-client-1", "login_hint": "u",
        "target_link_uri": "http://127.0.0.1:5000/lti/launch"})
    assert blocked.status_code == 403 and "approval" in text(blocked)
    result = runner.invoke(args=["platform", "approve", str(platform.id)])
    assert result.exit_code == 0, result.output
    assert launch(client, lms.platform).status_code == 200


def test_approval_can_be_turned_off(client, lms, app):
    app.config["REGISTRATION_REQUIRES_APPROVAL"] = False
    assert register(client, lms).status_code == 200
    assert platforms()[0].status is PlatformStatus.ACTIVE


def test_messages_follow_what_the_platform_supports(client, lms):
    lms.messages_supported = ["LtiResourceLinkRequest"]
    assert register(client, lms).status_code == 200
    messages = lms.received[0][TOOL_CONFIG]["messages"]
    assert [m["type"] for m in messages] == ["LtiResourceLinkRequest"]


def test_unreachable_platform(client, lms):
    response = register(client, lms, config_url="http://127.0.0.1:9/.well-known/openid-configuration")
    assert response.status_code == 502
    assert "could not reach the LMS" in text(response)


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://lms.example.edu/.well-known/openid-configuration", "is not an https URL"),
        ("", "openid_configuration is missing"),
    ],
)
def test_bad_configuration_address(client, lms, app, url, words):
    app.config["ALLOW_PRIVATE_URLS"] = False
    response = client.get("/lti/register", query_string={"openid_configuration": url})
    assert response.status_code == 400
    assert words in text(response)
    assert lms.config_requests == []


def test_allowed_issuers_setting(client, lms, app):
    app.config["REGISTRATION_ALLOWED_ISSUERS"] = ["https://moodle.example.edu"]
    response = register(client, lms)
    assert response.status_code == 403
    assert "LTI_TOOL_REGISTRATION_ALLOWED_ISSUERS" in text(response)
    app.config["REGISTRATION_ALLOWED_ISSUERS"] = [lms.url]
    assert register(client, lms).status_code == 200
