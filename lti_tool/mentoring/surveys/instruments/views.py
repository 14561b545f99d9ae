"""The instruments page (coordinators): what each ready-made instrument measures, for whom, how
it is scored, where it comes from and what Ritmo may ship of it, with a button that adds it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from lti_tool.api.spec import document
from lti_tool.db import db
from lti_tool.identity.session import coordinator_required, current_context
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.surveys.instruments import adding, catalogue, schemas
from lti_tool.mentoring.surveys.models import Survey
from lti_tool.web import back_to

bp = Blueprint("survey_instruments", __name__)


def _programme(programme_id: int) -> Programme:
    return programmes.get_programme(current_context(), programme_id)


@bp.get("/programmes/<int:programme_id>/surveys/instruments")
@coordinator_required
def instruments_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    just_added = db.session.get(Survey, request.args.get("added", 0, type=int))
    if just_added is not None and just_added.programme_id != programme.id:
        just_added = None
    return render_template(
        "surveys/instruments.html",
        programme=programme,
        instruments=list(catalogue.instruments().values()),
        added=adding.added(programme),
        just_added=just_added,
        wordings={"ritmo": _("Ritmo's items"), "common": _("A question in common use")},
    )


@bp.post("/programmes/<int:programme_id>/surveys/instruments/<key>")
@coordinator_required
def add_page(programme_id: int, key: str) -> Response:
    survey = adding.add_instrument(current_context(), _programme(programme_id), key)
    return back_to(
        "survey_instruments.instruments_page",
        programme_id=programme_id,
        added=survey.id,
        _anchor=f"instrument-{key}",
    )


@bp.get("/api/programmes/<int:programme_id>/survey-instruments")
@document(
    "List the ready-made survey instruments",
    description="Coordinators of the programme: every instrument, and the survey each was added as.",
    tags=("surveys",),
    responses={200: schemas.InstrumentListOut},
)
@coordinator_required
def api_list(programme_id: int) -> dict[str, Any]:
    added = adding.added(_programme(programme_id))
    found = [schemas.instrument_json(i, added.get(i.key)) for i in catalogue.instruments().values()]
    return schemas.InstrumentListOut().dump({"instruments": found})


@bp.post("/api/programmes/<int:programme_id>/survey-instruments/<key>")
@document(
    "Add a ready-made instrument as a survey",
    description="Coordinators of the programme: a new survey with the instrument's items, which stay "
    "as they are (its scoring depends on them). Once per programme (409 after).",
    tags=("surveys",),
    body_required=False,
    responses={201: schemas.InstrumentAddedOut},
    errors=(409,),
)
@coordinator_required
def api_add(programme_id: int, key: str) -> tuple[dict[str, Any], int]:
    survey = adding.add_instrument(current_context(), _programme(programme_id), key)
    return schemas.InstrumentAddedOut().dump(schemas.added_json(survey)), 201
