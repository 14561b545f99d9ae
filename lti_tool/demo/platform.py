"""DemoPlatform: the state of one demo LMS (keys, course, stores) plus token minting."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask, current_app
from itsdangerous import URLSafeTimedSerializer

from .config import DemoConfig
from .faults import FaultInjector
from .keys import PlatformKey
from .mailcatcher import Outbox
from .roster import GRADED_LINK_ID, Course, Person, ResourceLink, empty_course, seed_course
from .tool_keys import ToolKeySet

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MESSAGE_TYPES = {"resource": "LtiResourceLinkRequest", "deeplink": "LtiDeepLinkingRequest"}
EXTENSION_KEY = "ritmo_demo"


class Stats:
    """Thread-safe request counters exposed at /demo/stats."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def incr(self, name: str, by: int = 1) -> None:
        with self._lock:
            self._counts[name] += by

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


class DemoPlatform:
    """Everything one demo LMS knows; reachable from a request via `get_platform()`."""

    def __init__(self, config: DemoConfig):
        # Local imports: the stores live next to the endpoints that use them.
        from .ags import Gradebook
        from .deep_linking import PlacementStore
        from .oauth import TokenStore

        self.config = config
        self.key = PlatformKey(config.private_key_pem, config.kid)
        self.course: Course = seed_course()
        self.courses: dict[str, Course] = {self.course.context_id: self.course}
        if config.empty_course:
            second = empty_course(self.course)
            self.courses[second.context_id] = second
        # What the demo's mail catcher received (the Outbox page), when `make demo` runs one.
        self.outbox = Outbox()
        self.stats = Stats()
        self.faults = FaultInjector(config.faults)
        self.tool_keys = ToolKeySet(
            config.tool_jwks_url, lambda: self.stats.incr("tool_jwks_fetches")
        )
        self.tokens = TokenStore(config.token_ttl)
        self.gradebook = Gradebook()
        self.placements = PlacementStore()
        self._links_lock = threading.Lock()
        # Drives link_header_quirk="alternate"; next() on a count is atomic under the GIL.
        self.link_counter = itertools.count(1)
        self._serializer = URLSafeTimedSerializer(config.secret_key)
        self.gradebook.create(
            self.course.context_id,
            {
                "label": "Ritmo mentoring participation",
                "scoreMaximum": 100,
                "resourceLinkId": GRADED_LINK_ID,
                "resourceId": "ritmo-participation",
                "tag": "ritmo",
            },
        )

    @classmethod
    def of(cls, app: Flask) -> DemoPlatform:
        """The platform behind a demo app created by `create_demo_lms`."""
        platform: DemoPlatform = app.extensions[EXTENSION_KEY]
        return platform

    # --- URLs -----------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.config.base_url + path

    def _q(self, extra: Mapping[str, str] | None = None) -> str:
        parts = [self.config.lineitem_query] if self.config.lineitem_query else []
        if extra:
            parts.append(urlencode(extra))
        return ("?" + "&".join(parts)) if parts else ""

    def course_path(self, context_id: str) -> str:
        return f"/demo/courses/{quote(context_id, safe='')}"

    def lineitems_url(self, context_id: str) -> str:
        return self.url(self.course_path(context_id) + "/lineitems") + self._q()

    def lineitem_url(self, context_id: str, item_id: int, suffix: str = "") -> str:
        path = f"{self.course_path(context_id)}/lineitems/{item_id}{suffix}"
        return self.url(path) + self._q()

    def memberships_url(self, context_id: str) -> str:
        return self.url(self.course_path(context_id) + "/memberships")

    @property
    def token_url(self) -> str:
        return self.url("/demo/token")

    # --- course lookups -----------------------------------------------------
    def find_link(self, context_id: str, link_id: str) -> ResourceLink | None:
        course = self.courses.get(context_id)
        with self._links_lock:
            return course.links.get(link_id) if course else None

    def add_link(self, context_id: str, link: ResourceLink) -> None:
        with self._links_lock:
            self.courses[context_id].links[link.id] = link

    def links(self, context_id: str) -> list[ResourceLink]:
        with self._links_lock:
            return list(self.courses[context_id].links.values())

    # --- signed opaque values -------------------------------------------------
    def dumps(self, payload: Mapping[str, Any], salt: str) -> str:
        return self._serializer.dumps(dict(payload), salt=salt)

    def loads(self, value: str, salt: str, max_age: int = 3600) -> dict[str, Any]:
        """Raises itsdangerous.BadData on tampering or expiry."""
        data: dict[str, Any] = self._serializer.loads(value, salt=salt, max_age=max_age)
        return data

    # --- JWTs -----------------------------------------------------------------
    def sign(
        self,
        claims: Mapping[str, Any],
        kid: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """Sign arbitrary claims with the demo key (tests mint good and bad tokens)."""
        return self.key.sign(claims, kid=kid, headers=headers)

    def jwks(self) -> dict[str, Any]:
        return self.key.jwks()

    def build_id_token(
        self,
        user_id: str,
        *,
        message: str = "resource",
        link_id: str | None = GRADED_LINK_ID,
        context_id: str | None = None,
        nonce: str | None = None,
        presentation: str = "iframe",
        now: float | None = None,
    ) -> dict[str, Any]:
        """Claims of an LTI 1.3 launch id_token (unsigned; pass to `sign`)."""
        cfg = self.config
        course = self.courses[context_id or self.course.context_id]
        person = course.member(user_id)
        if person is None:
            raise KeyError(f"unknown user {user_id!r} in {course.context_id}")
        if message not in MESSAGE_TYPES:
            raise ValueError(f"message must be one of {sorted(MESSAGE_TYPES)}")
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": cfg.issuer,
            "aud": cfg.client_id,
            "azp": cfg.client_id,
            "sub": person.user_id,
            "iat": issued,
            "exp": issued + cfg.id_token_ttl,
            "nonce": nonce or secrets.token_urlsafe(16),
            "locale": person.locale,
            LTI + "message_type": MESSAGE_TYPES[message],
            LTI + "version": "1.3.0",
            LTI + "deployment_id": cfg.deployment_id,
            LTI + "roles": person.role_uris,
            LTI + "context": course.context_claim(),
            LTI + "launch_presentation": {
                "document_target": presentation,
                "return_url": self.url(
                    "/demo/return?" + urlencode({"ctx": course.context_id, "user": user_id})
                ),
                "locale": person.locale,
            },
            LTI + "tool_platform": {
                "guid": cfg.platform_guid,
                "name": cfg.platform_name,
                "product_family_code": "ritmo-demo",
                "version": "1.0",
            },
            NRPS_CLAIM: {
                "context_memberships_url": self.memberships_url(course.context_id),
                "service_versions": ["2.0"],
            },
        }
        if not cfg.omit_pii_claims:
            claims |= _pii_claims(person)
        custom = dict(person.custom)
        ags: dict[str, Any] = {
            "scope": AGS_SCOPES,
            "lineitems": self.lineitems_url(course.context_id),
        }
        if message == "resource":
            link = self.find_link(course.context_id, link_id or "")
            if link is None:
                raise KeyError(f"unknown resource link {link_id!r}")
            claims[LTI + "target_link_uri"] = link.url or cfg.tool_launch_url
            claims[LTI + "resource_link"] = {
                "id": link.id,
                "title": link.title,
                "description": link.text,
            }
            custom |= link.custom
            item = self.gradebook.first_for_link(course.context_id, link.id)
            if item is not None:
                ags["lineitem"] = self.lineitem_url(course.context_id, item.id)
        else:
            claims[LTI + "target_link_uri"] = cfg.tool_deep_link_url
            claims[DL_SETTINGS] = {
                "deep_link_return_url": self.url("/demo/deep_link_return"),
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True,
                "auto_create": True,
                "title": "Add Ritmo to Mentoring 101",
                "data": self.dumps({"ctx": course.context_id, "u": user_id}, salt="dl-data"),
            }
        claims[AGS_ENDPOINT] = ags
        if custom:
            claims[LTI + "custom"] = custom
        return claims

    def id_token(self, user_id: str, **kwargs: Any) -> str:
        """A signed launch id_token (see `build_id_token` for arguments)."""
        return self.sign(self.build_id_token(user_id, **kwargs))

    # --- launches ---------------------------------------------------------------
    def login_initiation_url(
        self,
        user_id: str,
        *,
        message: str = "resource",
        link_id: str | None = GRADED_LINK_ID,
        context_id: str | None = None,
        presentation: str = "iframe",
    ) -> str:
        """Third-party initiated login URL pointing at the tool's OIDC login endpoint."""
        cfg = self.config
        ctx = context_id or self.course.context_id
        hint = {"m": message, "ctx": ctx, "u": user_id, "p": presentation}
        if message == "resource":
            hint["rl"] = link_id or GRADED_LINK_ID
            link = self.find_link(ctx, hint["rl"])
            target = (link.url if link else None) or cfg.tool_launch_url
        else:
            target = cfg.tool_deep_link_url
        params = {
            "iss": cfg.issuer,
            "login_hint": user_id,
            "target_link_uri": target,
            "lti_message_hint": self.dumps(hint, salt="message-hint"),
            "client_id": cfg.client_id,
            "lti_deployment_id": cfg.deployment_id,
        }
        # Platform storage only works where a parent frame can answer postMessages.
        if cfg.platform_storage and presentation == "iframe":
            params["lti_storage_target"] = "_parent"
        sep = "&" if "?" in cfg.tool_login_url else "?"
        return cfg.tool_login_url + sep + urlencode(params)

    def registration(self) -> dict[str, Any]:
        """What the tool must register for this platform."""
        return demo_registration_for(self.config)


def _pii_claims(person: Person) -> dict[str, Any]:
    return {
        "name": person.name,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "email": person.email,
    }


def demo_registration_for(cfg: DemoConfig) -> dict[str, Any]:
    """Registration record the tool needs (issuer, client, endpoints)."""
    return {
        "name": cfg.platform_name,
        "issuer": cfg.issuer,
        "client_id": cfg.client_id,
        "deployment_ids": [cfg.deployment_id],
        "auth_login_url": cfg.base_url + "/demo/auth",
        "auth_token_url": cfg.base_url + "/demo/token",
        "key_set_url": cfg.base_url + "/demo/jwks",
    }


def get_platform() -> DemoPlatform:
    """The platform of the current Flask app."""
    return DemoPlatform.of(current_app)
