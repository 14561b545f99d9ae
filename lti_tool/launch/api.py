"""``/api/me``: who the session token belongs to, and a copy of their data; ``/api/session/handoff``:
a one-time code that carries the session to the next page (``identity.handoff``)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from lti_tool.accounts import privacy
from lti_tool.accounts.models import Course, User
from lti_tool.api.spec import Response as Documented
from lti_tool.api.spec import document
from lti_tool.db import db
from lti_tool.identity import handoff
from lti_tool.identity.session import current_context, current_token, login_required
from lti_tool.launch import api_schemas
from lti_tool.launch.models import Platform
from lti_tool.ratelimit import limit

bp = Blueprint("launch_api", __name__, url_prefix="/api")


_TAGS = ("session",)


@bp.get("/me")
@document(
    "Read who I am",
    description="Anyone with a session: the person, platform and course of the session token, and "
    "their role.",
    tags=_TAGS,
    responses={200: api_schemas.MeOut},
    errors=(404,),  # the person or platform was erased while the token still ran
)
@login_required
def me() -> dict[str, object]:
    ctx = current_context()
    user = db.get_or_404(User, ctx.user_id)
    course = db.session.get(Course, ctx.course_id) if ctx.course_id else None
    platform = db.get_or_404(Platform, ctx.platform_id)
    return api_schemas.MeOut().dump(
        {
            "user": {"id": user.id, "sub": user.sub, "name": user.display_name, "email": user.email},
            "platform": platform,
            "course": course,
            "role": ctx.role,
            "is_mentor": ctx.is_mentor,
            "locale": ctx.locale,
        }
    )


@bp.get("/me/export")
@document(
    "Download my data",
    description="Anyone with a session: everything Ritmo holds about the caller (the right of access), "
    "as a JSON file; a few copies a minute at most.",
    tags=_TAGS,
    responses={
        200: Documented(
            "Everything Ritmo holds about the caller, by table",
            api_schemas.MeExportOut,
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="ritmo-my-data.json"'},
        )
    },
    errors=(429,),
)
@login_required
@limit("export", key=lambda: str(current_context().user_id))
def export_me() -> Response:
    """Everything Ritmo holds about the caller, as a JSON download (GDPR right of access)."""
    response = jsonify(privacy.export(current_context().user_id))
    response.headers["Content-Disposition"] = 'attachment; filename="ritmo-my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/session/handoff")
@document(
    "Get a one-time code for the next page",
    description="Anyone with a session: a short-lived code that opens the next page (``?rh=<code>``) "
    "instead of putting the session token in a URL.",
    tags=_TAGS,
    body_required=False,
    responses={200: api_schemas.HandoffOut},
)
@login_required
@limit("handoff", key=lambda: str(current_context().user_id))
def session_handoff() -> Response:
    """A code for the next page's URL (``?rh=``), in place of the token. POST only: nothing that
    merely fetches a URL (a prefetch, a crawler following a logged link) can make one."""
    response = jsonify(
        api_schemas.HandoffOut().dump(
            {"code": handoff.mint(current_token()), "expires_in": handoff.CODE_TTL_SECONDS}
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response
