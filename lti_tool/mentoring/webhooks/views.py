"""The webhooks page inside the LMS frame, for the platform's LMS administrators only.

Every action is a plain form (no script needed) carrying the in-frame session; after a change the
page redirects to itself, except after adding, where the answer shows the new secret this once.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from lti_tool.errors import InvalidInput
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.lms_admin import require_lms_admin
from lti_tool.identity.session import current_context, login_required
from lti_tool.mentoring.webhooks import catalogue, outbox, subscriptions
from lti_tool.mentoring.webhooks.models import DeliveryStatus
from lti_tool.mentoring.webhooks.schemas import WebhookDeliveriesQuery, WebhookSubscriptionIn
from lti_tool.web import back_to, flat_messages, form_data

bp = Blueprint("webhooks", __name__)
_query = WebhookDeliveriesQuery()
_new = WebhookSubscriptionIn()


def _admin() -> LaunchContext:
    ctx = current_context()
    require_lms_admin(ctx, _("Only the LMS's administrators can manage this platform's webhooks."))
    return ctx


def _page(ctx: LaunchContext, **extra: Any) -> str:
    # The filter arrives in the query (a link) or in the page's own form (POSTed with the session,
    # so it works without script); "all" is the empty choice.
    chosen = {k: v for k, v in request.values.items() if k == "status" and v}
    status: DeliveryStatus | None = _query.load(chosen)["status"]
    found = subscriptions.of_platform(ctx.platform_id)
    return render_template(
        "webhooks/admin.html", subscriptions=found, counts=subscriptions.counts([s.id for s in found]),
        deliveries=outbox.deliveries(ctx.platform_id, status), status=status,
        statuses=list(DeliveryStatus), events=catalogue.EVENTS, **extra,
    )


@bp.route("/platform/webhooks", methods=["GET", "POST"])
@login_required
def admin_page() -> str:
    return _page(_admin())


@bp.post("/platform/webhooks/add")
@login_required
def add() -> tuple[str, int]:
    ctx = _admin()
    sent = {**form_data("description"), "events": request.form.getlist("events")}
    try:
        data = _new.load(sent)
        added = subscriptions.add(ctx.platform_id, data["url"], data["events"], data["description"],
                                  actor_user_id=ctx.user_id)
    except (ValidationError, InvalidInput) as error:
        # The form comes back with what was typed and a message by its field, not an error page.
        errors = flat_messages(error.messages if isinstance(error, ValidationError) else error.errors or {})
        return _page(ctx, errors=errors or {"": [str(error)]}, sent=sent), 422
    return _page(ctx, added=added), 201


@bp.post("/platform/webhooks/<int:subscription_id>/pause")
@login_required
def pause(subscription_id: int) -> Response:
    ctx = _admin()
    subscriptions.set_active(ctx.platform_id, subscription_id, False, actor_user_id=ctx.user_id)
    return back_to("webhooks.admin_page")


@bp.post("/platform/webhooks/<int:subscription_id>/resume")
@login_required
def resume(subscription_id: int) -> Response:
    ctx = _admin()
    subscriptions.set_active(ctx.platform_id, subscription_id, True, actor_user_id=ctx.user_id)
    return back_to("webhooks.admin_page")


@bp.post("/platform/webhooks/<int:subscription_id>/delete")
@login_required
def delete(subscription_id: int) -> Response:
    ctx = _admin()
    subscriptions.remove(ctx.platform_id, subscription_id, actor_user_id=ctx.user_id)
    return back_to("webhooks.admin_page")


@bp.post("/platform/webhooks/deliveries/<int:delivery_id>/resend")
@login_required
def resend_one(delivery_id: int) -> Response:
    ctx = _admin()
    outbox.resend(ctx.platform_id, delivery_id, actor_user_id=ctx.user_id)
    return back_to("webhooks.admin_page")


@bp.post("/platform/webhooks/deliveries/resend-failed")
@login_required
def resend_failed() -> Response:
    ctx = _admin()
    outbox.resend(ctx.platform_id, actor_user_id=ctx.user_id)
    return back_to("webhooks.admin_page")
