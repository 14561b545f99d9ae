"""``/api/me``: who the session token belongs to."""

from __future__ import annotations

from flask import Blueprint

from lti_tool.accounts.models import Course, User
from lti_tool.db import db
from lti_tool.launch.models import Platform
from lti_tool.launch.session import current_context, login_required

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
