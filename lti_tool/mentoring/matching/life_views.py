"""The life of a match, API and pages: closing (propose, confirm, keep open, reflect), the
coordinator's direct close and planned end, and the mid-point check-in.

Members act on their own match; coordinators see every match of their programme, close it and set
its planned end. Anyone else gets the match access check's 404 (:func:`.access.match_access`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from lti_tool.errors import Forbidden, NotFound
from lti_tool.identity.session import coordinator_required, current_context, login_required, session_url
from lti_tool.mentoring.matching import closure, duration, schemas
from lti_tool.mentoring.matching.access import MatchAccess, match_access
from lti_tool.mentoring.matching.models import CLOSURE_REASON_LABELS, FEELING_LABELS
from lti_tool.mentoring.matching.reflections import dump
from lti_tool.ratelimit import WRITES, limit, per_person
from lti_tool.web import body

bp = Blueprint("match_life", __name__)
BASE = "/programmes/<int:programme_id>/matches/<int:match_id>"


def _access(programme_id: int, match_id: int) -> MatchAccess:
    access = match_access(current_context(), match_id)
    if access.programme.id != programme_id:
        raise NotFound(_("This match does not exist or is not yours. Go back to your programme page."))
    return access


def _iso(value: Any) -> Any:
    """Dates and times in ISO 8601 (UTC for times), as the rest of the API writes them."""
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _state(access: MatchAccess) -> dict[str, Any]:
    return dict(_iso(closure.state(access)))


def _coordinator(access: MatchAccess) -> None:
    if not access.is_coordinator:
        raise Forbidden(_("Only the programme's coordinators can do this."))


# -- API -----------------------------------------------------------------------------------------


@bp.get(f"/api{BASE}/life")
@login_required
def life(programme_id: int, match_id: int) -> dict[str, Any]:
    return _state(_access(programme_id, match_id))


@bp.post(f"/api{BASE}/closure")
@login_required
@limit("mail", key=per_person)
def propose(programme_id: int, match_id: int) -> tuple[dict[str, Any], int]:
    data = schemas.ProposeClosureSchema().load(body())
    access = _access(programme_id, match_id)
    closure.propose(access, data["reason"], data["reflection"])
    return _state(access), 201


@bp.post(f"/api{BASE}/closure/confirm")
@login_required
def confirm(programme_id: int, match_id: int) -> dict[str, Any]:
    data = schemas.ReflectionSchema().load(body())
    access = _access(programme_id, match_id)
    closure.confirm(access, data["reflection"])
    return _state(access)


@bp.delete(f"/api{BASE}/closure")
@login_required
def keep_open(programme_id: int, match_id: int) -> dict[str, Any]:
    access = _access(programme_id, match_id)
    closure.keep_open(access)
    return _state(access)


@bp.put(f"/api{BASE}/reflection")
@login_required
def reflect(programme_id: int, match_id: int) -> dict[str, Any]:
    data = schemas.ReflectionSchema().load(body())
    return _iso(dump(closure.reflect(_access(programme_id, match_id), data["reflection"])))


@bp.put(f"/api{BASE}/check-in")
@login_required
def check_in(programme_id: int, match_id: int) -> dict[str, Any]:
    data = schemas.CheckInSchema().load(body())
    return _iso(dump(duration.check_in(_access(programme_id, match_id), data["feeling"], data["text"])))


@bp.post(f"/api{BASE}/close")
@coordinator_required
def close(programme_id: int, match_id: int) -> dict[str, Any]:
    data = schemas.CloseSchema().load(body())
    access = _access(programme_id, match_id)
    closure.close(current_context(), access.programme, access.match, data["reason"], data["note"])
    return _state(access)


@bp.put(f"/api{BASE}/planned-end")
@coordinator_required
def planned_end(programme_id: int, match_id: int) -> dict[str, Any]:
    data = schemas.PlannedEndSchema().load(body())
    access = _access(programme_id, match_id)
    duration.set_planned_end(current_context(), access.programme, access.match, data["planned_end_on"])
    return _state(access)


# -- pages ---------------------------------------------------------------------------------------


@bp.route(f"{BASE}/closing", methods=["GET", "POST"])
@login_required
@limit("mail", key=per_person, methods=WRITES)
def closing_page(programme_id: int, match_id: int) -> str | Response:
    access = _access(programme_id, match_id)
    if request.method == "POST":
        _closing_action(access, body())
        return redirect(session_url(".closing_page", programme_id=programme_id, match_id=match_id))
    return render_template(
        "matching/closing.html",
        programme=access.programme,
        access=access,
        life=closure.state(access),
        reasons=CLOSURE_REASON_LABELS,
    )


def _closing_action(access: MatchAccess, data: dict[str, Any]) -> None:
    """The closing page's buttons: one form per action, each parsed like its API call."""
    action = data.pop("action", "")
    if action == "propose":
        loaded = schemas.ProposeClosureSchema().load(data)
        closure.propose(access, loaded["reason"], loaded["reflection"])
    elif action == "confirm":
        closure.confirm(access, schemas.ReflectionSchema().load(data)["reflection"])
    elif action == "keep_open":
        closure.keep_open(access)
    elif action == "reflect":
        closure.reflect(access, schemas.ReflectionSchema().load(data)["reflection"])
    elif action == "close":
        _coordinator(access)
        loaded = schemas.CloseSchema().load(data)
        closure.close(current_context(), access.programme, access.match, loaded["reason"], loaded["note"])
    elif action == "planned_end":
        _coordinator(access)
        day = schemas.PlannedEndSchema().load({"planned_end_on": data.get("planned_end_on")})
        duration.set_planned_end(current_context(), access.programme, access.match, day["planned_end_on"])
    else:
        raise NotFound(_("This action does not exist here."))


@bp.route(f"{BASE}/check-in", methods=["GET", "POST"])
@login_required
def check_in_page(programme_id: int, match_id: int) -> str | Response:
    access = _access(programme_id, match_id)
    if request.method == "POST":
        data = schemas.CheckInSchema().load(body())
        duration.check_in(access, data["feeling"], data["text"])
        return redirect(session_url(".check_in_page", programme_id=programme_id, match_id=match_id))
    return render_template(
        "matching/check_in.html",
        programme=access.programme,
        access=access,
        life=closure.state(access),
        feelings=FEELING_LABELS,
    )
