"""LTI Dynamic Registration: an LMS admin pastes one URL and Ritmo registers itself.

The LMS opens ``/lti/register?openid_configuration=...&registration_token=...``. Ritmo reads the
platform's OpenID configuration, checks it, posts its own configuration to the platform's
registration endpoint with the (single use) token, and stores the client id and deployment it gets
back. Platforms differ in small ways (Canvas returns no deployment id; Moodle wants implicit and
client_credentials grants): :mod:`lti_tool.launch.tool_configuration` is written for both.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool import audit
from lti_tool.cache import cache
from lti_tool.db import db
from lti_tool.errors import RitmoError
from lti_tool.http import http_session
from lti_tool.launch import registry
from lti_tool.launch.models import Platform, PlatformStatus
from lti_tool.launch.tool_configuration import (
    PLATFORM_CONFIGURATION_CLAIM,
    RESOURCE_LINK_REQUEST,
    TOOL_CONFIGURATION_CLAIM,
    registration_request,
)

log = logging.getLogger("lti_tool.registration")

# How long a finished registration is remembered, so reloading the LMS dialog shows the result
# instead of spending the single-use token a second time.
RESULT_TTL_SECONDS = 3600
# How long one attempt may hold its token before another request may try again.
ATTEMPT_TTL_SECONDS = 120
# Platform error texts shown to the admin are cut to this length.
MAX_ERROR_TEXT = 600

REQUIRED_CONFIGURATION = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
                          "registration_endpoint")


class RegistrationFailed(RitmoError):
    """A registration that could not complete. ``platform_error`` is what the LMS said, verbatim;
    ``next_step`` what the admin should do."""

    status = 502
    title = _l("Ritmo could not register with this LMS")
    default_detail = _l("The registration did not complete.")

    def __init__(self, detail: str, next_step: str, *, platform_error: str | None = None,
                 status: int | None = None) -> None:
        super().__init__(detail)
        self.next_step = next_step
        self.platform_error = platform_error
        if status:
            self.status = status
        log.warning("dynamic registration failed: %s (%s)", detail, platform_error or "-")


@dataclass(frozen=True)
class RegistrationResult:
    platform_id: int
    platform_name: str
    issuer: str
    client_id: str
    deployment_id: str | None
    status: PlatformStatus
    product_family: str | None

    @property
    def pending(self) -> bool:
        return self.status is PlatformStatus.PENDING

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform_id": self.platform_id, "platform_name": self.platform_name,
            "issuer": self.issuer, "client_id": self.client_id,
            "deployment_id": self.deployment_id, "status": self.status.value,
            "product_family": self.product_family,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegistrationResult:
        return cls(**{**data, "status": PlatformStatus(data["status"])})


def register(openid_configuration: str, registration_token: str | None) -> RegistrationResult:
    """Run one dynamic registration end to end; raises :class:`RegistrationFailed`."""
    if not openid_configuration:
        raise RegistrationFailed(
            _("The LMS did not say where its configuration is (openid_configuration is missing)."),
            _("Start the registration from the LMS's tool registration page, pasting %(url)s as "
              "the tool's registration URL; do not open this address directly.",
              url=_register_url()),
            status=400,
        )
    _check_url(openid_configuration)
    key = _token_key(registration_token)
    if key:
        done = cache().get("dynreg-result:" + key)
        if done:
            return RegistrationResult.from_dict(done)
        if not cache().add("dynreg-attempt:" + key, {"at": "started"}, ATTEMPT_TTL_SECONDS):
            raise RegistrationFailed(
                _("This registration is already being processed."),
                _("Wait a moment and reload this page, or start the registration again from the "
                  "LMS: registration tokens can be used only once."),
                status=409,
            )
    try:
        result = _register(openid_configuration, registration_token)
    except RegistrationFailed:
        if key:
            cache().delete("dynreg-attempt:" + key)
        raise
    if key:
        cache().set("dynreg-result:" + key, result.as_dict(), RESULT_TTL_SECONDS)
    return result


def _register(openid_configuration: str, registration_token: str | None) -> RegistrationResult:
    config = fetch_platform_configuration(openid_configuration, registration_token)
    body = registration_request_for(config)
    answer = post_registration(config["registration_endpoint"], body, registration_token)
    return store(config, answer)


def _register_url() -> str:
    return current_app.config["BASE_URL"] + "/lti/register"


def _token_key(token: str | None) -> str | None:
    # Only a digest is kept: the token itself is a credential.
    return hashlib.sha256(token.encode()).hexdigest() if token else None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    secure = parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname or ""))
    if not parts.netloc or not secure:
        raise RegistrationFailed(
            _("The LMS's configuration address %(url)s is not an https URL.", url=url),
            _("Register over https: the LMS must be reachable at an https address."),
            status=400,
        )
    allowed: list[str] = current_app.config["REGISTRATION_ALLOWED_ISSUERS"]
    if allowed and not any(url.startswith(prefix) for prefix in allowed):
        raise RegistrationFailed(
            _("This Ritmo only accepts registrations from the LMSs its administrator listed."),
            _("Ask Ritmo's administrator to add your LMS's address to "
              "LTI_TOOL_REGISTRATION_ALLOWED_ISSUERS, then start again from the LMS."),
            status=403,
        )


def _timeout() -> Any:
    return current_app.config["HTTP_TIMEOUT_SECONDS"]


def _platform_error(response: requests.Response) -> str:
    """What the platform said, in the form it said it (JSON error members or plain text)."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        parts = [str(data[k]) for k in ("error", "error_description", "message", "errors")
                 if data.get(k)]
        if parts:
            return " - ".join(parts)[:MAX_ERROR_TEXT]
    text = " ".join(response.text.split())
    return f"HTTP {response.status_code}: {text}"[:MAX_ERROR_TEXT]


