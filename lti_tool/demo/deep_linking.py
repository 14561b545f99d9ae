"""Deep linking return: verifies the tool's LtiDeepLinkingResponse and stores placements."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

import jwt
from flask import Blueprint, render_template, request
from itsdangerous import BadData

from .platform import LTI, get_platform
from .roster import ResourceLink
from .tool_keys import ToolKeyError

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"

bp = Blueprint("demo_deep_linking", __name__)


@dataclass
class Placement:
    """A content item the tool returned, placed in a course."""

    link_id: str
    context_id: str
    title: str
    url: str | None
    text: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    lineitem_id: int | None = None
    created_by: str = ""


class PlacementStore:
    """Thread-safe list of placements; also remembers used nonces and data values."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Placement] = []
        self._seen: set[str] = set()
        self._next = 1

    def next_link_id(self) -> str:
        with self._lock:
            n, self._next = self._next, self._next + 1
            return f"rl-dl-{n:03d}"

    def first_use(self, *values: str) -> bool:
        """False if any value was seen before (replayed response)."""
        with self._lock:
            if any(v in self._seen for v in values):
                return False
            self._seen.update(values)
            return True

    def add(self, placement: Placement) -> None:
        with self._lock:
            self._items.append(placement)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(p) for p in self._items]


class DeepLinkError(Exception):
    """The deep linking response is invalid (rendered as a 400 page)."""


@bp.errorhandler(DeepLinkError)
def _dl_error(exc: DeepLinkError) -> tuple[str, int]:
    get_platform().stats.incr("deep_link_errors")
    return render_template(
        "demo/error.html", title="Deep linking response rejected", message=str(exc)
    ), 400


def verify_response(token: str) -> dict[str, Any]:
    """Verify signature and claims of the tool's deep linking response JWT."""
    platform = get_platform()
    cfg = platform.config
    try:
        key = platform.tool_keys.key_for(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=cfg.issuer,
            issuer=cfg.client_id,
            leeway=5,
            options={"require": ["iss", "aud", "exp", "iat", "nonce"]},
        )
    except ToolKeyError as exc:
        raise DeepLinkError(str(exc)) from exc
    except jwt.InvalidTokenError as exc:
        raise DeepLinkError(f"JWT rejected: {exc}") from exc
    if claims.get(LTI + "message_type") != "LtiDeepLinkingResponse":
        raise DeepLinkError("message_type must be LtiDeepLinkingResponse")
    if claims.get(LTI + "version") != "1.3.0":
        raise DeepLinkError("version must be 1.3.0")
    if claims.get(LTI + "deployment_id") != cfg.deployment_id:
        raise DeepLinkError(f"deployment_id must be {cfg.deployment_id!r}")
    return claims


@bp.post("/demo/deep_link_return")
def deep_link_return() -> str:
    """Receive the `JWT` form field, check it, and place the content items."""
    platform = get_platform()
    platform.stats.incr("deep_link_returns")
    token = request.form.get("JWT", "")
    if not token:
        raise DeepLinkError("the JWT form field is missing")
    claims = verify_response(token)
    data = claims.get(DL + "data")
    if not isinstance(data, str):
        raise DeepLinkError("the data value from deep_linking_settings must be echoed")
    try:
        request_info = platform.loads(data, salt="dl-data")
    except BadData as exc:
        raise DeepLinkError("data does not match any deep linking request") from exc
    items = claims.get(DL + "content_items", [])
    if not isinstance(items, list):
        raise DeepLinkError("content_items must be a list")
    for item in items:
        if not isinstance(item, dict) or item.get("type") != "ltiResourceLink":
            raise DeepLinkError("only ltiResourceLink content items are accepted")
        if item.get("lineItem") is not None:
            line_item = item["lineItem"]
            if not isinstance(line_item, dict) or not isinstance(
                line_item.get("scoreMaximum"), int | float
            ):
                raise DeepLinkError("lineItem needs a numeric scoreMaximum")
    # Replay protection: a response (nonce) and a request (data) are used once.
    if not platform.placements.first_use("nonce:" + str(claims["nonce"]), "data:" + data):
        raise DeepLinkError("this deep linking response was already used (replay)")

    context_id = str(request_info["ctx"])
    placed = []
    for item in items:
        placed.append(_place(context_id, item, str(request_info.get("u", ""))))
    return render_template(
        "demo/deep_link_done.html",
        placed=placed,
        msg=claims.get(DL + "msg"),
        errormsg=claims.get(DL + "errormsg"),
        context_id=context_id,
    )


def _place(context_id: str, item: dict[str, Any], user_id: str) -> Placement:
    platform = get_platform()
    link_id = platform.placements.next_link_id()
    title = str(item.get("title") or "Ritmo")
    custom = {str(k): str(v) for k, v in (item.get("custom") or {}).items()}
    link = ResourceLink(
        link_id,
        title,
        url=item.get("url"),
        custom=custom,
        text=str(item.get("text") or ""),
        from_deep_link=True,
    )
    platform.add_link(context_id, link)
    placement = Placement(
        link_id, context_id, title, link.url, link.text, custom, created_by=user_id
    )
    line_item = item.get("lineItem")
    if isinstance(line_item, dict) and platform.config.deep_link_line_items:
        created = platform.gradebook.create(
            context_id,
            {
                "label": line_item.get("label") or title,
                "scoreMaximum": line_item["scoreMaximum"],
                "resourceLinkId": link_id,
                "resourceId": line_item.get("resourceId"),
                "tag": line_item.get("tag"),
            },
        )
        placement.lineitem_id = created.id
    platform.placements.add(placement)
    return placement
