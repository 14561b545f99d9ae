"""The coordinator's survey pages and JSON API: the list, the builder of one survey, opening it now,
its results and CSV, and the privacy setting. Thin: parse with a schema, call a service, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from lti_tool.api.spec import document
from lti_tool.errors import InvalidInput
from lti_tool.identity.session import coordinator_required, current_context
from lti_tool.mentoring.matching.access import current_programme
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.programmes.service import get_programme
from lti_tool.mentoring.surveys import answers, builder, privacy, results, schemas
from lti_tool.mentoring.surveys.models import AUDIENCE_LABELS, ITEM_TYPE_LABELS, Survey, SurveyItem
from lti_tool.web import back_to, body, flat_messages

bp = Blueprint("survey_builder", __name__)

_survey_in = schemas.SurveyIn()
_item_in = schemas.SurveyItemIn()
_survey_out = schemas.SurveyOut()
_item_out = schemas.SurveyItemOut()
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
    """The survey with its items, as ``schemas.SurveyOut`` answers it."""
    return _survey_out.dump(_with_items(builder.get_survey(current_context(), survey_id)))


def _with_items(survey: Survey) -> _WithItems:
    return _WithItems(survey, builder.items_of(survey.id))


class _WithItems:
    """A survey seen with its items (``SurveyOut`` reads the survey's fields and ``items``)."""

    def __init__(self, survey: Survey, items: list[SurveyItem]) -> None:
        self._survey, self.items = survey, items

    def __getattr__(self, name: str) -> Any:
        return getattr(self._survey, name)


def item_from_form(form: Any) -> dict[str, Any]:
    """A builder form as :class:`.schemas.SurveyItemIn` reads it: options and rows one a line, written
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
            errors = flat_messages(error.messages)
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
            errors = flat_messages(error.messages)
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
        return _render_edit(programme, survey_id, flat_messages(error.messages))
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
    builder.set_min_group(current_context(), schemas.SurveySettingsIn().load(body())["min_group"])
    return back_to("survey_builder.index_page", programme_id=programme.id)


# --- JSON API --------------------------------------------------------------------------------------
# Coordinators of the programme, opened from its own course (another programme's id: 422).

_TAGS = ("surveys",)


@bp.get(API)
@document(
    "List the programme's surveys",
    description="Coordinators: the surveys in use and the archived ones, with their items, and the "
    "privacy rule's smallest group.",
    tags=_TAGS,
    responses={200: schemas.SurveyListOut},
)
@coordinator_required
def api_list(programme_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    return schemas.SurveyListOut().dump(
        {
            "surveys": [_with_items(s) for s in builder.surveys_of(programme.id)],
            "archived": [_with_items(s) for s in builder.surveys_of(programme.id, archived=True)],
            "min_group": privacy.min_group(programme),
        }
    )


@bp.post(API)
@document(
    "Create a survey",
    description="Coordinators: a title in English or Italian at least; items are added afterwards.",
    tags=_TAGS,
    body=schemas.SurveyIn,
    responses={201: schemas.SurveyOut},
)
@coordinator_required
def api_create(programme_id: int) -> tuple[dict[str, Any], int]:
    _programme(programme_id)
    survey = builder.create_survey(current_context(), _survey_in.load(body()))
    return _dump(survey.id), 201


@bp.get(f"{API}/<int:survey_id>")
@document("Read a survey with its items", tags=_TAGS, responses={200: schemas.SurveyOut})
@coordinator_required
def api_get(programme_id: int, survey_id: int) -> dict[str, Any]:
    _programme(programme_id)
    return _dump(survey_id)


@bp.patch(f"{API}/<int:survey_id>")
@document(
    "Change a survey's own fields",
    description="Coordinators: only the fields sent change.",
    tags=_TAGS,
    body=schemas.SurveyIn(partial=True),
    responses={200: schemas.SurveyOut},
    errors=(409,),
)
@coordinator_required
def api_update(programme_id: int, survey_id: int) -> dict[str, Any]:
    _programme(programme_id)
    builder.update_survey(current_context(), survey_id, _survey_in.load(body(), partial=True))
    return _dump(survey_id)


@bp.post(f"{API}/<int:survey_id>/<any(archive, restore):action>")
@document(
    "Archive or restore a survey",
    description="Coordinators: an archived survey sends no more invitations; its answers stay.",
    tags=_TAGS,
    body_required=False,
    responses={200: schemas.SurveyOut},
)
@coordinator_required
def api_archive(programme_id: int, survey_id: int, action: str) -> dict[str, Any]:
    _programme(programme_id)
    builder.archive_survey(current_context(), survey_id, archived=action == "archive")
    return _dump(survey_id)


@bp.post(f"{API}/<int:survey_id>/open")
@document(
    "Open a survey now",
    description="Coordinators: invites the survey's audience at once.",
    tags=_TAGS,
    body_required=False,
    responses={200: schemas.SurveyInvitedOut},
    errors=(409,),
)
@coordinator_required
def api_open(programme_id: int, survey_id: int) -> dict[str, Any]:
    _programme(programme_id)
    return schemas.SurveyInvitedOut().dump({"invited": answers.open_now(current_context(), survey_id)})


@bp.post(f"{API}/<int:survey_id>/items")
@document(
    "Add an item to a survey",
    description="Coordinators: a choice needs two options or more, a rating scale 2 to 11 points, a "
    "matrix rows.",
    tags=_TAGS,
    body=schemas.SurveyItemIn,
    responses={201: schemas.SurveyItemOut},
    errors=(409,),
)
@coordinator_required
def api_add_item(programme_id: int, survey_id: int) -> tuple[dict[str, Any], int]:
    _programme(programme_id)
    item = builder.add_item(current_context(), survey_id, _item_in.load(body()))
    return _item_out.dump(item), 201


@bp.put(f"{API}/<int:survey_id>/items/<int:item_id>")
@document(
    "Replace an item of a survey",
    tags=_TAGS,
    body=schemas.SurveyItemIn,
    responses={200: schemas.SurveyItemOut},
    errors=(409,),
)
@coordinator_required
def api_update_item(programme_id: int, survey_id: int, item_id: int) -> dict[str, Any]:
    _programme(programme_id)
    return _item_out.dump(builder.update_item(current_context(), survey_id, item_id, _item_in.load(body())))


@bp.delete(f"{API}/<int:survey_id>/items/<int:item_id>")
@document("Remove an item from a survey", tags=_TAGS, responses={204: None}, errors=(409,))
@coordinator_required
def api_delete_item(programme_id: int, survey_id: int, item_id: int) -> tuple[str, int]:
    _programme(programme_id)
    builder.delete_item(current_context(), survey_id, item_id)
    return "", 204


@bp.put(f"{API}/<int:survey_id>/order")
@document(
    "Put a survey's items in a new order",
    description="Coordinators: ``item_ids`` lists every item of the survey once, in the new order.",
    tags=_TAGS,
    body=schemas.SurveyReorderIn,
    responses={200: schemas.SurveyItemsOut},
    errors=(409,),
)
@coordinator_required
def api_reorder(programme_id: int, survey_id: int) -> dict[str, Any]:
    _programme(programme_id)
    order = schemas.SurveyReorderIn().load(body())["item_ids"]
    return schemas.SurveyItemsOut().dump({"items": builder.reorder(current_context(), survey_id, order)})


@bp.get(f"{API}/<int:survey_id>/results")
@document(
    "Read a survey's results",
    description="Coordinators: counts, means and distributions per item, each hidden when fewer than "
    "the smallest group answered; free text only where its author agreed to share it.",
    tags=_TAGS,
    query=schemas.SurveyResultsQuery,
    responses={200: schemas.SurveyResultsOut},
)
@coordinator_required
def api_results(programme_id: int, survey_id: int) -> dict[str, Any]:
    _programme(programme_id)
    args = schemas.SurveyResultsQuery().load(request.args)
    found = results.results(current_context(), survey_id, occasion=args["occasion"], role=args["role"])
    return schemas.SurveyResultsOut().dump(results.as_json(found))


@bp.put(f"{API}/settings")
@document(
    "Set the privacy rule's smallest group",
    description="Coordinators: results show only where at least this many people answered.",
    tags=_TAGS,
    body=schemas.SurveySettingsIn,
    responses={200: schemas.SurveySettingsOut},
)
@coordinator_required
def api_settings(programme_id: int) -> dict[str, Any]:
    _programme(programme_id)
    programme = builder.set_min_group(current_context(), schemas.SurveySettingsIn().load(body())["min_group"])
    return schemas.SurveySettingsOut().dump({"min_group": privacy.min_group(programme)})
