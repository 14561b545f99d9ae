"""``GET /health``: is the database reachable and migrated, and is the cache answering?"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Flask, jsonify

from lti_tool.cache import cache
from lti_tool.db import db
from lti_tool.migrations_runner import pending_migrations

bp = Blueprint("health", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/health")
def health():
    checks: dict[str, str] = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok" if not pending_migrations() else "needs 'lti-tool db upgrade'"
    except sa.exc.SQLAlchemyError as error:
        checks["database"] = f"error: {type(error).__name__}"
    try:
        cache().set("health", {"ok": True}, 10)
        checks["cache"] = "ok" if cache().get("health") else "error: value not kept"
    except Exception as error:
        checks["cache"] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if healthy else "degraded", checks=checks), 200 if healthy else 503