def fetch_platform_configuration(url: str, token: str | None) -> dict[str, Any]:
    """GET the platform's OpenID configuration and check what registration relies on."""
    headers = {"Accept": "application/json"}
    if token:
        # Canvas requires the registration token here as well; Moodle ignores it.
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = http_session().get(url, headers=headers, timeout=_timeout())
    except requests.RequestException as error:
        raise RegistrationFailed(
            _("Ritmo could not reach the LMS at %(url)s.", url=url),
            _("Check that Ritmo's server can open https connections to the LMS (firewall, proxy, "
              "DNS), then start the registration again from the LMS."),
            platform_error=str(error),
        ) from error
    if response.status_code >= 400:
        raise RegistrationFailed(
            _("The LMS refused to give its configuration to Ritmo."),
            _("Start the registration again from the LMS: the registration token may have "
              "expired or been used already."),
            platform_error=_platform_error(response),
        )
    try:
        config = response.json()
    except ValueError:
        config = None
    if not isinstance(config, dict):
        raise RegistrationFailed(
            _("The LMS's configuration at %(url)s is not JSON.", url=url),
            _("Check that the registration URL the LMS uses is its OpenID configuration "
              "(it usually ends in /.well-known/openid-configuration)."),
            platform_error=_platform_error(response),
        )
    missing = [name for name in REQUIRED_CONFIGURATION if not isinstance(config.get(name), str)]
    if missing:
        raise RegistrationFailed(
            _("The LMS's configuration lacks %(names)s.", names=", ".join(missing)),
            _("This LMS does not seem to support LTI 1.3 dynamic registration. Register Ritmo "
              "manually with the values on Ritmo's setup page."),
        )
    issuer = config["issuer"]
    # LTI Dynamic Registration 3.5.1: the configuration must live under the issuer it declares,
    # otherwise any site could claim to be any LMS.
    if not issuer or not url.startswith(issuer):
        raise RegistrationFailed(
            _("The LMS's configuration address does not belong to the issuer it declares "
              "(%(issuer)s).", issuer=issuer),
            _("Ritmo refuses such configurations for safety. Check the LMS's issuer (platform "
              "ID) setting, or register Ritmo manually."),
            status=400,
        )
    methods = config.get("token_endpoint_auth_methods_supported")
    if isinstance(methods, list) and "private_key_jwt" not in methods:
        raise RegistrationFailed(
            _("The LMS does not accept signed client assertions (private_key_jwt)."),
            _("Ritmo needs LTI 1.3 service authentication; register it manually instead."),
        )
    algorithms = config.get("id_token_signing_alg_values_supported")
    if isinstance(algorithms, list) and "RS256" not in algorithms:
        raise RegistrationFailed(
            _("The LMS does not sign launches with RS256."),
            _("LTI 1.3 requires RS256; check the LMS's LTI settings."),
        )
    return config


