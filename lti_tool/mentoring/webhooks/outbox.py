"""Writing deliveries when events happen, and listing and re-sending them.

The handler runs inside the emitter's transaction (``events.emit`` is synchronous), so a delivery
row exists exactly when the change it reports was committed: a rolled-back approval sends nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from lti_tool import audit, events
from lti_tool.accounts.models import Course
from lti_tool.db import db, utcnow
from lti_tool.errors import NotFound
from lti_tool.events import DomainEvent
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.webhooks import catalogue
from lti_tool.mentoring.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

#: Rows shown on the admin page and by the CLI, newest first.
LIST_LIMIT = 200


def listen() -> None:
    for event_type in catalogue.EVENTS:
        events.subscribe(event_type.domain_event, on_event)


def on_event(event: DomainEvent) -> None:
    """Queue one delivery per subscription of the event's platform that chose it."""
    event_type = catalogue.BY_DOMAIN_EVENT.get(event.name)
    if event_type is None:
        return
    platform_id = db.session.execute(
        sa.select(Course.platform_id).join(Programme, Programme.course_id == Course.id)
        .where(Programme.id == event.programme_id)
    ).scalar_one_or_none()
    if platform_id is None:
        return
    # Paused subscriptions get their deliveries too: they wait and go out on resume.
    wanted = [
        s for s in db.session.execute(
            sa.select(WebhookSubscription).where(WebhookSubscription.platform_id == platform_id)
        ).scalars()
        if event_type.name in s.events
    ]
    if not wanted:
        return  # the common case: one small query and nothing built
    built = catalogue.build(event_type.name, event)
    if built is None:
        return
    now = utcnow()
    for subscription in wanted:
        db.session.add(WebhookDelivery(
            subscription_id=subscription.id, event_id=built.event_id, event_type=event_type.name,
            body=built.body, status=DeliveryStatus.PENDING, next_attempt_at=now, created_at=now,
        ))


def deliveries(platform_id: int, status: DeliveryStatus | None = None,
               subscription_id: int | None = None) -> list[WebhookDelivery]:
    query = (
        sa.select(WebhookDelivery)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookSubscription.platform_id == platform_id)
        .options(contains_eager(WebhookDelivery.subscription))  # the page shows each one's URL
        .order_by(WebhookDelivery.id.desc())
        .limit(LIST_LIMIT)
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if subscription_id is not None:
        query = query.where(WebhookDelivery.subscription_id == subscription_id)
    return list(db.session.execute(query).scalars())


def resend(platform_id: int, delivery_id: int | None = None, *, actor_user_id: int | None = None) -> int:
    """Send one delivery again (any status), or every failed one of the platform; commits.

    The body and event id stay the same, so a receiver that already has the event can tell."""
    query = (
        sa.select(WebhookDelivery)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookSubscription.platform_id == platform_id)
    )
    if delivery_id is not None:
        query = query.where(WebhookDelivery.id == delivery_id)
    else:
        query = query.where(WebhookDelivery.status == DeliveryStatus.FAILED)
    rows = list(db.session.execute(query).scalars())
    if delivery_id is not None and not rows:
        raise NotFound(_("There is no such webhook delivery on this platform."))
    now = utcnow()
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = DeliveryStatus.PENDING, 0, now
    audit.record("webhook.resend", "webhook_delivery", delivery_id or "failed",
                 actor_user_id=actor_user_id, count=len(rows))
    db.session.commit()
    return len(rows)
