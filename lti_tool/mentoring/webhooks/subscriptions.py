"""Subscriptions of a platform: add (the secret is returned once), list, pause, resume, remove.

Every function takes the platform the caller acts for; a subscription of another platform is the
same 404 as one that does not exist. The URL passes the guarded client's rules before it is stored
(https, no user name or password, no private, loopback or otherwise non-public address, also for a
name that resolves to one), so an admin hears at once what delivery would refuse.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from lti_tool import audit, http
from lti_tool.db import db
from lti_tool.errors import InvalidInput, NotFound
from lti_tool.mentoring.webhooks import catalogue, sealing
from lti_tool.mentoring.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

URL_MAX = 2048
DESCRIPTION_MAX = 255


@dataclass(frozen=True)
class Added:
    subscription: WebhookSubscription
    secret: str  # shown once: Ritmo keeps it encrypted and never shows it again


def add(platform_id: int, url: str, events: Sequence[str], description: str = "",
        *, actor_user_id: int | None = None) -> Added:
    """Subscribe ``url`` to ``events`` of the platform; commits."""
    url = url.strip()
    check_url(url)
    chosen = check_events(events)
    secret = sealing.new_secret()
    subscription = WebhookSubscription(
        platform_id=platform_id, url=url, events=chosen, secret_sealed=sealing.seal(secret),
        description=description.strip()[:DESCRIPTION_MAX], active=True,
    )
    db.session.add(subscription)
    db.session.flush()
    audit.record("webhook.subscribe", "webhook_subscription", subscription.id,
                 actor_user_id=actor_user_id, events=chosen)
    db.session.commit()
    return Added(subscription, secret)


def check_url(url: str) -> None:
    """Refuse what the guarded client would refuse, with a message for the form's field."""
    allow_private = bool(current_app.config["ALLOW_PRIVATE_URLS"])
    if len(url) > URL_MAX:
        raise _bad_url(_("The URL is longer than %(n)d characters.", n=URL_MAX))
    try:
        http.check_url(url, allow_private=allow_private)
    except http.OutboundRefused as error:
        raise _bad_url(_("Ritmo cannot send to this URL (%(why)s). Use a public https address.",
                         why=str(error))) from error
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as error:  # ValueError: a label IDNA cannot encode
        raise _bad_url(_("The host name %(host)s does not resolve. Check the URL.", host=host)) from error
    for info in infos:
        reason = http.address_refusal(str(info[4][0]))
        if reason:
            why = host + " resolves to " + reason
            raise _bad_url(_("Ritmo cannot send to this URL (%(why)s). Use a public https address.", why=why))


def _bad_url(message: str) -> InvalidInput:
    return InvalidInput(message, errors={"url": [message]})


def check_events(events: Sequence[str]) -> list[str]:
    chosen = sorted({e.strip() for e in events if e.strip()})
    unknown = [e for e in chosen if e not in catalogue.NAMES]
    if unknown or not chosen:
        message = _("Choose one or more of: %(names)s.", names=", ".join(catalogue.NAMES))
        raise InvalidInput(message, errors={"events": [message]})
    return chosen


def of_platform(platform_id: int) -> list[WebhookSubscription]:
    return list(db.session.execute(
        sa.select(WebhookSubscription).where(WebhookSubscription.platform_id == platform_id)
        .order_by(WebhookSubscription.id)
    ).scalars())


def get(platform_id: int, subscription_id: int) -> WebhookSubscription:
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.platform_id != platform_id:
        raise NotFound(_("There is no such webhook subscription on this platform."))
    return subscription


def set_active(platform_id: int, subscription_id: int, active: bool,
               *, actor_user_id: int | None = None) -> WebhookSubscription:
    """Pause (deliveries wait, none are lost) or resume; commits."""
    subscription = get(platform_id, subscription_id)
    subscription.active, subscription.paused_reason = active, ""
    audit.record("webhook.resume" if active else "webhook.pause", "webhook_subscription",
                 subscription.id, actor_user_id=actor_user_id)
    db.session.commit()
    return subscription


def remove(platform_id: int, subscription_id: int, *, actor_user_id: int | None = None) -> None:
    """Delete the subscription and its deliveries; commits."""
    subscription = get(platform_id, subscription_id)
    db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id))
    db.session.delete(subscription)
    audit.record("webhook.remove", "webhook_subscription", subscription_id, actor_user_id=actor_user_id)
    db.session.commit()


def counts(subscription_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Deliveries by status, per subscription (one query)."""
    found: dict[int, dict[str, int]] = {i: {s.value: 0 for s in DeliveryStatus} for i in subscription_ids}
    for sid, status, n in db.session.execute(
        sa.select(WebhookDelivery.subscription_id, WebhookDelivery.status, sa.func.count())
        .where(WebhookDelivery.subscription_id.in_(list(subscription_ids)))
        .group_by(WebhookDelivery.subscription_id, WebhookDelivery.status)
    ):
        found[sid][DeliveryStatus(status).value] = int(n)
    return found
