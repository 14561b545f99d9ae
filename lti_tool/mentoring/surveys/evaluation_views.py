"""The evaluation page and its downloads (coordinators only). Thin: parse, evaluate, render."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from marshmallow import EXCLUDE, Schema, fields, validate

from lti_tool.identity.session import coordinator_required, current_context
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.programmes.service import get_programme
from lti_tool.mentoring.surveys import evaluation, evaluation_export, readings
from lti_tool.mentoring.surveys.relationship_quality import THRESHOLD

bp = Blueprint("survey_evaluation", __name__)


class EvaluationQuery(Schema):
    class Meta:
        unknown = EXCLUDE  # the session's one-time code (``rh``) and the like

    after = fields.String(load_default="latest", validate=validate.OneOf(evaluation.AFTER_CHOICES))


def _programme(programme_id: int) -> Programme:
    return get_programme(current_context(), programme_id)


@bp.get("/programmes/<int:programme_id>/surveys/evaluation")
@coordinator_required
def evaluation_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    after = EvaluationQuery().load(request.args)["after"]
    return render_template(
        "surveys/evaluation.html",
        programme=programme,
        result=evaluation.evaluate(programme, after),
        reading=readings.reading,
        hidden_text=readings.hidden_text,
        number=readings.number,
        threshold=THRESHOLD,
    )


@bp.get("/programmes/<int:programme_id>/surveys/evaluation.<any(csv, xlsx):fmt>")
@coordinator_required
def evaluation_export_file(programme_id: int, fmt: str) -> Response:
    programme = _programme(programme_id)
    after = EvaluationQuery().load(request.args)["after"]
    result = evaluation.evaluate(programme, after)
    if fmt == "csv":
        response = Response(evaluation_export.to_csv(result), mimetype=evaluation_export.CSV_TYPE)
    else:
        response = Response(evaluation_export.to_xlsx(result), mimetype=evaluation_export.XLSX_TYPE)
    name = f"evaluation-{programme.id}-{after}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
