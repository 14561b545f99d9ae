"""What features plug into a launch, and which page a launch opens.

The launch records who is here (``launch.service``) and hands the ``LaunchContext`` to what the
features registered on the app, from the factory's wiring:

* :func:`register_step`: what every launch does before its page, whatever it opens (the programme
  join: a person launching in a course takes part in its programme). A step may return a small
  JSON value (lists, dicts, strings, numbers): the launch memo keeps it, and a relaunch with the
  same claims hands it back (``kept``) while the course's stamp is the same (``memo.renew_courses``
  is the step's feature's to call when what it read changes), so the step need not read again;
* :func:`register`: the page for resource links placed as ``kind`` or ``kind:<argument>``
  (``programme``, ``milestone:<id>``, ``webinar:<id>``...), one of them the default for links
  placed as nothing Ritmo knows; deep linking writes the same names into the links it places;
* :func:`register_deep_linking_page`: the page answering ``LtiDeepLinkingRequest`` launches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g
from flask_babel import gettext as _

from lti_tool.errors import NotFound
from lti_tool.identity.context import LaunchContext

TargetHandler = Callable[[LaunchContext, str], Any]
# ``step(ctx, kept)``: ``kept`` is what the step returned at the last launch with the same claims
# (or None: read afresh); what it returns now is kept for the next.
LaunchStep = Callable[[LaunchContext, Any], Any]
DeepLinkingPage = Callable[[LaunchContext, Any], Any]


@dataclass
class LaunchTargets:
    """One app's registrations."""

    steps: dict[str, LaunchStep] = field(default_factory=dict)
    pages: dict[str, TargetHandler] = field(default_factory=dict)
    default: str | None = None
    deep_linking_page: DeepLinkingPage | None = None


def of(app: Flask) -> LaunchTargets:
    registered: LaunchTargets = app.extensions.setdefault("ritmo_launch_targets", LaunchTargets())
    return registered


def register_step(app: Flask, name: str, step: LaunchStep) -> None:
    """Run ``step(ctx, kept)`` at every launch, after it is recorded and before its page; what it
    returns is kept under ``name``."""
    of(app).steps[name] = step


def register(app: Flask, kind: str, handler: TargetHandler, *, default: bool = False) -> None:
    """Open ``handler(ctx, argument)`` for resource links placed as ``kind[:argument]``."""
    registered = of(app)
    registered.pages[kind] = handler
    if default:
        registered.default = kind


def register_deep_linking_page(app: Flask, page: DeepLinkingPage) -> None:
    of(app).deep_linking_page = page


def run_steps(ctx: LaunchContext, kept: Mapping[str, Any]) -> dict[str, Any]:
    """Run the registered steps for a recorded launch, each with what it kept last time; returns
    what they keep now (steps that return None keep nothing)."""
    g.launch_context = ctx
    now: dict[str, Any] = {}
    for name, step in of(current_app).steps.items():
        value = step(ctx, kept.get(name))
        if value is not None:
            now[name] = value
    return now


def respond(ctx: LaunchContext, token: str, message: Any, link_target: str | None) -> Any:
    """The response to a recorded launch whose steps ran: the page it opens."""
    g.launch_context = ctx
    g.session_token = token
    registered = of(current_app)
    if message.is_deep_link_launch() and registered.deep_linking_page is not None:
        return registered.deep_linking_page(ctx, message)
    return open_page(ctx, link_target)


def open_page(ctx: LaunchContext, link_target: str | None) -> Any:
    """The page a link placed as ``link_target`` opens (the default page for unknown ones)."""
    registered = of(current_app)
    kind, _sep, argument = (link_target or "").partition(":")
    handler = registered.pages.get(kind)
    if handler is None and registered.default is not None:
        handler = registered.pages[registered.default]
    if handler is None:
        raise NotFound(_("Ritmo has no page for this link. Ask your instructor to place it again."))
    return handler(ctx, argument)
