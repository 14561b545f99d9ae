"""``lti-tool webhook add|list|remove|deliveries|resend`` for operators of the installation.

The command line acts for any platform (``--platform`` names it); the admin page acts for the
platform of the admin's launch.
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from marshmallow import ValidationError

from lti_tool.db import db
from lti_tool.errors import RitmoError
from lti_tool.launch.models import Platform
from lti_tool.mentoring.webhooks import outbox, subscriptions
from lti_tool.mentoring.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from lti_tool.mentoring.webhooks.schemas import WebhookSubscriptionIn

webhook_cli = AppGroup("webhook", help="Signed webhooks: subscriptions of a platform and their deliveries.")


def _fail(error: RitmoError | ValidationError) -> click.ClickException:
    if isinstance(error, ValidationError):
        details = "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in
                            error.normalized_messages().items())
        return click.ClickException(details)
    return click.ClickException(error.detail)


@webhook_cli.command("add")
@click.option("--platform", "platform_id", type=int, required=True,
              help="The platform's id (lti-tool platform list).")
@click.option("--url", required=True, help="The receiver's https URL.")
@click.option("--events", required=True, help="Comma-separated event names, e.g. match.approved,match.ended.")
@click.option("--description", default="", help="What the receiving system is.")
def add(platform_id: int, url: str, events: str, description: str) -> None:
    """Subscribe a URL; prints the signing secret once."""
    if db.session.get(Platform, platform_id) is None:
        raise click.ClickException(f"There is no platform {platform_id}.")
    try:
        data = WebhookSubscriptionIn().load(
            {"url": url, "events": [e.strip() for e in events.split(",") if e.strip()],
             "description": description}
        )
        added = subscriptions.add(platform_id, data["url"], data["events"], data["description"])
    except (RitmoError, ValidationError) as error:
        raise _fail(error) from error
    click.echo(f"Subscription {added.subscription.id}: {added.subscription.url}")
    click.echo(f"Signing secret (shown only now, copy it to the receiver): {added.secret}")


@webhook_cli.command("list")
@click.option("--platform", "platform_id", type=int, default=None, help="Only this platform.")
def list_(platform_id: int | None) -> None:
    """Every subscription: id, platform, state, events, URL."""
    query = sa.select(WebhookSubscription).order_by(WebhookSubscription.id)
    if platform_id is not None:
        query = query.where(WebhookSubscription.platform_id == platform_id)
    for s in db.session.execute(query).scalars():
        state = "active" if s.active else f"paused {s.paused_reason}".rstrip()
        click.echo(f"{s.id}\tplatform={s.platform_id}\t{state}\t{','.join(s.events)}\t{s.url}")


@webhook_cli.command("remove")
@click.argument("subscription_id", type=int)
def remove(subscription_id: int) -> None:
    """Delete a subscription and its deliveries."""
    found = db.session.get(WebhookSubscription, subscription_id)
    if found is None:
        raise click.ClickException(f"There is no webhook subscription {subscription_id}.")
    subscriptions.remove(found.platform_id, subscription_id)
    click.echo(f"Removed subscription {subscription_id}.")


@webhook_cli.command("deliveries")
@click.option("--status", type=click.Choice([s.value for s in DeliveryStatus]), default=None)
@click.option("--platform", "platform_id", type=int, default=None, help="Only this platform.")
def deliveries(status: str | None, platform_id: int | None) -> None:
    """The latest deliveries: id, event, status, attempts, next try, last answer."""
    query = (
        sa.select(WebhookDelivery).join(WebhookSubscription)
        .order_by(WebhookDelivery.id.desc()).limit(outbox.LIST_LIMIT)
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == DeliveryStatus(status))
    if platform_id is not None:
        query = query.where(WebhookSubscription.platform_id == platform_id)
    for d in db.session.execute(query).scalars():
        next_try = d.next_attempt_at.isoformat() if d.status is DeliveryStatus.PENDING else "-"
        click.echo(f"{d.id}\t{d.event_type}\t{d.status.value}\tattempts={d.attempts}\tnext={next_try}"
                   f"\t{d.last_error or d.last_status or ''}")


@webhook_cli.command("resend")
@click.argument("delivery_id", type=int)
def resend(delivery_id: int) -> None:
    """Send one delivery again (same event id and body)."""
    found = db.session.get(WebhookDelivery, delivery_id)
    if found is None:
        raise click.ClickException(f"There is no webhook delivery {delivery_id}.")
    outbox.resend(found.subscription.platform_id, delivery_id)
    click.echo(f"Delivery {delivery_id} will be sent again within a minute.")