def registration_request_for(config: dict[str, Any]) -> dict[str, Any]:
    """Ritmo's registration, trimmed to the scopes and messages the platform says it supports."""
    body = registration_request()
    scopes_supported = config.get("scopes_supported")
    if isinstance(scopes_supported, list):
        body["scope"] = " ".join(s for s in body["scope"].split() if s in scopes_supported)
    platform = config.get(PLATFORM_CONFIGURATION_CLAIM)
    supported = platform.get("messages_supported") if isinstance(platform, dict) else None
    if isinstance(supported, list):
        names = {m.get("type") if isinstance(m, dict) else m for m in supported}
        names.add(RESOURCE_LINK_REQUEST)
        body[TOOL_CONFIGURATION_CLAIM]["messages"] = [
            m for m in body[TOOL_CONFIGURATION_CLAIM]["messages"] if m["type"] in names
        ]
    return body


def post_registration(endpoint: str, body: dict[str, Any], token: str | None) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = http_session().post(endpoint, json=body, headers=headers, timeout=_timeout())
    except requests.RequestException as error:
        raise RegistrationFailed(
            _("Ritmo could not reach the LMS's registration endpoint."),
            _("Check that Ritmo's server can reach %(url)s, then start again from the LMS.",
              url=endpoint),
            platform_error=str(error),
        ) from error
    if response.status_code in (401, 403):
        raise RegistrationFailed(
            _("The LMS refused the registration token."),
            _("Registration tokens work once and expire quickly. Start the registration again "
              "from the LMS."),
            platform_error=_platform_error(response),
        )
    if response.status_code >= 400:
        raise RegistrationFailed(
            _("The LMS rejected Ritmo's registration."),
            _("Read the LMS's message below. If it names a setting on the LMS side (for example a "
              "disabled service), change it and start again; otherwise register Ritmo manually "
              "with the values on Ritmo's setup page and report the message to Ritmo's "
              "maintainers."),
            platform_error=_platform_error(response),
        )
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("client_id"), str | int):
        raise RegistrationFailed(
            _("The LMS answered without a client id."),
            _("Check in the LMS whether Ritmo was registered anyway; if so, finish it manually "
              "with 'lti-tool platform add'."),
            platform_error=_platform_error(response),
        )
    return answer


def store(config: dict[str, Any], answer: dict[str, Any]) -> RegistrationResult:
    """Save the registration; pending until approved when the installation asks for approval."""
    tool_config = answer.get(TOOL_CONFIGURATION_CLAIM)
    tool_config = tool_config if isinstance(tool_config, dict) else {}
    deployment_id = tool_config.get("deployment_id")
    deployment_id = str(deployment_id) if deployment_id not in (None, "") else None
    platform_claim = config.get(PLATFORM_CONFIGURATION_CLAIM)
    platform_claim = platform_claim if isinstance(platform_claim, dict) else {}
    product_family = platform_claim.get("product_family_code")
    product_family = str(product_family)[:128] if product_family else None
    issuer = config["issuer"]
    name = f"{product_family or 'LMS'} at {urlsplit(issuer).netloc}"
    status = (
        PlatformStatus.PENDING
        if current_app.config["REGISTRATION_REQUIRES_APPROVAL"]
        else PlatformStatus.ACTIVE
    )
    values = {
        "issuer": issuer,
        "client_id": str(answer["client_id"]),
        "name": name[:255],
        "auth_login_url": config["authorization_endpoint"],
        "auth_token_url": config["token_endpoint"],
        "key_set_url": config["jwks_uri"],
        # Some platforms name a separate audience for client assertions.
        "token_audience": config.get("authorization_server") or None,
    }
    try:
        platform = registry.save_registration(
            values, deployment_id, status=status, product_family=product_family
        )
    except RitmoError as error:
        db.session.rollback()
        raise RegistrationFailed(
            _("The LMS's registration details are not usable: %(detail)s", detail=error.detail),
            _("Register Ritmo manually with the values on Ritmo's setup page."),
            platform_error=str(error.errors or ""),
        ) from error
    audit.record(
        "platform.registered", "platform", platform.id, via="dynamic_registration",
        issuer=issuer, client_id=platform.client_id, deployment_id=deployment_id,
        status=platform.status.value, product_family=product_family,
    )
    db.session.commit()
    log.info("dynamic registration: platform %s (%s, client %s, deployment %s, %s)",
             platform.id, issuer, platform.client_id, deployment_id or "first launch",
             platform.status.value)
    return _result(platform, deployment_id)


def _result(platform: Platform, deployment_id: str | None) -> RegistrationResult:
    return RegistrationResult(
        platform_id=platform.id, platform_name=platform.name, issuer=platform.issuer,
        client_id=platform.client_id, deployment_id=deployment_id, status=platform.status,
        product_family=platform.product_family,
    )

