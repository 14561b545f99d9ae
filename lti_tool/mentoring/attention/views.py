"""The attention list's page and API: what needs a coordinator in a programme, and its actions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import format_timedelta
from werkzeug.wrappers import Response

from lti_tool.api.spec import document
from lti_tool.db import utcnow
from lti_tool.identity.session import coordinator_required, current_context
from lti_tool.mentoring.attention import schemas, service
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.web import back_to, form_data

bp = Blueprint("attention", __name__)
_act = schemas.AttentionActIn()
_TAGS = ("attention",)


def _programme(programme_id: int) -> Programme:
    return programmes.get_programme(current_context(), programme_id)


@bp.get("/programmes/<int:programme_id>/attention")
@coordinator_required
def attention_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    now = utcnow()
    listing = service.listing(current_context(), programme, now)
    done = service.action_done(current_context(), programme, request.args.get("done", 0, type=int))
    return render_template(
        "attention/list.html",
        programme=programme,
        listing=listing,
        done=done,
        ago=lambda at: format_timedelta(at - now, add_direction=True),
        waited=lambda since: format_timedelta(now - since),
    )


@bp.post("/programmes/<int:programme_id>/attention/<source>/<key>/<action>")
@coordinator_required
def act_page(programme_id: int, source: str, key: str, action: str) -> Response:
    form = form_data()
    note = _act.load(form)["note"]
    record = service.act(current_context(), _programme(programme_id), source, key, action, form, note=note)
    return back_to("attention.attention_page", programme_id=programme_id, done=record.id)


@bp.get("/api/programmes/<int:programme_id>/attention")
@document(
    "List what needs a coordinator",
    description="Coordinators of the programme: the open items of every source (pairs at risk, support "
    "requests, failed syncs...), each with the actions it offers.",
    tags=_TAGS,
    responses={200: schemas.AttentionListOut},
)
@coordinator_required
def api_list(programme_id: int) -> dict[str, Any]:
    listing = service.listing(current_context(), _programme(programme_id))
    return schemas.AttentionListOut().dump(
        {"items": listing.gathered.items, "unavailable": listing.gathered.failed}
    )


@bp.post("/api/programmes/<int:programme_id>/attention/<source>/<key>/<action>")
@document(
    "Take an action on an item",
    description="Coordinators of the programme: only an action the item offers now (409 when the item "
    "has left the list). Fields other than ``note`` are passed to the item's source.",
    tags=_TAGS,
    body=schemas.AttentionActIn,
    body_required=False,
    responses={200: schemas.AttentionActedOut},
    errors=(409,),
)
@coordinator_required
def api_act(programme_id: int, source: str, key: str, action: str) -> dict[str, Any]:
    data = request.get_json(silent=True)
    form = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    note = _act.load(form)["note"]
    record = service.act(current_context(), _programme(programme_id), source, key, action, form, note=note)
    return schemas.AttentionActedOut().dump(record)
