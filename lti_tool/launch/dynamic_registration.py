"""LTI Dynamic Registration: an LMS admin pastes one URL and Ritmo registers itself.

The LMS opens ``/lti/register?openid_configuration=...&registration_token=...``. Ritmo reads the
platform's OpenID configuration, checks it, posts its own configuration to the platform's
registration endpoint with the (single use) token, and stores the client id and deployment it gets
back. Platforms differ in small ways (Canvas returns no deployment id; Moodle wants implicit and
client_credentials grants): :mod:`lti_tool.launch.tool_configuration` is written for both.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool import audit, http
from lti_tool.cache import cache
from lti_tool.db import db
from lti_tool.errors import RitmoError
from lti_tool.launch import invites, origins, registry
from lti_tool.launch.models import Platform, PlatformInvite, PlatformStatus
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

REQUIRED_CONFIGURATION = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
                          "registration_endpoint")
# The configuration's addresses Ritmo stores or calls: each must pass the same checks.
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")


class RegistrationFailed(RitmoError):
    """A registration that could not complete. ``next_step`` says what the admin should do;
    ``lms_status`` is the HTTP status the LMS answered, if any. ``reason`` goes to the log only:
    the page never repeats what a remote server answered."""

    status = 502
    title = _l("Ritmo could not register with this LMS")
    default_detail = _l("The registration did not complete.")

    def __init__(self, detail: str, next_step: str, *, reason: str | None = None,
                 lms_status: int | None = None, status: int | None = None) -> None:
        super().__init__(detail)
        self.next_step = next_step
        self.lms_status = lms_status
        if status:
            self.status = status
        log.warning("dynamic registration failed: %s (%s)", detail, reason or "-")


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


def register(openid_configuration: str, registration_token: str | None,
             invite_token: str | None = None) -> RegistrationResult:
    """Run one dynamic registration end to end; raises :class:`RegistrationFailed`.

    ``invite_token`` comes from a registration link the admin made: the platform is then active at
    once and the link spent. Without one, the platform waits for approval (unless the installation
    turned ``REGISTRATION_REQUIRES_APPROVAL`` off).
    """
    if not openid_configuration:
        raise RegistrationFailed(
            _("The LMS did not say where its configuration is (openid_configuration is missing)."),
            _("Start the registration from the LMS's tool registration page, pasting %(url)s as "
              "the tool's registration URL; do not open this address directly.",
              url=_register_url()),
            status=400,
        )
    _check_address(openid_configuration)
    _check_allowed(openid_configuration, [])
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
    invite: PlatformInvite | None = None
    try:
        if invite_token is not None:
            invite = _claim_invite(invite_token)
        result = _register(openid_configuration, registration_token, invite)
    except BaseException:
        # Whatever stopped it, the token may be tried again and the link is given back.
        if key:
            cache().delete("dynreg-attempt:" + key)
        if invite is not None:
            invites.release(invite)
        raise
    if key:
        cache().set("dynreg-result:" + key, result.as_dict(), RESULT_TTL_SECONDS)
    return result


def _register(openid_configuration: str, registration_token: str | None,
              invite: PlatformInvite | None) -> RegistrationResult:
    config = fetch_platform_configuration(openid_configuration, registration_token)
    body = registration_request_for(config)
    answer = post_registration(config["registration_endpoint"], body, registration_token)
    return store(config, answer, invite)


def _claim_invite(token: str) -> PlatformInvite:
    try:
        return invites.claim(token)
    except invites.InviteUnusable:
        raise RegistrationFailed(
            _("This registration link has expired or was already used."),
            _("Registration links work once and for a limited time. Ask Ritmo's administrator "
              "for a new one ('lti-tool platform invite'), or register with the plain "
              "registration URL %(url)s and wait for approval.", url=_register_url()),
            reason="unknown, spent or expired invitation",
            status=410,
        ) from None


def _register_url() -> str:
    return current_app.config["BASE_URL"] + "/lti/register"


def _token_key(token: str | None) -> str | None:
    # Only a digest is kept: the token itself is a credential.
    return hashlib.sha256(token.encode()).hexdigest() if token else None


def _check_address(url: str) -> None:
    """Refuse before any request what the address alone shows is not a public https URL."""
    try:
        http.check_url(url, allow_private=current_app.config["ALLOW_PRIVATE_URLS"])
    except http.OutboundRefused as error:
        raise RegistrationFailed(
            _("Ritmo will not contact the LMS at %(url)s: it is not an https URL of a public "
              "address.", url=url),
            _("Register over https: the LMS and all its LTI endpoints must be reachable at public "
              "https addresses."),
            reason=str(error), status=400,
        ) from error


def _check_allowed(url: str, also: list[str]) -> None:
    """With ``REGISTRATION_ALLOWED_ISSUERS`` set, ``url`` must lie under one of them (or ``also``)."""
    allowed: list[str] = current_app.config["REGISTRATION_ALLOWED_ISSUERS"]
    if allowed and not origins.within_any(url, allowed + also):
        raise RegistrationFailed(
            _("This Ritmo only accepts registrations from the LMSs its administrator listed."),
            _("Ask Ritmo's administrator to add your LMS's address to "
              "LTI_TOOL_REGISTRATION_ALLOWED_ISSUERS, then start again from the LMS."),
            reason=f"{url} is not under {allowed}", status=403,
        )


def _unreachable(error: requests.RequestException, url: str) -> RegistrationFailed:
    if isinstance(error, http.OutboundRefused):
        return RegistrationFailed(
            _("Ritmo will not contact the LMS at %(url)s.", url=url),
            _("The LMS and all its LTI endpoints must be reachable at public https addresses, "
              "without redirects."),
            reason=str(error), status=400,
        )
    return RegistrationFailed(
        _("Ritmo could not reach the LMS at %(url)s.", url=url),
        _("Check that Ritmo's server can open https connections to the LMS (firewall, proxy, "
          "DNS), then start the registration again from the LMS."),
        reason=f"{type(error).__name__}: {error}",
    )


def fetch_platform_configuration(url: str, token: str | None) -> dict[str, Any]:
    """GET the platform's OpenID configuration and check what registration relies on."""
    headers = {"Accept": "application/json"}
    if token:
        # Canvas requires the registration token here as well; Moodle ignores it.
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = http.request("GET", url, headers=headers)
    except requests.RequestException as error:
        raise _unreachable(error, url) from error
    if response.status_code >= 400:
        raise RegistrationFailed(
            _("The LMS refused to give its configuration to Ritmo."),
            _("Start the registration again from the LMS: the registration token may have "
              "expired or been used already."),
            reason=f"configuration answered {response.status_code}",
            lms_status=response.status_code,
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
            reason=f"configuration answered {response.status_code}, not a JSON object",
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
    # otherwise any site could claim to be any LMS. Compared by origin and whole path segments.
    if origins.parse(issuer) is None or not origins.url_within(url, issuer):
        raise RegistrationFailed(
            _("The LMS's configuration address does not belong to the issuer it declares "
              "(%(issuer)s).", issuer=issuer),
            _("Ritmo refuses such configurations for safety. Check the LMS's issuer (platform "
              "ID) setting, or register Ritmo manually."),
            reason=f"{url} is not under issuer {issuer}", status=400,
        )
    _check_allowed(issuer, [])
    for name in ENDPOINTS:
        _check_address(config[name])
        # Endpoints may live on another host of the LMS's (Canvas cloud serves keys and tokens
        # from sso.canvaslms.com); the issuer's own configuration vouches for them.
        _check_allowed(config[name], [issuer])
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
        response = http.request("POST", endpoint, json_body=body, headers=headers)
    except requests.RequestException as error:
        raise _unreachable(error, endpoint) from error
    status = response.status_code
    if status in (401, 403):
        raise RegistrationFailed(
            _("The LMS refused the registration token."),
            _("Registration tokens work once and expire quickly. Start the registration again "
              "from the LMS."),
            reason=f"registration endpoint answered {status}", lms_status=status,
        )
    if status >= 400:
        raise RegistrationFailed(
            _("The LMS rejected Ritmo's registration."),
            _("Look in the LMS's logs for why. If it names a setting on the LMS side (for "
              "example a disabled service), change it and start again; otherwise register Ritmo "
              "manually with the values on Ritmo's setup page."),
            reason=f"registration endpoint answered {status}", lms_status=status,
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
            reason=f"registration endpoint answered {status} without a client id",
        )
    return answer


def store(config: dict[str, Any], answer: dict[str, Any],
          invite: PlatformInvite | None = None) -> RegistrationResult:
    """Save a new registration: active through an invitation, otherwise pending until approved
    (when the installation asks for approval). A known issuer + client id is refused: dynamic
    registration never changes a platform Ritmo already trusts."""
    tool_config = answer.get(TOOL_CONFIGURATION_CLAIM)
    tool_config = tool_config if isinstance(tool_config, dict) else {}
    deployment_id = tool_config.get("deployment_id")
    deployment_id = str(deployment_id) if deployment_id not in (None, "") else None
    platform_claim = config.get(PLATFORM_CONFIGURATION_CLAIM)
    platform_claim = platform_claim if isinstance(platform_claim, dict) else {}
    product_family = platform_claim.get("product_family_code")
    product_family = str(product_family)[:128] if product_family else None
    issuer = config["issuer"]
    name = (invite.name if invite and invite.name else
            f"{product_family or 'LMS'} at {urlsplit(issuer).netloc}")
    if invite is not None or not current_app.config["REGISTRATION_REQUIRES_APPROVAL"]:
        status = PlatformStatus.ACTIVE
    else:
        status = PlatformStatus.PENDING
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
    if values["token_audience"] is not None and not isinstance(values["token_audience"], str):
        values["token_audience"] = None
    try:
        platform = registry.save_registration(
            values, deployment_id, status=status, product_family=product_family
        )
        if invite is not None:
            invites.spend(invite, platform)
    except registry.RegistrationExists as error:
        db.session.rollback()
        raise RegistrationFailed(
            _("This LMS registration (issuer %(issuer)s, client id %(client_id)s) is already "
              "known to Ritmo, which never changes a registered platform through dynamic "
              "registration.", issuer=issuer, client_id=values["client_id"]),
            _("If the LMS's addresses really changed, Ritmo's administrator can remove the "
              "platform ('lti-tool platform remove ID') and register it again."),
            reason=f"refused to replace platform {error.platform_id}", status=409,
        ) from error
    except RitmoError as error:
        db.session.rollback()
        raise RegistrationFailed(
            _("The LMS's registration details are not usable: %(detail)s", detail=error.detail),
            _("Register Ritmo manually with the values on Ritmo's setup page."),
            reason=str(error.errors or ""),
        ) from error
    audit.record(
        "platform.registered", "platform", platform.id, via="dynamic_registration",
        issuer=issuer, client_id=platform.client_id, deployment_id=deployment_id,
        status=platform.status.value, product_family=product_family,
        invite_id=invite.id if invite else None,
    )
    db.session.commit()
    log.info("dynamic registration: platform %s (%s, client %s, deployment %s, %s%s)",
             platform.id, issuer, platform.client_id, deployment_id or "first launch",
             platform.status.value, f", invitation {invite.id}" if invite else "")
    return _result(platform, deployment_id)


def _result(platform: Platform, deployment_id: str | None) -> RegistrationResult:
    return RegistrationResult(
        platform_id=platform.id, platform_name=platform.name, issuer=platform.issuer,
        client_id=platform.client_id, deployment_id=deployment_id, status=platform.status,
        product_family=platform.product_family,
    )

