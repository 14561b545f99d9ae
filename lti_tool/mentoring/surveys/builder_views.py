"""The coordinator's survey pages and JSON API: the list, the builder of one survey, opening it now,
its results and CSV, and the privacy setting. Thin: parse with a schema, call a service, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from lti_tool.errors import InvalidInput
from lti_tool.identity.session import coordinator_required, current_context
from lti_tool.mentoring.matching.access import current_programme
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.programmes.service import get_programme
from lti_tool.mentoring.surveys import answers, builder, privacy, results, schemas
from lti_tool.mentoring.surveys.models import AUDIENCE_LABELS, ITEM_TYPE_LABELS
from lti_tool.web import back_to, body

bp = Blueprint("survey_builder", __name__)

_survey_in = schemas.SurveyIn()
_item_in = schemas.ItemIn()
_survey_out = schemas.SurveyOut()
_item_out = schemas.ItemOut()
BASE = "/programmes/<int:programme_id>/surveys"
API = "/api/programmes/<int:programme_id>/surveys"


def _programme(programme_id: int) -> Programme:
    """The programme named in the path, which must be the one the caller opened Ritmo in."""
    ctx = current_context()
    programme = get_programme(ctx, programme_id)
    if current_programme(ctx).id != programme.id:
        raise InvalidInput(_("Open this programme from its own course."))
    return programme


def _dump(survey_id: int) -> dict[str, Any]:
    survey = builder.get_survey(current_context(), survey_id)
    return {**_survey_out.dump(survey), "items": _item_out.dump(builder.items_of(survey.id), many=True)}


def flat(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as ``{"options.1.label_en": [...]}`` for a page to list."""
    if isinstance(messages, dict):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            out.update(flat(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]}


def item_from_form(form: Any) -> dict[str, Any]:
    """A builder form as :class:`.schemas.ItemIn` reads it: options and rows one a line, written
    ``English | Italiano``; the scale's points and end labels as fields of their own."""

    def lines(name: str) -> list[list[str]]:
        return [
            [p.strip() for p in line.split("|", 1)]
            for line in form.get(name, "").splitlines()
            if line.strip()
        ]

    data: dict[str, Any] = {
        k: form.get(k) for k in ("type", "text_en", "text_it", "subscale", "key") if form.get(k)
    }
    data["required"] = form.get("required") == "on"
    data["reverse"] = form.get("reverse") == "on"
    data["options"] = [{"label_en": p[0], "label_it": p[-1] if len(p) > 1 else ""} for p in lines("options")]
    data["rows"] = [{"text_en": p[0], "text_it": p[-1] if len(p) > 1 else ""} for p in lines("rows")]
    if form.get("points"):
        data["scale"] = {
            "points": form.get("points"),
            **{k: form.get(k, "") for k in ("min_label_en", "max_label_en", "min_label_it", "max_label_it")},
        }
    return data


# --- pages -----------------------------------------------------------------------------------------


