"""Score delivery for coordinators: each score's state (and why it failed), and retry."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request
from werkzeug.wrappers import Response

from lti_tool.errors import InvalidInput, NotFound
from lti_tool.grades import service
from lti_tool.grades.models import DeliveryState
from lti_tool.grades.schemas import DeliveryOut
from lti_tool.identity.session import coordinator_required, current_context, session_url

bp = Blueprint("grades", __name__)
_out = DeliveryOut()


def _course_id() -> int:
    ctx = current_context()
    if ctx.course_id is None:
        raise NotFound("Ritmo was opened outside a course. Open it from a course page.")
    return ctx.course_id


def _state_filter() -> DeliveryState | None:
    value = request.args.get("state")
    if not value:
        return None
    try:
        return DeliveryState(value)
    except ValueError as error:
        raise InvalidInput(errors={"state": [
            "Use one of: " + ", ".join(s.value for s in DeliveryState) + "."
        ]}) from error


@bp.get("/api/grades/deliveries")
@coordinator_required
def api_deliveries() -> Any:
    course_id = _course_id()
    rows = service.delivery_rows(course_id, _state_filter())
    return {"counts": service.state_counts(course_id), "deliveries": _out.dump(rows, many=True)}


@bp.post("/api/grades/deliveries/retry")
@coordinator_required
def api_retry_all() -> Any:
    count = service.retry(course_id=_course_id(), actor_user_id=current_context().user_id)
    return {"requeued": count}


@bp.post("/api/grades/deliveries/<int:outbox_id>/retry")
@coordinator_required
def api_retry_one(outbox_id: int) -> Any:
    count = service.retry(
        course_id=_course_id(), outbox_id=outbox_id, actor_user_id=current_context().user_id
    )
    return {"requeued": count}


@bp.route("/grades/deliveries", methods=["GET", "POST"])
@coordinator_required
def deliveries_page() -> str:
    course_id = _course_id()
    return render_template(
        "grades/deliveries.html", counts=service.state_counts(course_id),
        rows=service.delivery_rows(course_id, _state_filter()), states=list(DeliveryState),
    )


@bp.post("/grades/deliveries/retry")
@coordinator_required
def retry_page() -> Response:
    outbox_id = request.form.get("outbox_id", type=int)
    service.retry(course_id=_course_id(), outbox_id=outbox_id, actor_user_id=current_context().user_id)
    return redirect(session_url("grades.deliveries_page"), code=303)
