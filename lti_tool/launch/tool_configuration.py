"""Ritmo's tool configuration: one source for dynamic registration, Canvas's JSON and /lti/setup.

Every URL is derived from ``BASE_URL`` (what browsers and LMSs reach), so an admin who moves Ritmo
changes one setting and every document follows. Ritmo uses a single launch URL for resource links
and deep linking: the message type, not the URL, decides what opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for

TOOL_CONFIGURATION_CLAIM = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION_CLAIM = "https://purl.imsglobal.org/spec/lti-platform-configuration"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"

AGS_SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
)
NRPS_SCOPES = ("https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",)
SCOPES = AGS_SCOPES + NRPS_SCOPES

# Identity claims Ritmo asks for. It works with ``sub`` alone; names make matching humane.
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email", "locale")

# The custom parameter a placed link carries; the router opens the page it names.
TARGET_PARAMETER = "ritmo_target"

CANVAS_PLATFORM = "canvas.instructure.com"
CANVAS_PLACEMENTS = (
    ("course_navigation", RESOURCE_LINK_REQUEST),
    ("link_selection", DEEP_LINKING_REQUEST),
    ("assignment_selection", DEEP_LINKING_REQUEST),
)


@dataclass(frozen=True)
class ToolUrls:
    """The addresses an LMS needs to know about Ritmo."""

    base: str
    login: str
    launch: str
    jwks: str
    deep_linking: str
    register: str
    config_json: str
    setup: str

    @property
    def domain(self) -> str:
        return urlsplit(self.base).netloc

    @property
    def redirect_uris(self) -> list[str]:
        return list(dict.fromkeys([self.launch, self.deep_linking]))


def tool_urls() -> ToolUrls:
    base = current_app.config["BASE_URL"]
    return ToolUrls(
        base=base,
        login=base + url_for("lti.login"),
        launch=base + url_for("lti.launch"),
        jwks=base + url_for("lti.jwks"),
        deep_linking=base + url_for("lti.launch"),
        register=base + url_for("lti_setup.register"),
        config_json=base + url_for("lti_setup.canvas_config"),
        setup=base + url_for("lti_setup.setup"),
    )


def tool_name() -> str:
    return str(current_app.config["TOOL_NAME"])


def tool_description() -> str:
    return str(current_app.config["TOOL_DESCRIPTION"])


def custom_parameters() -> dict[str, str]:
    """Custom parameters every launch should carry: the default page of a plain placement."""
    return {TARGET_PARAMETER: "programme"}


def tool_configuration() -> dict[str, Any]:
    """The ``lti-tool-configuration`` object of LTI Dynamic Registration."""
    urls = tool_urls()
    return {
        "domain": urls.domain,
        "target_link_uri": urls.launch,
        "description": tool_description(),
        "claims": list(CLAIMS),
        "custom_parameters": custom_parameters(),
        "messages": [
            {
                "type": RESOURCE_LINK_REQUEST,
                "target_link_uri": urls.launch,
                "label": tool_name(),
                # Canvas: a link in the course navigation opens the programme home.
                "placements": ["course_navigation"],
            },
            {
                "type": DEEP_LINKING_REQUEST,
                "target_link_uri": urls.deep_linking,
                "label": tool_name(),
                # Canvas checks placement names against its own list; Moodle ignores them.
                "placements": ["link_selection", "assignment_selection"],
            },
        ],
    }


def registration_request() -> dict[str, Any]:
    """The OpenID Connect client registration Ritmo posts to a platform (Moodle's and Canvas's
    required members included)."""
    urls = tool_urls()
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls.login,
        "redirect_uris": urls.redirect_uris,
        "client_name": tool_name(),
        "jwks_uri": urls.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIGURATION_CLAIM: tool_configuration(),
    }


def canvas_configuration() -> dict[str, Any]:
    """Canvas's developer key JSON (LTI 1.3 key, "Enter URL" or "Paste JSON")."""
    urls = tool_urls()
    privacy = current_app.config["CANVAS_PRIVACY_LEVEL"]
    placements = []
    for placement, message_type in CANVAS_PLACEMENTS:
        entry: dict[str, Any] = {
            "placement": placement,
            "message_type": message_type,
            "target_link_uri": urls.deep_linking
            if message_type == DEEP_LINKING_REQUEST
            else urls.launch,
            "text": tool_name(),
            "enabled": True,
        }
        placements.append(entry)
    return {
        "title": tool_name(),
        "description": tool_description(),
        "oidc_initiation_url": urls.login,
        "target_link_uri": urls.launch,
        "scopes": list(SCOPES),
        "public_jwk_url": urls.jwks,
        "extensions": [
            {
                "platform": CANVAS_PLATFORM,
                "domain": urls.domain,
                "tool_id": "ritmo",
                "privacy_level": privacy,
                "settings": {"text": tool_name(), "placements": placements},
            }
        ],
        "custom_fields": custom_parameters(),
    }


@dataclass(frozen=True)
class SetupValue:
    """One value an admin pastes into an LMS form: the LMS's label for it, and the value."""

    label: str
    value: str
    hint: str = ""


def custom_parameter_lines() -> str:
    return "\n".join(f"{k}={v}" for k, v in custom_parameters().items())