@bp.route(BASE, methods=["GET", "POST"])
@coordinator_required
def index_page(programme_id: int) -> Any:
    programme = _programme(programme_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            survey = builder.create_survey(current_context(), _survey_in.load(body()))
            return back_to("survey_builder.edit_page", programme_id=programme.id, survey_id=survey.id)
        except ValidationError as error:
            errors = flat(error.messages)
    page = render_template(
        "surveys/index.html",
        programme=programme,
        surveys=builder.surveys_of(programme.id),
        archived=builder.surveys_of(programme.id, archived=True),
        audiences=AUDIENCE_LABELS,
        min_group=privacy.min_group(programme),
        errors=errors,
    )
    return page, 422 if errors else 200


@bp.route(f"{BASE}/<int:survey_id>", methods=["GET", "POST"])
@coordinator_required
def edit_page(programme_id: int, survey_id: int) -> Any:
    """The builder of one survey; a POST changes the survey's own fields."""
    programme = _programme(programme_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = {**body(), "anonymous": request.form.get("anonymous") == "on"}
        try:
            builder.update_survey(current_context(), survey_id, _survey_in.load(data, partial=True))
            return back_to("survey_builder.edit_page", programme_id=programme.id, survey_id=survey_id)
        except ValidationError as error:
            errors = flat(error.messages)
    return _render_edit(programme, survey_id, errors)


def _render_edit(programme: Programme, survey_id: int, errors: dict[str, list[str]]) -> Any:
    survey = builder.get_survey(current_context(), survey_id)
    page = render_template(
        "surveys/edit.html",
        programme=programme,
        survey=survey,
        items=builder.items_of(survey.id),
        audiences=AUDIENCE_LABELS,
        item_types=ITEM_TYPE_LABELS,
        errors=errors,
    )
    return page, 422 if errors else 200


@bp.post(f"{BASE}/<int:survey_id>/items")
@bp.post(f"{BASE}/<int:survey_id>/items/<int:item_id>")
@coordinator_required
def item_page(programme_id: int, survey_id: int, item_id: int | None = None) -> Any:
    programme = _programme(programme_id)
    ctx = current_context()
    try:
        data = _item_in.load(item_from_form(request.form))
        if item_id is None:
            builder.add_item(ctx, survey_id, data)
        else:
            builder.update_item(ctx, survey_id, item_id, data)
    except ValidationError as error:
        return _render_edit(programme, survey_id, flat(error.messages))
    return back_to("survey_builder.edit_page", programme_id=programme.id, survey_id=survey_id)


@bp.post(f"{BASE}/<int:survey_id>/items/<int:item_id>/<any(up, down, delete):action>")
@coordinator_required
def item_action_page(programme_id: int, survey_id: int, item_id: int, action: str) -> Response:
    programme = _programme(programme_id)
    ctx = current_context()
    if action == "delete":
        builder.delete_item(ctx, survey_id, item_id)
    else:
        builder.move_item(ctx, survey_id, item_id, -1 if action == "up" else 1)
    return back_to("survey_builder.edit_page", programme_id=programme.id, survey_id=survey_id)


@bp.post(f"{BASE}/<int:survey_id>/<any(archive, restore, open):action>")
@coordinator_required
def survey_action_page(programme_id: int, survey_id: int, action: str) -> Response:
    programme = _programme(programme_id)
    ctx = current_context()
    if action == "open":
        answers.open_now(ctx, survey_id)
    else:
        builder.archive_survey(ctx, survey_id, archived=action == "archive")
    return back_to("survey_builder.index_page", programme_id=programme.id)


@bp.get(f"{BASE}/<int:survey_id>/results")
@coordinator_required
def results_page(programme_id: int, survey_id: int) -> str:
    programme = _programme(programme_id)
    found = results.results(
        current_context(), survey_id, occasion=request.args.get("occasion"), role=request.args.get("role")
    )
    return render_template("surveys/results.html", programme=programme, r=found)


@bp.get(f"{BASE}/<int:survey_id>/results.csv")
@coordinator_required
def results_csv(programme_id: int, survey_id: int) -> Response:
    _programme(programme_id)
    found = results.results(
        current_context(), survey_id, occasion=request.args.get("occasion"), role=request.args.get("role")
    )
    return Response(
        results.csv_export(found),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="survey-{survey_id}-results.csv"'},
    )


@bp.post(f"{BASE}/settings")
@coordinator_required
def settings_page(programme_id: int) -> Response:
    programme = _programme(programme_id)
    builder.set_min_group(current_context(), schemas.SettingsIn().load(body())["min_group"])
    return back_to("survey_builder.index_page", programme_id=programme.id)


# --- JSON API --------------------------------------------------------------------------------------


@bp.get(API)
@coordinator_required
def api_list(programme_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    return {
        "surveys": [_dump(s.id) for s in builder.surveys_of(programme.id)],
        "archived": [_dump(s.id) for s in builder.surveys_of(programme.id, archived=True)],
        "min_group": privacy.min_group(programme),
    }


@bp.post(API)
@coordinator_required
def api_create(programme_id: int) -> tuple[dict[str, Any], int]:
    _programme(programme_id)
    survey = builder.create_survey(current_context(), _survey_in.load(body()))
    return _dump(survey.id), 201


@bp.get(f"{API}/<int:survey_id>")
@coordinator_required
def api_get(programme_id: int, survey_id: int) -> dict[str, Any]:
    _programme(programme_id)
    return _dump(survey_id)


@bp.patch(f"{API}/<int:survey_id>")
@coordinator_required
def api_update(programme_id: int, survey_id: int) -> dict[str, Any]:
    _programme(programme_id)
    builder.update_survey(current_context(), survey_id, _survey_in.load(body(), partial=True))
    return _dump(survey_id)


@bp.post(f"{API}/<int:survey_id>/<any(archive, restore):action>")
@coordinator_required
def api_archive(programme_id: int, survey_id: int, action: str) -> dict[str, Any]:
    _programme(programme_id)
    builder.archive_survey(current_context(), survey_id, archived=action == "archive")
    return _dump(survey_id)


@bp.post(f"{API}/<int:survey_id>/open")
@coordinator_required
def api_open(programme_id: int, survey_id: int) -> dict[str, Any]:
    _programme(programme_id)
    return {"invited": answers.open_now(current_context(), survey_id)}


@bp.post(f"{API}/<int:survey_id>/items")
@coordinator_required
def api_add_item(programme_id: int, survey_id: int) -> tuple[dict[str, Any], int]:
    _programme(programme_id)
    item = builder.add_item(current_context(), survey_id, _item_in.load(body()))
    return _item_out.dump(item), 201


@bp.put(f"{API}/<int:survey_id>/items/<int:item_id>")
@coordinator_required
def api_update_item(programme_id: int, survey_id: int, item_id: int) -> dict[str, Any]:
    _programme(programme_id)
    return _item_out.dump(builder.update_item(current_context(), survey_id, item_id, _item_in.load(body())))


@bp.delete(f"{API}/<int:survey_id>/items/<int:item_id>")
@coordinator_required
def api_delete_item(programme_id: int, survey_id: int, item_id: int) -> tuple[str, int]:
    _programme(programme_id)
    builder.delete_item(current_context(), survey_id, item_id)
    return "", 204


@bp.put(f"{API}/<int:survey_id>/order")
@coordinator_required
def api_reorder(programme_id: int, survey_id: int) -> dict[str, Any]:
    _programme(programme_id)
    order = schemas.ReorderIn().load(body())["item_ids"]
    return {"items": _item_out.dump(builder.reorder(current_context(), survey_id, order), many=True)}


@bp.get(f"{API}/<int:survey_id>/results")
@coordinator_required
def api_results(programme_id: int, survey_id: int) -> dict[str, Any]:
    _programme(programme_id)
    found = results.results(
        current_context(), survey_id, occasion=request.args.get("occasion"), role=request.args.get("role")
    )
    return results.as_json(found)


@bp.put(f"{API}/settings")
@coordinator_required
def api_settings(programme_id: int) -> dict[str, Any]:
    _programme(programme_id)
    programme = builder.set_min_group(current_context(), schemas.SettingsIn().load(body())["min_group"])
    return {"min_group": privacy.min_group(programme)}
