"""Deep linking: the instructor picks what to place in the course, Ritmo answers with signed links.

Features say what can be placed with :func:`register_offer`, from the factory's wiring::

    def milestones(ctx: LaunchContext) -> list[PlaceableItem]:
        return [PlaceableItem(title=m.title, text=..., target=f"milestone:{m.id}",
                              line_item={"scoreMaximum": 1, "label": m.title,
                                         "resourceId": f"milestone:{m.id}"})
                for m in ...]

    deep_linking.register_offer(app, "milestone", milestones)

The platform's deep-linking settings (its return URL above all) never travel through the browser:
they wait in the shared cache under an unguessable id bound to the launching user, and the picker's
form only names that id and the chosen targets, which are checked against the offer again.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from flask import Flask, current_app
from flask_babel import gettext as _

from lti_tool import audit
from lti_tool.cache import cache
from lti_tool.db import db
from lti_tool.errors import Forbidden, InvalidInput, NotFound, RitmoError
from lti_tool.identity.context import LaunchContext
from lti_tool.launch import keys, registry
from lti_tool.launch.tool_configuration import TARGET_PARAMETER, tool_urls

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
DL_SETTINGS = DL + "deep_linking_settings"
RESOURCE_LINK_TYPE = "ltiResourceLink"

# Lifetime of the signed response: the browser posts it right away.
RESPONSE_TTL_SECONDS = 300
MAX_TITLE = 255


@dataclass(frozen=True)
class PlaceableItem:
    """Something an instructor can place in the course.

    ``target`` is what the placed link opens (``kind`` or ``kind:argument``, see
    :func:`lti_tool.launch.targets.register`); ``line_item`` (``scoreMaximum``, ``label``,
    ``resourceId``, ``tag``) makes the placement a graded column.
    """

    title: str
    target: str
    text: str = ""
    line_item: dict[str, Any] | None = None

    @property
    def graded(self) -> bool:
        return self.line_item is not None


Provider = Callable[[LaunchContext], list[PlaceableItem]]


@dataclass(frozen=True)
class PlaceableGroup:
    kind: str
    items: list[PlaceableItem] = field(default_factory=list)


def _providers(app: Flask) -> dict[str, Provider]:
    providers: dict[str, Provider] = app.extensions.setdefault("ritmo_deep_linking_offers", {})
    return providers


def register_offer(app: Flask, kind: str, provider: Provider) -> None:
    """Offer the picker what ``provider(ctx) -> list[PlaceableItem]`` names, as ``kind``."""
    _providers(app)[kind] = provider


PlacedHandler = Callable[[LaunchContext, list[dict[str, Any]]], None]


def register_placed(app: Flask, handler: PlacedHandler) -> None:
    """Call ``handler(ctx, content_items)`` in the transaction that signs a placement (grades keeps
    the graded ones as gradebook columns of the course)."""
    handlers: list[PlacedHandler] = app.extensions.setdefault("ritmo_deep_linking_placed", [])
    if handler not in handlers:
        handlers.append(handler)


def offer(ctx: LaunchContext) -> list[PlaceableGroup]:
    """What this coordinator may place here, grouped by kind, in registration order."""
    groups = []
    for kind, provider in _providers(current_app).items():
        items = list(provider(ctx))
        if items:
            groups.append(PlaceableGroup(kind, items))
    return groups


def _offered_by_target(ctx: LaunchContext) -> dict[str, PlaceableItem]:
    return {item.target: item for group in offer(ctx) for item in group.items}


@dataclass(frozen=True)
class DeepLinkSettings:
    """The platform's deep-linking request, as kept server-side between launch and choice."""

    picker_id: str
    platform_id: int
    user_id: int
    course_id: int | None
    deployment_id: str
    return_url: str
    # Opaque to Ritmo and echoed unchanged (the spec says string; some platforms send JSON).
    data: Any
    accept_multiple: bool
    title: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeepLinkSettings:
        return cls(**data)


class DeepLinkingRefused(RitmoError):
    status = 400


def require_coordinator(ctx: LaunchContext) -> None:
    if not ctx.is_coordinator:
        raise Forbidden(
            _("Only instructors can add Ritmo to the course. If you are one, ask the LMS "
              "administrator to give you an instructor role in this course.")
        )


