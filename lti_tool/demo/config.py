"""Configuration of the demo LMS: a typed view over the plain dict callers pass."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

DEFAULT_BASE_URL = "http://localhost:5001"
DEFAULT_TOOL_BASE_URL = "http://127.0.0.1:5000"

LINK_QUIRK_MODES = ("off", "always", "alternate")


@dataclass
class DemoConfig:
    """All settings of one demo LMS instance; every key is optional."""

    base_url: str = DEFAULT_BASE_URL
    issuer: str = ""  # empty -> base_url
    client_id: str = "ritmo-demo"
    deployment_id: str = "1"
    tool_base_url: str = DEFAULT_TOOL_BASE_URL
    tool_login_url: str = ""  # empty -> <tool_base_url>/lti/login
    tool_launch_url: str = ""  # empty -> <tool_base_url>/lti/launch
    tool_jwks_url: str = ""  # empty -> <tool_base_url>/lti/jwks
    tool_deep_link_url: str = ""  # empty -> tool_launch_url (Ritmo uses one launch URL)
    extra_redirect_uris: list[str] = field(default_factory=list)
    private_key_pem: str | bytes | None = None
    kid: str | None = None  # empty -> RFC 7638 thumbprint, stable for a given key
    platform_storage: bool = False
    omit_pii_claims: bool = False  # mimic Open edX: no name/email claims in the id_token
    link_header_quirk: str = "off"  # "always"/"alternate": Moodle's rel=“next”
    lineitem_query: str = "type_id=1"  # Moodle-style query string on every AGS URL
    allow_extra_credit: bool = False
    # False mimics Open edX's programmatic grades: a deep-linked lineItem makes no column, and
    # launches of the placed link carry only ``lineitems``.
    deep_link_line_items: bool = True
    # `make demo`: a second course ("CourseB") that Ritmo does not know yet, to set up from scratch.
    empty_course: bool = False
    token_ttl: int = 3600
    id_token_ttl: int = 300
    faults: dict[str, Any] = field(default_factory=dict)
    platform_name: str = "Ritmo demo LMS"
    platform_guid: str = "ritmo-demo-lms"
    secret_key: str = ""  # signs lti_message_hint and deep-linking data

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.tool_base_url = self.tool_base_url.rstrip("/")
        self.issuer = self.issuer or self.base_url
        self.tool_login_url = self.tool_login_url or f"{self.tool_base_url}/lti/login"
        self.tool_launch_url = self.tool_launch_url or f"{self.tool_base_url}/lti/launch"
        self.tool_jwks_url = self.tool_jwks_url or f"{self.tool_base_url}/lti/jwks"
        self.tool_deep_link_url = self.tool_deep_link_url or self.tool_launch_url
        self.secret_key = self.secret_key or secrets.token_urlsafe(32)
        if self.link_header_quirk is True:
            self.link_header_quirk = "always"
        elif self.link_header_quirk is False:
            self.link_header_quirk = "off"
        if self.link_header_quirk not in LINK_QUIRK_MODES:
            raise ValueError(f"link_header_quirk must be one of {LINK_QUIRK_MODES}")

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any] | None) -> DemoConfig:
        """Build a config, rejecting unknown keys so typos fail loudly."""
        data = dict(config or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown demo LMS config key(s): {', '.join(unknown)}")
        return cls(**data)

    @property
    def redirect_uris(self) -> list[str]:
        """Redirect URIs the tool registered (exact match required at /demo/auth)."""
        uris = [self.tool_launch_url, self.tool_deep_link_url, *self.extra_redirect_uris]
        return list(dict.fromkeys(uris))

    @property
    def tool_origins(self) -> list[str]:
        """Origins allowed to talk to the platform-storage postMessage handler."""
        origins = []
        for url in (self.tool_login_url, self.tool_launch_url, self.tool_deep_link_url):
            parts = urlsplit(url)
            origins.append(f"{parts.scheme}://{parts.netloc}")
        return list(dict.fromkeys(origins))
