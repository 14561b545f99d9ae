"""Roster API and page: NRPS sync, CSV import and export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _

from lti_tool.errors import InvalidInput
from lti_tool.identity.session import coordinator_required, current_context
from lti_tool.limits import accepts_upload
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.roster import failures, service, syncs

bp = Blueprint("roster", __name__)


def _programme(programme_id: int) -> Programme:
    return programmes.get_programme(current_context(), programme_id)


def _upload() -> bytes:
    file = request.files.get("file")
    if file is None:
        if request.content_type and request.content_type.startswith("text/csv"):
            return request.get_data()
        raise InvalidInput(errors={"file": [_("Choose a CSV file to import.")]})
    return file.read(service.MAX_IMPORT_BYTES + 1)


@bp.post("/api/programmes/<int:programme_id>/roster/sync")
@coordinator_required
def sync(programme_id: int) -> tuple[dict[str, Any], int]:
    service.start_sync(current_context(), _programme(programme_id))
    return {"queued": True}, 202


@bp.get("/api/programmes/<int:programme_id>/roster/status")
@coordinator_required
def status(programme_id: int) -> dict[str, Any]:
    return {"last_sync": (_programme(programme_id).settings or {}).get("roster_sync")}


@bp.post("/api/programmes/<int:programme_id>/roster/import")
@accepts_upload(service.MAX_IMPORT_BYTES)
@coordinator_required
def import_csv(programme_id: int) -> dict[str, Any]:
    return service.import_csv(current_context(), _programme(programme_id), _upload())


@bp.get("/programmes/<int:programme_id>/roster/export.csv")
@bp.get("/api/programmes/<int:programme_id>/roster/export.csv")
@coordinator_required
def export_csv(programme_id: int) -> Response:
    programme = _programme(programme_id)
    response = Response(stream_with_context(iter(service.export_csv(programme))), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="programme-{programme.id}-profiles.csv"'
    return response


@bp.route("/programmes/<int:programme_id>/roster", methods=["GET", "POST"])
@accepts_upload(service.MAX_IMPORT_BYTES)
@coordinator_required
def roster_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    result: dict[str, Any] | None = None
    problems: list[dict[str, Any]] = []
    error = None
    if request.method == "POST":
        try:
            if request.form.get("action") == "sync":
                service.start_sync(current_context(), programme)
                result = {"queued": True}
            else:
                result = service.import_csv(current_context(), programme, _upload())
        except InvalidInput as failure:
            error = failure.detail
            problems = failure.extra.get("rows") or [
                {"row": "", "column": k, "message": "; ".join(map(str, v))}
                for k, v in (failure.errors or {}).items()
            ]
    return render_template(
        "roster/roster.html",
        programme=programme,
        result=result,
        problems=problems,
        error=error,
        last_sync=_last_sync(programme),
        failure=syncs.last_failure(programme),
        sync_tries=failures.SYNC_TRIES,
    )


def _last_sync(programme: Programme) -> dict[str, Any] | None:
    """The last NRPS sync that succeeded, for the page (a failed one is ``syncs.last_failure``),
    its ISO time parsed so the template can localise it."""
    sync = (programme.settings or {}).get("roster_sync")
    if not sync or sync.get("error"):
        return None
    return {**sync, "at": datetime.fromisoformat(sync["at"])}
