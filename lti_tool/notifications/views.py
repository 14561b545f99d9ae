"""Notifications list, e-mail preferences, and the one-click unsubscribe endpoint."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Response, redirect, render_template, request

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.identity.session import current_context, login_required, session_url
from lti_tool.notifications import schemas, service
from lti_tool.notifications.models import EmailMode

bp = Blueprint("notifications", __name__)


@bp.get("/api/notifications")
@login_required
def api_list() -> dict[str, Any]:
    user_id = current_context().user_id
    rows, cursor = service.list_notifications(user_id, before_id=request.args.get("before", type=int))
    return {
        "notifications": [schemas.notification_json(n) for n in rows],
        "next_before": cursor,
        "unread": service.unread_count(user_id),
    }


@bp.post("/api/notifications/read")
@login_required
def api_read() -> dict[str, Any]:
    data = schemas.MarkReadSchema().load(request.get_json(silent=True) or {})
    return {"marked": service.mark_read(current_context().user_id, data["ids"])}


@bp.get("/api/notifications/preferences")
@login_required
def api_preferences() -> dict[str, Any]:
    user = db.get_or_404(User, current_context().user_id)
    return {
        "email": service.email_mode(user.id).value,
        "address": user.email,
        "modes": [m.value for m in EmailMode],
    }


@bp.put("/api/notifications/preferences")
@login_required
def api_set_preferences() -> dict[str, Any]:
    data = schemas.PreferenceSchema().load(request.get_json(silent=True) or {})
    pref = service.set_email_mode(current_context().user_id, data["email"])
    return {"email": pref.mode.value}


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications_page() -> str:
    user_id = current_context().user_id
    if request.method == "POST" and request.form.get("action") == "read-all":
        service.mark_read(user_id)
    rows, cursor = service.list_notifications(user_id, before_id=request.args.get("before", type=int))
    unread = service.unread_count(user_id)
    return render_template("notifications/list.html", rows=rows, cursor=cursor, unread=unread)


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences_page() -> Response | str:
    user = db.get_or_404(User, current_context().user_id)
    if request.method == "POST" and "email" in request.form:
        data = schemas.PreferenceSchema().load({"email": request.form["email"]})
        service.set_email_mode(user.id, data["email"])
        url = session_url("notifications.preferences_page", saved=1)
        return cast(Response, redirect(url, code=303))
    return render_template(
        "notifications/preferences.html",
        user=user,
        mode=service.email_mode(user.id),
        modes=EmailMode,
        saved=request.args.get("saved") == "1",
    )


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Response | str | tuple[str, int]:
    """GET shows a one-button page (link scanners must not unsubscribe anyone); POST unsubscribes.

    Mail clients honouring RFC 8058 POST ``List-Unsubscribe=One-Click`` here directly.
    """
    if request.method == "POST":
        user = service.unsubscribe(token)
        return render_template("notifications/unsubscribed.html", user=user)
    user = service.user_for_unsubscribe(token)
    return render_template("notifications/unsubscribe.html", user=user, token=token)