def begin(ctx: LaunchContext, claims: dict[str, Any]) -> DeepLinkSettings:
    """Keep the deep-linking settings of a validated launch for the picker; coordinators only."""
    require_coordinator(ctx)
    settings = claims.get(DL_SETTINGS)
    if not isinstance(settings, dict) or not isinstance(settings.get("deep_link_return_url"), str):
        raise DeepLinkingRefused(
            _("The LMS asked to add content but sent no return address. Start again from the "
              "course's \"add activity\" page; if it keeps happening, tell the LMS administrator.")
        )
    accept_types = settings.get("accept_types")
    if isinstance(accept_types, list) and RESOURCE_LINK_TYPE not in accept_types:
        raise DeepLinkingRefused(
            _("This place in the LMS does not accept links to tools. Add Ritmo from the course's "
              "activity or link picker instead.")
        )
    record = DeepLinkSettings(
        picker_id=secrets.token_urlsafe(24),
        platform_id=ctx.platform_id,
        user_id=ctx.user_id,
        course_id=ctx.course_id,
        deployment_id=str(claims.get(LTI + "deployment_id", "")),
        return_url=settings["deep_link_return_url"],
        data=settings.get("data"),
        accept_multiple=bool(settings.get("accept_multiple", False)),
        title=settings.get("title") if isinstance(settings.get("title"), str) else None,
    )
    ttl = int(current_app.config["DEEP_LINKING_TTL_SECONDS"])
    cache().set("dl:" + record.picker_id, record.__dict__, ttl)
    return record


def settings_for(ctx: LaunchContext, picker_id: str) -> DeepLinkSettings:
    """The stored settings, only for the user, platform and course that launched the picker."""
    require_coordinator(ctx)
    raw = cache().get("dl:" + picker_id) if picker_id else None
    if raw is None:
        raise NotFound(
            _("This content picker has expired or was already used. Start again from the "
              "course's \"add activity\" page.")
        )
    record = DeepLinkSettings.from_dict(raw)
    if (record.platform_id, record.user_id, record.course_id) != (
        ctx.platform_id, ctx.user_id, ctx.course_id,
    ):
        # Same message as a missing picker: another user's picker id reveals nothing.
        raise NotFound(
            _("This content picker has expired or was already used. Start again from the "
              "course's \"add activity\" page.")
        )
    return record


@dataclass(frozen=True)
class DeepLinkReturn:
    return_url: str
    jwt: str
    content_items: list[dict[str, Any]]


def content_item(item: PlaceableItem) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": RESOURCE_LINK_TYPE,
        "title": item.title[:MAX_TITLE],
        "url": tool_urls().launch,
        "custom": {TARGET_PARAMETER: item.target},
    }
    if item.text:
        entry["text"] = item.text
    if item.line_item is not None:
        line_item = dict(item.line_item)
        line_item.setdefault("label", item.title[:MAX_TITLE])
        line_item.setdefault("resourceId", item.target)
        entry["lineItem"] = line_item
    return entry


def respond(ctx: LaunchContext, picker_id: str, targets: list[str]) -> DeepLinkReturn:
    """Sign the ``LtiDeepLinkingResponse`` placing ``targets``; the picker id is then spent."""
    settings = settings_for(ctx, picker_id)
    chosen = list(dict.fromkeys(t for t in targets if t))
    if not chosen:
        raise InvalidInput(
            _("Choose at least one item to add to the course."),
            errors={"item": [_("Choose at least one item.")]},
        )
    if len(chosen) > 1 and not settings.accept_multiple:
        raise InvalidInput(
            _("This place in the LMS takes one item at a time. Choose one."),
            errors={"item": [_("Choose only one item.")]},
        )
    offered = _offered_by_target(ctx)
    unknown = [t for t in chosen if t not in offered]
    if unknown:
        raise InvalidInput(
            _("Some chosen items cannot be placed here. Reload the picker and choose again."),
            errors={"item": [_("Not on offer: %(items)s", items=", ".join(unknown))]},
        )
    # Spend the picker only now: a form error above leaves it usable.
    if cache().take("dl:" + picker_id) is None:
        raise NotFound(
            _("These items were already added. Start again from the course's \"add activity\" "
              "page to add more.")
        )
    items = [content_item(offered[t]) for t in chosen]
    token = sign_response(settings, items)
    for handler in current_app.extensions.get("ritmo_deep_linking_placed", []):
        handler(ctx, items)
    audit.record(
        "deep_linking.placed", "course", settings.course_id or "-", actor_user_id=ctx.user_id,
        targets=chosen,
    )
    db.session.commit()
    return DeepLinkReturn(settings.return_url, token, items)


def sign_response(settings: DeepLinkSettings, items: list[dict[str, Any]],
                  message: str | None = None) -> str:
    platform = registry.get_platform(settings.platform_id)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": now,
        "exp": now + RESPONSE_TTL_SECONDS,
        "nonce": secrets.token_urlsafe(24),
        LTI + "deployment_id": settings.deployment_id,
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        DL + "content_items": items,
    }
    if settings.data is not None:
        claims[DL + "data"] = settings.data
    if message:
        claims[DL + "msg"] = message
    signer = keys.signing_key()
    return jwt.encode(claims, signer.private_key, algorithm="RS256", headers={"kid": signer.kid})
