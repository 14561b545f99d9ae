"""Shapes of the attention list's form and JSON."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from lti_tool.mentoring.attention.models import NOTE_MAX
from lti_tool.mentoring.attention.registry import Item


class ActSchema(Schema):
    """The optional note a coordinator leaves with an action; sources read the rest of the form."""

    class Meta:
        unknown = EXCLUDE

    note = fields.String(load_default="", validate=validate.Length(max=NOTE_MAX))


def item_json(item: Item) -> dict[str, Any]:
    return {
        "source": item.source,
        "key": item.key,
        "title": item.title,
        "reason": item.reason,
        "since": item.since.isoformat(),
        "severity": item.severity,
        "link": item.link,
        "match_id": item.match_id,
        "actions": [
            {"name": a.name, "label": a.label, "destructive": a.destructive, "url": a.url}
            for a in item.actions
        ],
    }
