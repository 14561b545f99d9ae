"""``/api/me``: who the session token belongs to, and a copy of their data; ``/api/session/handoff``:
a one-time code that carries the session to the next page (``identity.handoff``)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from lti_tool.accounts import privacy
from lti_tool.accounts.models import Course, User
from lti_tool.db import db
from lti_tool.identity import handoff
from lti_tool.identity.session import current_context, current_token, login_required
from lti_tool.launch.models import Platform
from lti_tool.ratelimit import limit

bp = Blueprint("launch_api", __name__, url_prefix="/api")


@bp.get("/me")
@login_required
def me() -> dict[str, object]:
    ctx = current_context()
    user = db.get_or_404(User, ctx.user_id)
    course = db.session.get(Course, ctx.course_id) if ctx.course_id else None
    platform = db.get_or_404(Platform, ctx.platform_id)
    return {
        "user": {"id": user.id, "sub": user.sub, "name": user.display_name, "email": user.email},
        "platform": {"id": platform.id, "issuer": platform.issuer, "name": platform.name},
        "course": {"id": course.id, "context_id": course.context_id, "title": course.title}
        if course
        else None,
        "role": ctx.role.value,
        "is_mentor": ctx.is_mentor,
        "locale": ctx.locale,
    }


@bp.get("/me/export")
@login_required
@limit("export", key=lambda: str(current_context().user_id))
def export_me() -> Response:
    """Everything Ritmo holds about the caller, as a JSON download (GDPR right of access)."""
    response = jsonify(privacy.export(current_context().user_id))
    response.headers["Content-Disposition"] = 'attachment; filename="ritmo-my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/session/handoff")
@login_required
@limit("handoff", key=lambda: str(current_context().user_id))
def session_handoff() -> Response:
    """A code for the next page's URL (``?rh=``), in place of the token. POST only: nothing that
    merely fetches a URL (a prefetch, a crawler following a logged link) can make one."""
    response = jsonify({"code": handoff.mint(current_token()), "expires_in": handoff.CODE_TTL_SECONDS})
    response.headers["Cache-Control"] = "no-store"
    return response
