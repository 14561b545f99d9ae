"""Support's pages in the frame: the help page (FAQ, then "ask for help"), a request's thread, the
support queue, and the coordinators' page for the FAQ, support staff and the response time.

Views are thin: load with a schema, call one service function, render or redirect back signed in.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import coordinator_required, current_context, login_required
from lti_tool.mentoring.matching import access
from lti_tool.mentoring.support import faq, requests, schemas, staff
from lti_tool.mentoring.support.models import REQUEST_STATUS_LABELS, RequestStatus
from lti_tool.web import MAX_ID, back_to

bp = Blueprint("support", __name__)

_request_in = schemas.SupportRequestIn()
_reply_in = schemas.SupportReplyIn()
_assign_in = schemas.SupportAssignIn()
_queue_query = schemas.SupportQueueQuery()
_faq_in = schemas.SupportFaqIn()
_move_in = schemas.MoveIn()
_settings_in = schemas.SettingsIn()
_staff_in = schemas.StaffIn()


def assignee_from(ctx: LaunchContext, choice: str | None) -> int | None:
    """The assignee a form or API call names: "me", a user id, or nobody (blank or "none")."""
    if choice in (None, "", "none"):
        return None
    if choice == "me":
        return ctx.user_id
    if choice.isascii() and choice.isdigit() and int(choice) <= MAX_ID:
        return int(choice)
    return -1  # nobody's id, refused by the service


@bp.route("/support", methods=["GET", "POST"])
@login_required
def index() -> str:
    ctx = current_context()
    programme = access.current_programme(ctx)
    return render_template(
        "support/index.html",
        programme=programme,
        entries=faq.shown(programme),
        mine=requests.my_requests(ctx),
        matches=requests.my_match_choices(ctx),
        is_support=staff.is_support(ctx, programme),
        response_hours=staff.response_hours(programme),
        statuses=REQUEST_STATUS_LABELS,
    )


@bp.post("/support/requests")
@login_required
def open_page() -> Response:
    data = _request_in.load(request.form)
    created = requests.open_request(current_context(), **data)
    return back_to("support.request_page", request_id=created.id)


@bp.route("/support/requests/<int:request_id>", methods=["GET", "POST"])
@login_required
def request_page(request_id: int) -> str:
    ctx = current_context()
    found = requests.get_request(ctx, request_id)
    r = found.request
    people = requests.names(
        [r.requester_user_id, r.assignee_user_id, *(m.author_user_id for m in r.messages)]
    )
    return render_template(
        "support/request.html",
        found=found,
        r=r,
        people=people,
        team=staff.members(found.programme) if found.is_support else [],
        statuses=REQUEST_STATUS_LABELS,
    )


@bp.post("/support/requests/<int:request_id>/reply")
@login_required
def reply_page(request_id: int) -> Response:
    data = _reply_in.load(request.form)
    requests.reply(current_context(), request_id, **data)
    return back_to("support.request_page", request_id=request_id)


@bp.post("/support/requests/<int:request_id>/assign")
@login_required
def assign_page(request_id: int) -> Response:
    ctx = current_context()
    choice = _assign_in.load(request.form)["assignee"]
    requests.assign(ctx, request_id, assignee_from(ctx, choice))
    return back_to("support.request_page", request_id=request_id)


@bp.post("/support/requests/<int:request_id>/close")
@login_required
def close_page(request_id: int) -> Response:
    requests.close(current_context(), request_id)
    return back_to("support.request_page", request_id=request_id)


@bp.route("/support/queue", methods=["GET", "POST"])
@login_required
def queue_page() -> str:
    ctx = current_context()
    status = _queue_query.load(request.args)["status"]
    items = requests.queue(ctx, status)
    people = requests.names([r.requester_user_id for r in items] + [r.assignee_user_id for r in items])
    return render_template(
        "support/queue.html",
        items=items,
        people=people,
        status=status,
        statuses=REQUEST_STATUS_LABELS,
        all_statuses=list(RequestStatus),
    )


# --- coordinators: the help page, support staff, the response time ------------------------------


@bp.route("/support/manage", methods=["GET", "POST"])
@coordinator_required
def manage_page() -> str:
    programme = access.current_programme(current_context())
    return render_template(
        "support/manage.html",
        entries=faq.entries(programme),
        team=staff.members(programme),
        candidates=staff.candidates(programme),
        response_hours=staff.response_hours(programme),
    )


@bp.post("/support/faq")
@coordinator_required
def create_faq_page() -> Response:
    faq.create(current_context(), _faq_in.load(request.form))
    return back_to("support.manage_page")


@bp.post("/support/faq/<int:entry_id>")
@coordinator_required
def update_faq_page(entry_id: int) -> Response:
    faq.update(current_context(), entry_id, _faq_in.load(request.form))
    return back_to("support.manage_page", _anchor=f"faq-{entry_id}")


@bp.post("/support/faq/<int:entry_id>/move")
@coordinator_required
def move_faq_page(entry_id: int) -> Response:
    step = -1 if _move_in.load(request.form)["direction"] == "up" else 1
    faq.move(current_context(), entry_id, step)
    return back_to("support.manage_page")


@bp.post("/support/faq/<int:entry_id>/delete")
@coordinator_required
def delete_faq_page(entry_id: int) -> Response:
    faq.delete(current_context(), entry_id)
    return back_to("support.manage_page")


@bp.post("/support/staff")
@coordinator_required
def add_staff_page() -> Response:
    ctx = current_context()
    staff.add_staff(ctx, access.current_programme(ctx), _staff_in.load(request.form)["user_id"])
    return back_to("support.manage_page")


@bp.post("/support/staff/<int:user_id>/delete")
@coordinator_required
def remove_staff_page(user_id: int) -> Response:
    ctx = current_context()
    staff.remove_staff(ctx, access.current_programme(ctx), user_id)
    return back_to("support.manage_page")


@bp.post("/support/settings")
@coordinator_required
def settings_page() -> Response:
    ctx = current_context()
    hours = _settings_in.load(request.form)["response_hours"]
    staff.set_response_hours(ctx, access.current_programme(ctx), hours)
    return back_to("support.manage_page")
