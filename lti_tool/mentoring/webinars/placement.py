"""What an instructor can place in the course: webinars and content modules, graded or not.

Registered with the deep-linking picker (:mod:`lti_tool.launch.deep_linking`); the placed links open
through the launch router targets ``webinar:<id>`` and ``content:<id>`` (see the views).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import timezones
from lti_tool.db import db
from lti_tool.errors import Forbidden
from lti_tool.identity.context import LaunchContext
from lti_tool.launch.deep_linking import PlaceableItem
from lti_tool.mentoring.content import service as content
from lti_tool.mentoring.webinars.access import viewer
from lti_tool.mentoring.webinars.catalogue import display_zone
from lti_tool.mentoring.webinars.grading import line_item_for
from lti_tool.mentoring.webinars.models import Webinar, WebinarStatus


def _items(ctx: LaunchContext, kind: str) -> list[PlaceableItem]:
    if ctx.course_id is None or not ctx.is_coordinator:
        return []
    return [
        PlaceableItem(
            title=entry["title"],
            text=entry["text"],
            target=entry["target"],
            line_item=line_item_for(entry["target"], entry["title"]),
        )
        for entry in placeable_items(ctx)
        if entry["kind"] == kind
    ]


def webinars(ctx: LaunchContext) -> list[PlaceableItem]:
    return _items(ctx, "webinar")


def content_modules(ctx: LaunchContext) -> list[PlaceableItem]:
    return _items(ctx, "content")


# --- placement in the course -------------------------------------------------------------------


def placeable_items(ctx: LaunchContext) -> list[dict[str, Any]]:
    """What an instructor can place in the course: webinars to come and content modules.

    Each entry names the resource link ``target`` (``webinar:<id>`` / ``content:<id>``) the launch
    router opens, and whether and how it is graded (attendance, completion; maximum 1).
    """
    who = viewer(ctx)
    if not who.is_coordinator:
        raise Forbidden(_("Only the course's coordinators can place items in the course."))
    items: list[dict[str, Any]] = []
    webinars = db.session.execute(
        sa.select(Webinar)
        .where(
            Webinar.programme_id == who.programme.id,
            Webinar.status == WebinarStatus.SCHEDULED,
        )
        .order_by(Webinar.starts_at)
    ).scalars()
    for webinar in webinars:
        items.append(
            {
                "kind": "webinar",
                "id": webinar.id,
                "title": webinar.title,
                "text": timezones.display(webinar.starts_at, display_zone(who, webinar)),
                "target": f"webinar:{webinar.id}",
                "graded_by": "attendance",
                "score_maximum": 1,
            }
        )
    for module in content.modules_of_programme(who.programme.id):
        items.append(
            {
                "kind": "content",
                "id": module.id,
                "title": module.title,
                "text": "",
                "target": f"content:{module.id}",
                "graded_by": "completion",
                "score_maximum": 1,
            }
        )
    return items
