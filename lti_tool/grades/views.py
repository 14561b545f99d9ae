"""Score delivery for coordinators: each score's state (and why it failed), and retry."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request
from werkzeug.wrappers import Response

from lti_tool.api.spec import document
from lti_tool.errors import NotFound
from lti_tool.grades import schemas, service
from lti_tool.grades.models import DeliveryState
from lti_tool.identity.session import coordinator_required, current_context, session_url

bp = Blueprint("grades", __name__)


def _course_id() -> int:
    ctx = current_context()
    if ctx.course_id is None:
        raise NotFound("Ritmo was opened outside a course. Open it from a course page.")
    return ctx.course_id


def _state_filter() -> DeliveryState | None:
    state: DeliveryState | None = schemas.GradesDeliveriesQuery().load(request.args)["state"]
    return state


_TAGS = ("grades",)


@bp.get("/api/grades/deliveries")
@document(
    "List the course's scores for the LMS gradebook",
    description="Coordinators of the course Ritmo was opened from: each score's state and, when it "
    "failed, the LMS's answer (404 when opened outside a course).",
    tags=_TAGS,
    query=schemas.GradesDeliveriesQuery,
    responses={200: schemas.GradesDeliveriesOut},
    errors=(404,),
)
@coordinator_required
def api_deliveries() -> Any:
    course_id = _course_id()
    rows = service.delivery_rows(course_id, _state_filter())
    return schemas.GradesDeliveriesOut().dump({"counts": service.state_counts(course_id), "deliveries": rows})


@bp.post("/api/grades/deliveries/retry")
@document(
    "Send the course's failed scores again",
    description="Coordinators of the course: every failed score goes back to the outbox.",
    tags=_TAGS,
    body_required=False,
    responses={200: schemas.GradesRequeuedOut},
    errors=(404,),
)
@coordinator_required
def api_retry_all() -> Any:
    count = service.retry(course_id=_course_id(), actor_user_id=current_context().user_id)
    return schemas.GradesRequeuedOut().dump({"requeued": count})


@bp.post("/api/grades/deliveries/<int:outbox_id>/retry")
@document(
    "Send one score again",
    description="Coordinators of the course: a failed or waiting score is tried again now (``requeued``: "
    "1); one being sent or delivered is left as it is (0).",
    tags=_TAGS,
    body_required=False,
    responses={200: schemas.GradesRequeuedOut},
)
@coordinator_required
def api_retry_one(outbox_id: int) -> Any:
    count = service.retry(
        course_id=_course_id(), outbox_id=outbox_id, actor_user_id=current_context().user_id
    )
    return schemas.GradesRequeuedOut().dump({"requeued": count})


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
