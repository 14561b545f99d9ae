"""Webhooks for an institution's systems: the same management as the admin page, with an API key of
the platform holding ``webhooks:manage``. Everything is bound to the key's platform; another
platform's subscription or delivery answers 404."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from lti_tool.api.key_auth import current_key, key_required
from lti_tool.api.spec import Auth, document
from lti_tool.mentoring.webhooks import catalogue, outbox, subscriptions
from lti_tool.mentoring.webhooks.schemas import (
    WebhookDeliveriesApiQuery,
    WebhookDeliveriesOut,
    WebhookEventsOut,
    WebhookRequeuedOut,
    WebhookStateIn,
    WebhookSubscriptionCreatedOut,
    WebhookSubscriptionIn,
    WebhookSubscriptionOut,
    WebhookSubscriptionsOut,
)
from lti_tool.web import body

bp = Blueprint("webhooks_api", __name__)
SCOPE = "webhooks:manage"
KEY: tuple[Auth, ...] = ("apiKey",)
SCOPES = (SCOPE,)
TAGS = ("webhooks",)
#: Each key is rate-limited per minute (``key_auth``): reads can answer 429 too.
RATE_LIMITED = (429,)


@bp.get("/api/platform/webhooks/events")
@document("List the events a subscription may choose",
          description="Their names and what each means; the payloads are described in docs/api.md.",
          responses={200: WebhookEventsOut}, auth=KEY, scopes=SCOPES, tags=TAGS,
          errors=RATE_LIMITED)
@key_required(SCOPE)
def events() -> dict[str, Any]:
    return WebhookEventsOut().dump({"items": [
        {"name": e.name, "description": str(e.label)} for e in catalogue.EVENTS
    ]})


@bp.get("/api/platform/webhooks")
@document("List the platform's webhook subscriptions", responses={200: WebhookSubscriptionsOut},
          auth=KEY, scopes=SCOPES, tags=TAGS,
          errors=RATE_LIMITED)
@key_required(SCOPE)
def list_subscriptions() -> dict[str, Any]:
    found = subscriptions.of_platform(current_key().platform_id)
    return WebhookSubscriptionsOut().dump({"items": found})


@bp.post("/api/platform/webhooks")
@document("Subscribe a URL to events",
          description="The answer carries the signing secret, the only time Ritmo shows it. The URL "
          "must be a public https address (no user name or password).",
          body=WebhookSubscriptionIn, responses={201: WebhookSubscriptionCreatedOut},
          auth=KEY, scopes=SCOPES, tags=TAGS)
@key_required(SCOPE)
def subscribe() -> tuple[dict[str, Any], int]:
    data = WebhookSubscriptionIn().load(body())
    added = subscriptions.add(current_key().platform_id, data["url"], data["events"], data["description"])
    out = WebhookSubscriptionCreatedOut().dump(added.subscription)
    return out | {"secret": added.secret}, 201


@bp.get("/api/platform/webhooks/<int:subscription_id>")
@document("Read a webhook subscription", responses={200: WebhookSubscriptionOut},
          auth=KEY, scopes=SCOPES, tags=TAGS,
          errors=RATE_LIMITED)
@key_required(SCOPE)
def read_subscription(subscription_id: int) -> dict[str, Any]:
    return WebhookSubscriptionOut().dump(subscriptions.get(current_key().platform_id, subscription_id))


@bp.patch("/api/platform/webhooks/<int:subscription_id>")
@document("Pause or resume a webhook subscription",
          description="Paused, its deliveries wait (none are lost) and go out once it is resumed.",
          body=WebhookStateIn, responses={200: WebhookSubscriptionOut}, auth=KEY, scopes=SCOPES, tags=TAGS)
@key_required(SCOPE)
def set_state(subscription_id: int) -> dict[str, Any]:
    data = WebhookStateIn().load(body())
    found = subscriptions.set_active(current_key().platform_id, subscription_id, data["active"])
    return WebhookSubscriptionOut().dump(found)


@bp.delete("/api/platform/webhooks/<int:subscription_id>")
@document("Remove a webhook subscription", description="Its deliveries are removed with it.",
          responses={204: None}, auth=KEY, scopes=SCOPES, tags=TAGS)
@key_required(SCOPE)
def remove(subscription_id: int) -> tuple[str, int]:
    subscriptions.remove(current_key().platform_id, subscription_id)
    return "", 204


@bp.get("/api/platform/webhooks/deliveries")
@document("List recent webhook deliveries", description="The latest 200, newest first.",
          query=WebhookDeliveriesApiQuery, responses={200: WebhookDeliveriesOut},
          auth=KEY, scopes=SCOPES, tags=TAGS,
          errors=RATE_LIMITED)
@key_required(SCOPE)
def list_deliveries() -> dict[str, Any]:
    query = WebhookDeliveriesApiQuery().load(request.args)
    found = outbox.deliveries(current_key().platform_id, query["status"], query["subscription_id"])
    return WebhookDeliveriesOut().dump({"items": found})


@bp.post("/api/platform/webhooks/deliveries/<int:delivery_id>/resend")
@document("Send a webhook delivery again",
          description="Same event id and body; it goes out within a minute.",
          responses={200: WebhookRequeuedOut}, body_required=False, auth=KEY, scopes=SCOPES, tags=TAGS)
@key_required(SCOPE)
def resend_one(delivery_id: int) -> dict[str, Any]:
    return WebhookRequeuedOut().dump({"requeued": outbox.resend(current_key().platform_id, delivery_id)})


@bp.post("/api/platform/webhooks/deliveries/resend-failed")
@document("Send every failed webhook delivery again", responses={200: WebhookRequeuedOut},
          body_required=False, auth=KEY, scopes=SCOPES, tags=TAGS)
@key_required(SCOPE)
def resend_failed() -> dict[str, Any]:
    return WebhookRequeuedOut().dump({"requeued": outbox.resend(current_key().platform_id)})
