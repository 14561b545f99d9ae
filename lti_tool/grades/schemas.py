"""Delivery states as coordinators and admins see them."""

from __future__ import annotations

from marshmallow import Schema, fields


class DeliveryOut(Schema):
    id = fields.Integer()
    line_item = fields.Function(lambda r: r.line_item.label)
    resource_id = fields.Function(lambda r: r.line_item.resource_id)
    user_id = fields.Integer()
    user_name = fields.Function(lambda r: r.user.display_name)
    state = fields.Function(lambda r: r.state.value)
    score_given = fields.Float(allow_none=True)
    score_maximum = fields.Float()
    version = fields.Integer()
    delivered_version = fields.Integer()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
