"""Milestones in the deep-linking picker: each milestone, graded ones with their gradebook column,
and the programme's total over graded milestones.

A placed link opens the milestone (``milestone:<id>``) or the goals page (``milestone:total``); its
``lineItem`` makes the LMS create the column Ritmo then scores (see :mod:`.gradebook`). Canvas's
assignment selection asks the same picker, so the same items are offered there.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from lti_tool.identity.context import LaunchContext
from lti_tool.launch.deep_linking import PlaceableItem
from lti_tool.mentoring.goals.gradebook import TOTAL_TARGET
from lti_tool.mentoring.goals.milestones import placeable_milestones
from lti_tool.mentoring.matching.access import current_programme


def _points(value: float) -> str:
    return f"{value:g}"


def offers(ctx: LaunchContext) -> list[PlaceableItem]:
    """What a coordinator may place from goals; nothing for anyone else or outside a course."""
    if ctx.course_id is None or not ctx.is_coordinator:
        return []
    items = []
    for entry in placeable_milestones(current_programme(ctx)):
        line_item = entry.get("line_item")
        if line_item is None:
            text = _("A milestone, not graded.")
        elif entry["target"] == TOTAL_TARGET:
            text = _("Graded: each learner's total over the graded milestones, out of %(points)s.",
                     points=_points(line_item["scoreMaximum"]))
        else:
            maximum = line_item["scoreMaximum"]
            # "1.5 points" reads as plural; only exactly one point is singular.
            count = 1 if maximum == 1 else 2
            text = ngettext("Graded milestone: %(points)s point.",
                            "Graded milestone: %(points)s points.", count, points=_points(maximum))
        items.append(PlaceableItem(title=entry["title"], target=entry["target"], text=text,
                                   line_item=line_item))
    return items
