"""Shapes at the boundary: a new subscription (form, CLI) and the deliveries filter."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lti_tool.mentoring.webhooks.catalogue import NAMES
from lti_tool.mentoring.webhooks.models import DeliveryStatus
from lti_tool.mentoring.webhooks.subscriptions import DESCRIPTION_MAX, URL_MAX


class WebhookSubscriptionIn(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=URL_MAX))
    events = fields.List(fields.String(validate=validate.OneOf(NAMES)), required=True,
                         validate=validate.Length(min=1))
    description = fields.String(load_default="", validate=validate.Length(max=DESCRIPTION_MAX))


class WebhookDeliveriesQuery(Schema):
    status = fields.Enum(DeliveryStatus, by_value=True, load_default=None)
