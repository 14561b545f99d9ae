"""What an instructor can place in the course: webinars and content modules, graded or not.

Registered with the deep-linking picker (:mod:`lti_tool.launch.deep_linking`); the placed links open
through the launch router targets ``webinar:<id>`` and ``content:<id>`` (see the views).
"""

from __future__ import annotations

from lti_tool.identity.context import LaunchContext
from lti_tool.launch import deep_linking
from lti_tool.launch.deep_linking import PlaceableItem
from lti_tool.mentoring.webinars import service
from lti_tool.mentoring.webinars.grading import line_item_for


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
        for entry in service.placeable_items(ctx)
        if entry["kind"] == kind
    ]


@deep_linking.placeable("webinar")
def webinars(ctx: LaunchContext) -> list[PlaceableItem]:
    return _items(ctx, "webinar")


@deep_linking.placeable("content")
def content_modules(ctx: LaunchContext) -> list[PlaceableItem]:
    return _items(ctx, "content")
