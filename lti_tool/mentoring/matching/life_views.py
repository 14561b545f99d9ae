"""The life of a match, API and pages: closing (propose, confirm, keep open, reflect), the
coordinator's direct close and planned end, and the mid-point check-in.

Members act on their own match; coordinators see every match of their programme, close it and set
its planned end. Anyone else gets the match access check's 404 (:func:`.access.match_access`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from lti_tool.api.spec import document
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


def _state(access: MatchAccess) -> dict[str, Any]:
    return _life.dump(closure.state(access))


def _coordinator(access: MatchAccess) -> None:
    if not access.is_coordinator:
        raise Forbidden(_("Only the programme's coordinators can do this."))


# -- API -----------------------------------------------------------------------------------------

TAGS = ("match-life",)
_life = schemas.MatchLifeOut()
_writing = schemas.MatchWritingOut()


@bp.get(f"/api{BASE}/life")
@document(
    "Read a match's life",
    description=(
        "Its members and the programme's coordinators: planned length, mid-point, the closing "
        "proposal, check-ins and reflections."
    ),
    tags=TAGS,
    responses={200: schemas.MatchLifeOut},
)
@login_required
def life(programme_id: int, match_id: int) -> dict[str, Any]:
    return _state(_access(programme_id, match_id))


@bp.post(f"/api{BASE}/closure")
@document(
    "Propose closing the match",
    description=(
        "A member of a started match; the other side confirms or keeps it open. 409 when a "
        "closing is already proposed or the match has not started or has ended."
    ),
    tags=TAGS,
    body=schemas.MatchClosureProposalIn,
    responses={201: schemas.MatchLifeOut},
    errors=(409,),
)
@login_required
@limit("mail", key=per_person)
def propose(programme_id: int, match_id: int) -> tuple[dict[str, Any], int]:
    data = schemas.MatchClosureProposalIn().load(body())
    access = _access(programme_id, match_id)
    closure.propose(access, data["reason"], data["reflection"])
    return _state(access), 201


@bp.post(f"/api{BASE}/closure/confirm")
@document(
    "Confirm the proposed closing",
    description="A member on the other side of the proposal: the match ends as completed.",
    tags=TAGS,
    body=schemas.MatchReflectionIn,
    body_required=False,
    responses={200: schemas.MatchLifeOut},
    errors=(409,),
)
@login_required
def confirm(programme_id: int, match_id: int) -> dict[str, Any]:
    data = schemas.MatchReflectionIn().load(body())
    access = _access(programme_id, match_id)
    closure.confirm(access, data["reflection"])
    return _state(access)


@bp.delete(f"/api{BASE}/closure")
@document(
    "Keep the match open",
    description="A member: declines the other side's proposal, or takes back their own.",
    tags=TAGS,
    responses={200: schemas.MatchLifeOut},
    errors=(409,),
)
@login_required
def keep_open(programme_id: int, match_id: int) -> dict[str, Any]:
    access = _access(programme_id, match_id)
    closure.keep_open(access)
    return _state(access)


@bp.put(f"/api{BASE}/reflection")
@document(
    "Write my closing reflection",
    description="A member, once closing is proposed or done; writing again replaces it.",
    tags=TAGS,
    body=schemas.MatchReflectionIn,
    responses={200: schemas.MatchWritingOut},
    errors=(409,),
)
@login_required
def reflect(programme_id: int, match_id: int) -> dict[str, Any]:
    data = schemas.MatchReflectionIn().load(body())
    return _writing.dump(dump(closure.reflect(_access(programme_id, match_id), data["reflection"])))


@bp.put(f"/api{BASE}/check-in")
@document(
    "Write my mid-point check-in",
    description="A member of a match that has not ended; writing again replaces it.",
    tags=TAGS,
    body=schemas.MatchCheckInIn,
    responses={200: schemas.MatchWritingOut},
    errors=(409,),
)
@login_required
def check_in(programme_id: int, match_id: int) -> dict[str, Any]:
    data = schemas.MatchCheckInIn().load(body())
    return _writing.dump(
        dump(duration.check_in(_access(programme_id, match_id), data["feeling"], data["text"]))
    )


@bp.post(f"/api{BASE}/close")
@document(
    "Close a match",
    description="Coordinators only: the match ends with the reason given. 409 when it has already ended.",
    tags=TAGS,
    body=schemas.MatchCloseIn,
    body_required=False,
    responses={200: schemas.MatchLifeOut},
    errors=(409,),
)
@coordinator_required
def close(programme_id: int, match_id: int) -> dict[str, Any]:
    data = schemas.MatchCloseIn().load(body())
    access = _access(programme_id, match_id)
    closure.close(current_context(), access.programme, access.match, data["reason"], data["note"])
    return _state(access)


@bp.put(f"/api{BASE}/planned-end")
@document(
    "Set a match's planned end",
    description=(
        "Coordinators only: a day from today to the programme's end, or null to follow the "
        "programme. 409 when the match has ended."
    ),
    tags=TAGS,
    body=schemas.MatchPlannedEndIn,
    responses={200: schemas.MatchLifeOut},
    errors=(409,),
)
@coordinator_required
def planned_end(programme_id: int, match_id: int) -> dict[str, Any]:
    data = schemas.MatchPlannedEndIn().load(body())
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
        loaded = schemas.MatchClosureProposalIn().load(data)
        closure.propose(access, loaded["reason"], loaded["reflection"])
    elif action == "confirm":
        closure.confirm(access, schemas.MatchReflectionIn().load(data)["reflection"])
    elif action == "keep_open":
        closure.keep_open(access)
    elif action == "reflect":
        closure.reflect(access, schemas.MatchReflectionIn().load(data)["reflection"])
    elif action == "close":
        _coordinator(access)
        loaded = schemas.MatchCloseIn().load(data)
        closure.close(current_context(), access.programme, access.match, loaded["reason"], loaded["note"])
    elif action == "planned_end":
        _coordinator(access)
        day = schemas.MatchPlannedEndIn().load({"planned_end_on": data.get("planned_end_on")})
        duration.set_planned_end(current_context(), access.programme, access.match, day["planned_end_on"])
    else:
        raise NotFound(_("This action does not exist here."))


@bp.route(f"{BASE}/check-in", methods=["GET", "POST"])
@login_required
def check_in_page(programme_id: int, match_id: int) -> str | Response:
    access = _access(programme_id, match_id)
    if request.method == "POST":
        data = schemas.MatchCheckInIn().load(body())
        duration.check_in(access, data["feeling"], data["text"])
        return redirect(session_url(".check_in_page", programme_id=programme_id, match_id=match_id))
    return render_template(
        "matching/check_in.html",
        programme=access.programme,
        access=access,
        life=closure.state(access),
        feelings=FEELING_LABELS,
    )
