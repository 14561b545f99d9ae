"""A programme's key figures for the institution's systems (a BI tool; API key, ``kpis:read``): the
coordinators' dashboard, figure for figure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint

from lti_tool import timezones
from lti_tool.api.key_auth import current_key, key_required
from lti_tool.api.spec import document
from lti_tool.mentoring.kpis import board, schemas, service
from lti_tool.mentoring.programmes import service as programmes

bp = Blueprint("kpis_platform", __name__)


@bp.get("/api/platform/programmes/<int:programme_id>/kpis")
@document(
    "Read a programme's key figures",
    description="The figures of the coordinators' dashboard, with the followed ones' targets and trends; "
    "``generated_text`` reads in the programme's time zone. A programme of another platform answers 404.",
    tags=("platform",),
    responses={200: schemas.KpiDashboardOut},
    auth=("apiKey",),
    errors=(429,),
    scopes=("kpis:read",),
)
@key_required("kpis:read")
def kpis(programme_id: int) -> dict[str, Any]:
    programme = programmes.platform_programme(current_key().platform_id, programme_id)
    data = service.dashboard(programme)
    generated = timezones.moment_text(datetime.fromisoformat(data["generated_at"]), programme.timezone)
    found = data | {"generated_text": generated, "targets": [e.as_json() for e in board.board(programme)]}
    return schemas.KpiDashboardOut().dump(found)
