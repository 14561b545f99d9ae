"""Notifications list, e-mail preferences, and the one-click unsubscribe endpoint."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Response, redirect, render_template, request

from lti_tool.accounts.models import User
from lti_tool.api.spec import document
from lti_tool.db import db
from lti_tool.identity.session import current_context, login_required, session_url
from lti_tool.notifications import quiet_hours, schemas, service
from lti_tool.notifications.models import EmailMode, EmailPreference

bp = Blueprint("notifications", __name__)


_TAGS = ("notifications",)


@bp.get("/api/notifications")
@document(
    "List my notifications",
    description="The caller's in-app notifications, newest first, a page at a time: pass the answer's "
    "``next_before`` as ``before`` for the next (older) page, until ``next_before`` is null.",
    tags=_TAGS,
    query=schemas.NotificationsQuery,
    responses={200: schemas.NotificationsPageOut},
)
@login_required
def api_list() -> dict[str, Any]:
    user_id = current_context().user_id
    before = schemas.NotificationsQuery().load(request.args)["before"]
    rows, cursor = service.list_notifications(user_id, before_id=before)
    return schemas.NotificationsPageOut().dump(
        {
            "notifications": [schemas.notification_json(n) for n in rows],
            "next_before": cursor,
            "unread": service.unread_count(user_id),
        }
    )


@bp.post("/api/notifications/read")
@document(
    "Mark my notifications read",
    description="The given ones of the caller's notifications, or all of them without ``ids``.",
    tags=_TAGS,
    body=schemas.NotificationsMarkReadIn,
    body_required=False,
    responses={200: schemas.NotificationsMarkedOut},
)
@login_required
def api_read() -> dict[str, Any]:
    data = schemas.NotificationsMarkReadIn().load(request.get_json(silent=True) or {})
    return schemas.NotificationsMarkedOut().dump(
        {"marked": service.mark_read(current_context().user_id, data["ids"])}
    )


@bp.get("/api/notifications/preferences")
@document(
    "Read my e-mail preferences",
    tags=_TAGS,
    responses={200: schemas.NotificationSettingsOut},
    errors=(404,),  # the person was erased while the token still ran
)
@login_required
def api_preferences() -> dict[str, Any]:
    user = db.get_or_404(User, current_context().user_id)
    return schemas.NotificationSettingsOut().dump(
        {
            "email": service.email_mode(user.id),
            "address": user.email,
            "modes": list(EmailMode),
            "quiet_hours": schemas.quiet_hours_json(quiet_hours.hours_of(user.id)),
            "timezone": quiet_hours.zone_name(user),
        }
    )


@bp.put("/api/notifications/preferences")
@document(
    "Set my e-mail preferences",
    description="The e-mail mode, and the quiet hours when given (null: none; absent: unchanged).",
    tags=_TAGS,
    body=schemas.NotificationPreferencesIn,
    responses={200: schemas.NotificationPreferencesOut},
)
@login_required
def api_set_preferences() -> dict[str, Any]:
    data = schemas.NotificationPreferencesIn().load(request.get_json(silent=True) or {})
    user_id = current_context().user_id
    pref = _save(user_id, data)
    return schemas.NotificationPreferencesOut().dump(
        {"email": pref.mode, "quiet_hours": schemas.quiet_hours_json(quiet_hours.hours_of(user_id))}
    )


def _save(user_id: int, data: dict[str, Any]) -> EmailPreference:
    """The mode, then the quiet hours when given (each commits; both are validated first)."""
    pref = service.set_email_mode(user_id, data["email"])
    if "quiet_hours" in data:
        hours = data["quiet_hours"]
        pref = quiet_hours.set_hours(user_id, (hours["start"], hours["end"]) if hours else None)
    return pref


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
        form = request.form
        quiet = (
            {"start": form.get("quiet_start", ""), "end": form.get("quiet_end", "")}
            if form.get("quiet") == "on"
            else None
        )
        data = schemas.NotificationPreferencesIn().load({"email": form["email"], "quiet_hours": quiet})
        _save(user.id, data)
        url = session_url("notifications.preferences_page", saved=1)
        return cast(Response, redirect(url, code=303))
    return render_template(
        "notifications/preferences.html",
        user=user,
        mode=service.email_mode(user.id),
        modes=EmailMode,
        quiet=quiet_hours.hours_of(user.id),
        suggested=quiet_hours.SUGGESTED,
        zone=quiet_hours.zone_name(user),
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
