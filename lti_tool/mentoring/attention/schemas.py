"""Shapes of the attention list's form and JSON."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from lti_tool.mentoring.attention.models import NOTE_MAX


class AttentionActIn(Schema):
    """The optional note a coordinator leaves with an action; sources read the rest of the form."""

    class Meta:
        unknown = EXCLUDE

    note = fields.String(
        load_default="",
        validate=validate.Length(max=NOTE_MAX),
        metadata={"description": "What the coordinator wants remembered with the action."},
    )


class AttentionActionOut(Schema):
    name = fields.String(required=True, metadata={"description": "The last segment of the action's URL."})
    label = fields.String(required=True)
    destructive = fields.Boolean(required=True, metadata={"description": "Ask for a confirmation first."})
    url = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "When set: a page to open instead of an action to post."},
    )


class AttentionItemOut(Schema):
    source = fields.String(required=True, metadata={"description": "The source that listed the item."})
    key = fields.String(required=True, metadata={"description": "The item within its source."})
    title = fields.String(required=True)
    reason = fields.String(required=True, metadata={"description": "Why it needs a person, in words."})
    since = fields.DateTime(required=True)
    severity = fields.Integer(
        required=True,
        validate=validate.Range(0, 2),
        metadata={"description": "0 information, 1 needs attention, 2 urgent."},
    )
    link = fields.String(
        required=True, allow_none=True, metadata={"description": "The Ritmo page of the thing."}
    )
    match_id = fields.Integer(required=True, allow_none=True)
    actions = fields.List(fields.Nested(AttentionActionOut), required=True)


class AttentionListOut(Schema):
    """What needs a coordinator, most urgent and oldest first."""

    items = fields.List(fields.Nested(AttentionItemOut), required=True)
    unavailable = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "The sources that could not be read just now (their items are missing)."},
    )


class AttentionActedOut(Schema):
    """The record of an action taken."""

    id = fields.Integer(required=True)
    result = fields.String(required=True, metadata={"description": "What was done, in words."})
    at = fields.DateTime(required=True)
