"""The KPI dashboard: a JSON API the page re-fetches, the page itself, the catalogue where
coordinators choose figures and set targets, each figure's trend and drill-down, their CSV/XLSX
exports (coordinators of the programme's course only), and the platform roll-up (LMS admins only,
:mod:`.rollup`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as Redirect

from lti_tool import timezones
from lti_tool.api.spec import document
from lti_tool.errors import NotFound
from lti_tool.identity.session import coordinator_required, current_context, login_required, session_url
from lti_tool.mentoring.kpis import board, catalogue, exports, rollup, schemas, service, targets
from lti_tool.mentoring.kpis.drilldown import Table
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.web import viewer_zone_name

bp = Blueprint("kpis", __name__)
_target_in = schemas.KpiTargetIn()
_TAGS = ("kpis",)


def _dashboard(programme: Programme) -> dict[str, Any]:
    """The figures, with when they were computed as the viewer reads times (``generated_text``)."""
    data = service.dashboard(programme)
    generated = datetime.fromisoformat(data["generated_at"])
    return data | {"generated_text": timezones.moment_text(generated, viewer_zone_name(programme.timezone))}


def _programme(programme_id: int) -> Programme:
    return programmes.get_programme(current_context(), programme_id)


@bp.get("/api/programmes/<int:programme_id>/kpis")
@document(
    "Read the programme's key figures",
    description="Coordinators of the programme: every figure now (the windows end at "
    "``generated_at``), and the catalogue figures the programme follows with targets and trends.",
    tags=_TAGS,
    responses={200: schemas.KpiDashboardOut},
)
@coordinator_required
def kpis(programme_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    found = _dashboard(programme) | {"targets": [e.as_json() for e in board.board(programme)]}
    return schemas.KpiDashboardOut().dump(found)


@bp.route("/programmes/<int:programme_id>/kpis", methods=["GET", "POST"])
@coordinator_required
def dashboard_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    return render_template(
        "kpis/dashboard.html",
        programme=programme,
        kpis=_dashboard(programme),
        entries=board.board(programme),
        standing_labels=targets.STANDING_LABELS,
        direction_labels=targets.DIRECTION_LABELS,
    )


# --- the catalogue and targets -------------------------------------------------------------------


@bp.route("/programmes/<int:programme_id>/kpis/catalogue", methods=["GET", "POST"])
@coordinator_required
def catalogue_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    return render_template(
        "kpis/catalogue.html",
        programme=programme,
        catalogue=catalogue.CATALOGUE,
        followed=targets.chosen(programme.id),
        direction_labels=targets.DIRECTION_LABELS,
    )


@bp.put("/api/programmes/<int:programme_id>/kpis/targets/<key>")
@document(
    "Follow a figure, with or without a target",
    description="Coordinators of the programme's course. ``key`` is a figure of the catalogue; a target "
    "outside the figure's range is refused.",
    tags=_TAGS,
    body=schemas.KpiTargetIn,
    body_required=False,
    responses={200: schemas.KpiTargetOut},
)
@coordinator_required
def api_set_target(programme_id: int, key: str) -> dict[str, Any]:
    data = _target_in.load(request.get_json(silent=True) or {})
    row = targets.set_target(
        current_context(), _programme(programme_id), key, data["target"], data["direction"]
    )
    return schemas.KpiTargetOut().dump(row)


@bp.delete("/api/programmes/<int:programme_id>/kpis/targets/<key>")
@document(
    "Stop following a figure",
    description="Coordinators of the programme's course; the figure's daily snapshots are kept.",
    tags=_TAGS,
    responses={204: None},
)
@coordinator_required
def api_unfollow(programme_id: int, key: str) -> tuple[str, int]:
    targets.unfollow(current_context(), _programme(programme_id), key)
    return "", 204


@bp.post("/programmes/<int:programme_id>/kpis/targets/<key>")
@coordinator_required
def set_target_page(programme_id: int, key: str) -> Redirect:
    data = _target_in.load(request.form)
    targets.set_target(current_context(), _programme(programme_id), key, data["target"], data["direction"])
    return redirect(session_url("kpis.catalogue_page", programme_id=programme_id), code=303)


@bp.post("/programmes/<int:programme_id>/kpis/targets/<key>/unfollow")
@coordinator_required
def unfollow_page(programme_id: int, key: str) -> Redirect:
    targets.unfollow(current_context(), _programme(programme_id), key)
    return redirect(session_url("kpis.catalogue_page", programme_id=programme_id), code=303)


# --- one figure: trend and drill-down ------------------------------------------------------------


@bp.route("/programmes/<int:programme_id>/kpis/<key>", methods=["GET", "POST"])
@coordinator_required
def figure_page(programme_id: int, key: str) -> str:
    programme = _programme(programme_id)
    kpi = targets.kpi_or_404(key)
    item = board.one(programme, kpi.key)
    return render_template(
        "kpis/figure.html",
        programme=programme,
        e=item,
        trend=board.trend_table(item),
        tables=board.drill(programme, kpi.key),
        standing_labels=targets.STANDING_LABELS,
        direction_labels=targets.DIRECTION_LABELS,
    )


def _download(table: Table, fmt: str, name: str) -> Response:
    if fmt == "csv":
        body, mimetype = exports.to_csv(table.columns, table.rows), exports.CSV_TYPE
    else:
        body, mimetype = exports.to_xlsx(str(table.caption), table.columns, table.rows), exports.XLSX_TYPE
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@bp.get("/programmes/<int:programme_id>/kpis/summary.<any(csv, xlsx):fmt>")
@coordinator_required
def export_summary(programme_id: int, fmt: str) -> Response:
    programme = _programme(programme_id)
    return _download(board.summary_table(board.board(programme)), fmt, f"kpis-{programme.id}")


@bp.get("/programmes/<int:programme_id>/kpis/<key>/<table>.<any(csv, xlsx):fmt>")
@coordinator_required
def export_table(programme_id: int, key: str, table: str, fmt: str) -> Response:
    programme = _programme(programme_id)
    kpi = targets.kpi_or_404(key)
    if table == "trend":
        found = board.trend_table(board.one(programme, kpi.key))
    else:
        named = next((t for t in board.drill(programme, kpi.key) if t.name == table), None)
        if named is None:
            raise NotFound(_l("There is no such table."))
        found = named
    return _download(found, fmt, f"{kpi.key}-{found.name}-{programme.id}")


# --- the platform roll-up ------------------------------------------------------------------------


def _rollup_table() -> Table:
    rows = rollup.rollup(current_context())
    table = Table("rollup", _l("Every programme"), [_l("Course"), _l("Programme"), _l("Day")])
    table.columns += [k.label for k in catalogue.CATALOGUE]
    table.rows = [
        [r.course, r.programme, r.day, *(r.values[k.key] for k in catalogue.CATALOGUE)] for r in rows
    ]
    return table


@bp.route("/platform/kpis", methods=["GET", "POST"])
@login_required
def rollup_page() -> str:
    return render_template("kpis/rollup.html", table=_rollup_table(), catalogue=catalogue.CATALOGUE)


@bp.get("/platform/kpis.<any(csv, xlsx):fmt>")
@login_required
def export_rollup(fmt: str) -> Response:
    return _download(_rollup_table(), fmt, "kpis-all-programmes")
