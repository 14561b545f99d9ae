"""Which page a launch opens: by message type, then by what the resource link was placed for.

Features register the targets they can open (``programme``, ``milestone:<id>``, ``webinar:<id>``...)
with :func:`target`; deep linking writes the same names into the placed link's custom parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, redirect

from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import session_url

TargetHandler = Callable[[LaunchContext, str], Any]
_targets: dict[str, TargetHandler] = {}
_deep_linking: list[Callable[[LaunchContext, Any], Any]] = []

DEFAULT_TARGET = "programme"


def target(kind: str) -> Callable[[TargetHandler], TargetHandler]:
    """Register the page for resource links placed as ``kind`` or ``kind:<argument>``."""

    def register(handler: TargetHandler) -> TargetHandler:
        _targets[kind] = handler
        return handler

    return register


def deep_linking_page(handler: Callable[[LaunchContext, Any], Any]) -> Callable[[LaunchContext, Any], Any]:
    """Register the page answering ``LtiDeepLinkingRequest`` launches."""
    _deep_linking[:] = [handler]
    return handler


def respond(ctx: LaunchContext, token: str, message: Any, link_target: str | None) -> Any:
    g.launch_context = ctx
    g.session_token = token
    if message.is_deep_link_launch():
        if not _deep_linking:
            return redirect(session_url("programmes.home"), code=303)
        return _deep_linking[0](ctx, message)
    name = link_target or DEFAULT_TARGET
    kind, _, argument = name.partition(":")
    handler = _targets.get(kind) or _targets[DEFAULT_TARGET]
    return handler(ctx, argument)


