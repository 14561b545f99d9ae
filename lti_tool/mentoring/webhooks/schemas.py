"""Shapes at the boundary: a new subscription (form, CLI) and the deliveries filter."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from lti_tool.mentoring.webhooks.catalogue import NAMES
from lti_tool.mentoring.webhooks.models import DeliveryStatus
from lti_tool.mentoring.webhooks.subscriptions import DESCRIPTION_MAX, URL_MAX
from lti_tool.web import ID_RANGE


class WebhookSubscriptionIn(Schema):
    url = fields.String(required=True, validate=validate.Length(
        min=1, max=URL_MAX, error=_l("Give the receiving system's https URL (at most {max} characters).")))
    events = fields.List(
        fields.String(validate=validate.OneOf(NAMES, error=_l("Ritmo sends no event named {input}."))),
        required=True, validate=validate.Length(min=1, error=_l("Choose one or more events.")),
    )
    description = fields.String(load_default="", validate=validate.Length(max=DESCRIPTION_MAX))


class WebhookDeliveriesQuery(Schema):
    status = fields.Enum(DeliveryStatus, by_value=True, load_default=None)


class WebhookStateIn(Schema):
    active = fields.Boolean(required=True, metadata={"description": "false pauses (deliveries wait), "
                                                                    "true resumes."})


class WebhookSubscriptionOut(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(validate=validate.OneOf(NAMES)), required=True)
    active = fields.Boolean(required=True)
    paused_reason = fields.String(required=True, metadata={
        "description": "Why Ritmo paused it (a 410 from the receiver); empty otherwise."})
    description = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class WebhookSubscriptionCreatedOut(WebhookSubscriptionOut):
    secret = fields.String(required=True, metadata={
        "description": "The signing secret, returned only in this answer: keep it in the receiver."})


class WebhookSubscriptionsOut(Schema):
    items = fields.List(fields.Nested(WebhookSubscriptionOut), required=True)


class WebhookDeliveryOut(Schema):
    id = fields.Integer(required=True)
    subscription_id = fields.Integer(required=True)
    event_id = fields.String(required=True, metadata={"description": "Sent as Ritmo-Webhook-Id."})
    event_type = fields.String(required=True, validate=validate.OneOf(NAMES))
    status = fields.Enum(DeliveryStatus, by_value=True, required=True)
    attempts = fields.Integer(required=True)
    last_status = fields.Integer(required=True, allow_none=True, metadata={
        "description": "The receiver's HTTP status at the last attempt."})
    last_error = fields.String(required=True, allow_none=True)
    next_attempt_at = fields.DateTime(required=True, metadata={
        "description": "When a pending delivery is tried next."})
    created_at = fields.DateTime(required=True)
    delivered_at = fields.DateTime(required=True, allow_none=True)


class WebhookDeliveriesOut(Schema):
    items = fields.List(fields.Nested(WebhookDeliveryOut), required=True)


class WebhookDeliveriesApiQuery(WebhookDeliveriesQuery):
    subscription_id = fields.Integer(load_default=None, validate=ID_RANGE)


class WebhookRequeuedOut(Schema):
    requeued = fields.Integer(required=True,
                              metadata={"description": "How many deliveries will be sent again."})


class WebhookEventOut(Schema):
    name = fields.String(required=True)
    description = fields.String(required=True)


class WebhookEventsOut(Schema):
    items = fields.List(fields.Nested(WebhookEventOut), required=True)
