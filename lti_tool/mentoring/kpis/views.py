"""The KPI dashboard: a JSON API the page re-fetches, and the page itself (coordinators only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from lti_tool.identity.session import coordinator_required, current_context
from lti_tool.mentoring.kpis import service
from lti_tool.mentoring.programmes import service as programmes

bp = Blueprint("kpis", __name__)


@bp.get("/api/programmes/<int:programme_id>/kpis")
@coordinator_required
def kpis(programme_id: int) -> dict[str, Any]:
    return service.dashboard(programmes.get_programme(current_context(), programme_id))


@bp.get("/programmes/<int:programme_id>/kpis")
@coordinator_required
def dashboard_page(programme_id: int) -> str:
    programme = programmes.get_programme(current_context(), programme_id)
    return render_template("kpis/dashboard.html", programme=programme, kpis=service.dashboard(programme))
