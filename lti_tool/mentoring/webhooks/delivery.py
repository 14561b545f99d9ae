"""Sending due deliveries: signed, through the guarded client, with retries and backoff.

The periodic task ``webhooks.deliver`` runs every minute. It claims due rows in a short transaction
of its own (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) by moving their next attempt a lease ahead,
so a sender that dies leaves them due again within :data:`LEASE`; then it posts each one and
records the outcome:

- 2xx: delivered;
- 410 Gone: the receiver wants no more; the subscription is paused and the delivery failed
  (resume and re-send from the admin page once the receiver is back);
- anything else, a refused address, a timeout: tried again after an exponential backoff with
  jitter (about 1, 2, 4... minutes, at most 6 hours apart): :data:`MAX_ATTEMPTS` attempts over
  about a day, then failed.

What is recorded and logged is Ritmo's own account (the status line, the network's error), never
the receiver's body. Deliveries delivered or failed more than :data:`KEPT_FOR` ago are deleted.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import requests
import sqlalchemy as sa

from lti_tool import http
from lti_tool.db import db, utcnow
from lti_tool.mentoring.webhooks import sealing, signing
from lti_tool.mentoring.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

log = logging.getLogger(__name__)

TASK = "webhooks.deliver"
BATCH = 50
LEASE = timedelta(minutes=2)
#: One attempt's whole answer, headers included, must arrive within this (the client cuts the socket).
DEADLINE_SECONDS = 10.0
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
#: 1 + 2 + ... + 256 minutes, then 6 hours three times: the last attempt comes about 26 hours in.
MAX_ATTEMPTS = 13
KEPT_FOR = timedelta(days=30)
#: A run stops claiming more after this long; the next minute's run goes on.
RUN_BUDGET_SECONDS = 45.0


@dataclass(frozen=True)
class Claimed:
    id: int
    subscription_id: int
    event_id: str
    event_type: str
    body: str
    url: str
    secret_sealed: str
    created_at: datetime


@dataclass(frozen=True)
class Outcome:
    id: int
    ok: bool
    status: int | None = None
    error: str | None = None
    gone: bool = False
    # Not sent: its subscription's receiver answered 410 earlier in this batch, or the run's time is up.
    held: bool = False


def deliver_task(payload: dict[str, Any]) -> None:
    deliver_due()


def deliver_due(now: datetime | None = None) -> int:
    """Send everything due at ``now`` (default: the clock); returns how many were delivered."""
    started = time.monotonic()
    now = now or utcnow()
    base = http.client()
    outbound = replace(base, deadline_seconds=min(DEADLINE_SECONDS, base.deadline_seconds))
    delivered = 0
    stop_at = started + RUN_BUDGET_SECONDS
    while time.monotonic() < stop_at:
        claimed = claim(now, BATCH)
        if not claimed:
            break
        outcomes = send_all(outbound, claimed, stop_at)
        delivered += record(claimed, outcomes, now)
        if len(claimed) < BATCH:
            break
    prune(now)
    return delivered


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        WebhookDelivery.status == DeliveryStatus.PENDING,
        WebhookDelivery.next_attempt_at <= now,
        WebhookSubscription.active.is_(True),
    )


def claim(now: datetime, limit: int) -> list[Claimed]:
    """Lease due rows of active subscriptions in a transaction of their own."""
    query = (
        sa.select(WebhookDelivery, WebhookSubscription.url, WebhookSubscription.secret_sealed)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(_due(now))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(of=WebhookDelivery, skip_locked=True)
    claimed = [
        Claimed(row.id, row.subscription_id, row.event_id, row.event_type, row.body, url, sealed,
                row.created_at)
        for row, url, sealed in db.session.execute(query).all()
    ]
    if claimed:
        db.session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id.in_([c.id for c in claimed]))
            .values(next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return claimed


def send_all(outbound: http.Client, claimed: list[Claimed], stop_at: float) -> list[Outcome]:
    """Send a batch in order; after a 410, the rest of that subscription's rows are held back, and
    past ``stop_at`` (slow receivers ate the run's time) the rest of the batch waits for the next run."""
    gone: set[int] = set()
    outcomes = []
    for c in claimed:
        if c.subscription_id in gone or time.monotonic() >= stop_at:
            outcomes.append(Outcome(c.id, False, held=True))
            continue
        outcome = send(outbound, c)
        if outcome.gone:
            gone.add(c.subscription_id)
        outcomes.append(outcome)
    return outcomes


def send(outbound: http.Client, claimed: Claimed) -> Outcome:
    """One signed POST; never raises for the receiver's or the network's doing."""
    try:
        secret = sealing.unseal(claimed.secret_sealed)
    except sealing.SecretUnreadable as error:
        return Outcome(claimed.id, False, error=str(error))
    body = claimed.body.encode()
    headers = signing.headers(secret, claimed.event_id, claimed.event_type, body, int(time.time()))
    try:
        answer = outbound.post(claimed.url, headers=headers, data=body)
    except http.OutboundRefused as error:
        return Outcome(claimed.id, False, error=f"Ritmo refused to send: {error}")
    except requests.RequestException as error:
        return Outcome(claimed.id, False, error=f"The receiver could not be reached: {type(error).__name__}")
    if 200 <= answer.status_code < 300:
        return Outcome(claimed.id, True, answer.status_code)
    reason = f"The receiver answered {answer.status_code} {answer.reason}".rstrip() + "."
    return Outcome(claimed.id, False, answer.status_code, reason, gone=answer.status_code == 410)


def record(claimed: list[Claimed], outcomes: list[Outcome], now: datetime) -> int:
    """Write every outcome in one transaction; returns how many were delivered."""
    rows = {
        row.id: row for row in db.session.execute(
            sa.select(WebhookDelivery).where(WebhookDelivery.id.in_([c.id for c in claimed]))
        ).scalars()
    }
    delivered = 0
    for outcome in outcomes:
        row = rows.get(outcome.id)
        if row is None:  # its subscription was removed meanwhile
            continue
        if outcome.held:  # due again at once: for the next run, or once the subscription is resumed
            row.next_attempt_at = now
            continue
        row.attempts += 1
        row.last_status = outcome.status
        if outcome.ok:
            delivered += 1
            row.status, row.delivered_at, row.last_error = DeliveryStatus.DELIVERED, now, None
            continue
        row.last_error = (outcome.error or "")[:2000]
        log.info("webhook delivery %s failed (attempt %s): %s", row.id, row.attempts, row.last_error)
        if outcome.gone:
            row.status = DeliveryStatus.FAILED
            _pause(row.subscription_id)
            continue
        if row.attempts >= MAX_ATTEMPTS:
            row.status = DeliveryStatus.FAILED
            row.last_error = f"Gave up after {row.attempts} attempts: {row.last_error}"
        else:
            row.next_attempt_at = now + backoff(row.attempts)
    db.session.commit()
    return delivered


def _pause(subscription_id: int) -> None:
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is not None and subscription.active:
        subscription.active = False
        subscription.paused_reason = "The receiver answered 410 Gone."


def backoff(attempts: int) -> timedelta:
    """About ``1 min * 2**(attempts-1)``, capped, with +/-20% jitter so receivers are not hit in step."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return ceiling * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security


def prune(now: datetime) -> None:
    db.session.execute(
        sa.delete(WebhookDelivery).where(
            WebhookDelivery.status != DeliveryStatus.PENDING, WebhookDelivery.created_at < now - KEPT_FOR
        )
    )
    db.session.commit()
