"""Roster API and page: NRPS sync, CSV import and export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, render_template, request, stream_with_context
from flask import Response as FlaskResponse
from flask_babel import gettext as _

from lti_tool.api.spec import Response, document
from lti_tool.errors import InvalidInput
from lti_tool.identity.session import coordinator_required, current_context
from lti_tool.limits import accepts_upload
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.roster import failures, schemas, service, syncs

bp = Blueprint("roster", __name__)
TAGS = ("roster",)


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
@document(
    "Sync the roster from the LMS",
    description=(
        "Coordinators only. The sync runs in the background (read its outcome in the roster's "
        "status); 409 when the LMS shares no roster with Ritmo."
    ),
    tags=TAGS,
    responses={202: schemas.RosterQueuedOut},
    errors=(409,),
)
@coordinator_required
def sync(programme_id: int) -> tuple[dict[str, Any], int]:
    service.start_sync(current_context(), _programme(programme_id))
    return schemas.RosterQueuedOut().dump({"queued": True}), 202


@bp.get("/api/programmes/<int:programme_id>/roster/status")
@document(
    "Read the last roster sync",
    description="Coordinators only.",
    tags=TAGS,
    responses={200: schemas.RosterStatusOut},
)
@coordinator_required
def status(programme_id: int) -> dict[str, Any]:
    last = (_programme(programme_id).settings or {}).get("roster_sync")
    return schemas.RosterStatusOut().dump({"last_sync": last})


@bp.post("/api/programmes/<int:programme_id>/roster/import")
@document(
    "Import participants and their answers from a CSV file",
    description=(
        "Coordinators only. All rows or none: a file with problems imports nothing, and the 422 "
        "lists them by row. Send the file as the form field ``file``, or the CSV text as the "
        "body with ``Content-Type: text/csv``."
    ),
    tags=TAGS,
    body=schemas.RosterImportIn,
    body_kind="multipart",
    responses={200: schemas.RosterImportOut},
)
@accepts_upload(service.MAX_IMPORT_BYTES)
@coordinator_required
def import_csv(programme_id: int) -> dict[str, Any]:
    counts = service.import_csv(current_context(), _programme(programme_id), _upload())
    return schemas.RosterImportOut().dump(counts)


@bp.get("/programmes/<int:programme_id>/roster/export.csv")
@bp.get("/api/programmes/<int:programme_id>/roster/export.csv")
@document(
    "Export participants and their answers as CSV",
    description="Coordinators only. The columns an import reads back.",
    tags=TAGS,
    responses={
        200: Response(
            "CSV of the programme's participants, one row each, with their answers",
            media_type="text/csv",
            headers={"Content-Disposition": "attachment; filename=programme-ID-profiles.csv"},
        )
    },
)
@coordinator_required
def export_csv(programme_id: int) -> FlaskResponse:
    programme = _programme(programme_id)
    response = FlaskResponse(stream_with_context(iter(service.export_csv(programme))), mimetype="text/csv")
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
