"""Delivery states as coordinators and admins see them, and the filter and answers of the API."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, pre_load

from lti_tool.grades.models import DeliveryState


class GradesDeliveryOut(Schema):
    """A score on its way to the LMS gradebook (one row of the outbox)."""

    id = fields.Integer(required=True)
    line_item = fields.String(
        required=True, attribute="line_item.label", metadata={"description": "The gradebook column."}
    )
    resource_id = fields.String(required=True, attribute="line_item.resource_id")
    user_id = fields.Integer(required=True)
    user_name = fields.String(required=True, attribute="user.display_name")
    state = fields.Enum(DeliveryState, by_value=True, required=True)
    score_given = fields.Float(required=True, allow_none=True)
    score_maximum = fields.Float(required=True)
    version = fields.Integer(required=True, metadata={"description": "Raised by every change of the score."})
    delivered_version = fields.Integer(required=True, metadata={"description": "The version the LMS has."})
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.DateTime(required=True)
    last_status = fields.Integer(
        required=True, allow_none=True, metadata={"description": "The LMS's HTTP status at the last try."}
    )
    last_error = fields.String(required=True, allow_none=True, metadata={"description": "Why it failed."})
    delivered_at = fields.DateTime(required=True, allow_none=True)
    updated_at = fields.DateTime(required=True)


class GradesDeliveriesQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    state = fields.Enum(
        DeliveryState,
        by_value=True,
        load_default=None,
        metadata={"description": "Only the scores in this state; empty or absent: all."},
    )

    @pre_load
    def _blank_is_all(self, data: Any, **_kwargs: Any) -> Any:
        if hasattr(data, "to_dict"):
            data = data.to_dict()
        if isinstance(data, dict) and data.get("state") == "":
            data = {k: v for k, v in data.items() if k != "state"}
        return data


_STATE_COUNTS = Schema.from_dict(
    {s.value: fields.Integer(required=True) for s in DeliveryState}, name="GradesStateCountsOut"
)


class GradesDeliveriesOut(Schema):
    """The course's scores for the LMS gradebook: how many in each state, and the latest 500."""

    counts = fields.Nested(_STATE_COUNTS, required=True)
    deliveries = fields.List(fields.Nested(GradesDeliveryOut), required=True)


class GradesRequeuedOut(Schema):
    requeued = fields.Integer(required=True, metadata={"description": "How many scores will be sent again."})
