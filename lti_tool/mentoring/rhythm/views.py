"""Rhythm pages and API: the cadence settings and the programme overview (coordinators), a pair's
rhythm (its members and coordinators). Thin: parse, call a service, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from lti_tool.api.spec import document
from lti_tool.db import utcnow
from lti_tool.identity.session import coordinator_required, current_context, login_required
from lti_tool.mentoring.programmes.service import get_programme
from lti_tool.mentoring.rhythm import cadence, overview, schemas
from lti_tool.mentoring.rhythm.health import HealthState, state_label
from lti_tool.web import body, viewer_zone

bp = Blueprint("rhythm", __name__)


@bp.route("/programmes/<int:programme_id>/rhythm/settings", methods=["GET", "POST"])
@coordinator_required
def settings_page(programme_id: int) -> str:
    ctx = current_context()
    programme = get_programme(ctx, programme_id)
    errors: Any = {}
    message = None
    current = cadence.cadence_for(programme.id)
    form: dict[str, Any] = current.as_form()
    if request.method == "POST":
        form = schemas.cadence_from_form(request.form)
        try:
            current = cadence.save_cadence(ctx, programme, schemas.RhythmCadenceIn().load(form))
            form, message = current.as_form(), _("Rhythm saved.")
        except ValidationError as error:
            errors = error.normalized_messages()
    return render_template(
        "rhythm/settings.html",
        programme=programme,
        form=form,
        errors=errors,
        message=message,
        is_default=current.is_default,
        phases=schemas.PHASES,
    )


@bp.route("/programmes/<int:programme_id>/rhythm", methods=["GET", "POST"])
@coordinator_required
def programme_page(programme_id: int) -> str:
    ctx = current_context()
    programme = get_programme(ctx, programme_id)
    args = schemas.RhythmHealthQuery().load(request.args)
    found = overview.programme_rhythm(ctx, programme, utcnow(), args["state"])
    return render_template(
        "rhythm/programme.html",
        programme=programme,
        rhythm=found,
        state=args["state"],
        states=list(HealthState),
        state_label=state_label,
        tz=viewer_zone(programme.timezone),
    )


@bp.route("/matches/<int:match_id>/rhythm", methods=["GET", "POST"])
@login_required
def pair_page(match_id: int) -> str:
    health, hints, coordinator = overview.pair_view(current_context(), match_id, utcnow())
    return render_template(
        "rhythm/pair.html",
        match_id=match_id,
        health=health,
        hints=hints,
        coordinator=coordinator,
        state_label=state_label,
    )


_TAGS = ("rhythm",)


@bp.get("/api/programmes/<int:programme_id>/rhythm")
@document(
    "List the programme's pairs by rhythm",
    description="Coordinators of the programme: how many live pairs are on track, slowing, quiet or "
    "at risk against the programme's cadence, and each pair with its reasons.",
    tags=_TAGS,
    query=schemas.RhythmHealthQuery,
    responses={200: schemas.RhythmOverviewOut},
)
@coordinator_required
def api_programme(programme_id: int) -> dict[str, Any]:
    ctx = current_context()
    args = schemas.RhythmHealthQuery().load(request.args)
    found = overview.programme_rhythm(ctx, get_programme(ctx, programme_id), utcnow(), args["state"])
    return schemas.RhythmOverviewOut().dump(found)


@bp.get("/api/programmes/<int:programme_id>/rhythm/cadence")
@document(
    "Read the programme's cadence",
    description="Coordinators: how often pairs should meet and write, overall and per phase.",
    tags=_TAGS,
    responses={200: schemas.RhythmCadenceOut},
)
@coordinator_required
def api_cadence(programme_id: int) -> dict[str, Any]:
    programme = get_programme(current_context(), programme_id)
    return _cadence_out(cadence.cadence_for(programme.id))


@bp.put("/api/programmes/<int:programme_id>/rhythm/cadence")
@document(
    "Set the programme's cadence",
    description="Coordinators: replaces the whole cadence; a phase left out follows the overall rhythm.",
    tags=_TAGS,
    body=schemas.RhythmCadenceIn,
    responses={200: schemas.RhythmCadenceOut},
)
@coordinator_required
def api_set_cadence(programme_id: int) -> dict[str, Any]:
    ctx = current_context()
    data = schemas.RhythmCadenceIn().load(body())
    return _cadence_out(cadence.save_cadence(ctx, get_programme(ctx, programme_id), data))


def _cadence_out(found: cadence.ProgrammeCadence) -> dict[str, Any]:
    return schemas.RhythmCadenceOut().dump({**found.as_form(), "is_default": found.is_default})


@bp.get("/api/matches/<int:match_id>/rhythm")
@document(
    "Read a pair's rhythm",
    description="The pair's members and the programme's coordinators. Members read gentle hints with "
    "one step each; coordinators also read the pair's health and its reasons.",
    tags=_TAGS,
    responses={200: schemas.RhythmPairViewOut},
)
@login_required
def api_pair(match_id: int) -> dict[str, Any]:
    health, hints, coordinator = overview.pair_view(current_context(), match_id, utcnow())
    out: dict[str, Any] = {"hints": hints}
    if coordinator and health is not None:
        out["health"] = overview.health_json(health)
    return schemas.RhythmPairViewOut().dump(out)
