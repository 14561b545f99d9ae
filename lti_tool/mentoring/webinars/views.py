"""Webinar and training-gate pages and their JSON API; launch targets ``webinar:<id>``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from lti_tool.api.spec import document
from lti_tool.errors import Forbidden, InvalidInput
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import current_context, login_required
from lti_tool.limits import accepts_upload
from lti_tool.mentoring.content.service import modules_of_programme
from lti_tool.mentoring.webinars import (
    attendance,
    attendance_csv,
    catalogue,
    grading,
    invitations,
    placement,
    registration,
    scheduling,
    training_gates,
)
from lti_tool.mentoring.webinars.access import viewer
from lti_tool.mentoring.webinars.schemas import (
    TrainingGateCreateSchema,
    TrainingGateSchema,
    TrainingGatesOverviewSchema,
    TrainingPlaceableListSchema,
    WebinarAttendanceFormSchema,
    WebinarAttendanceImportSchema,
    WebinarAttendanceSchema,
    WebinarCreatedSchema,
    WebinarCreateSchema,
    WebinarImportResultSchema,
    WebinarListSchema,
    WebinarNoticeListSchema,
    WebinarRegistrationListSchema,
    WebinarRegistrationSchema,
    WebinarTimezoneOutSchema,
    WebinarTimezoneSchema,
    WebinarUpdateSchema,
    WebinarViewSchema,
)
from lti_tool.web import back_to, form_data, target_id

bp = Blueprint("webinars", __name__)
# Registered on import: score subscribers and the deep-linking offer.
_registered = (grading, placement)


def _upload(field: str = "file") -> Any:
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        if request.mimetype == "text/csv":
            return request.stream
        raise InvalidInput(_("Attach a CSV file."), errors={field: [_("Choose the CSV file to import.")]})
    return upload.stream


# --- launch target -----------------------------------------------------------------------------


def open_webinar(ctx: LaunchContext, argument: str) -> str:
    return render_template("webinars/page.html", view=catalogue.webinar_page(ctx, target_id(argument)))


# --- pages -------------------------------------------------------------------------------------


@bp.route("/webinars", methods=["GET"])
@login_required
def index() -> str:
    ctx = current_context()
    return render_template(
        "webinars/index.html",
        lists=catalogue.list_webinars(ctx),
        notices=invitations.notices(ctx),
        is_coordinator=ctx.is_coordinator,
    )


@bp.route("/webinars", methods=["POST"])
@login_required
def create() -> BaseResponse:
    data = WebinarCreateSchema().load(form_data("capacity", "join_url", "timezone", "host_user_id"))
    webinars = scheduling.create_webinars(current_context(), data)
    return back_to("webinars.page", webinar_id=webinars[0].id)


@bp.route("/webinars/<int:webinar_id>", methods=["GET", "POST"])
@login_required
def page(webinar_id: int) -> str:
    return render_template("webinars/page.html", view=catalogue.webinar_page(current_context(), webinar_id))


@bp.post("/webinars/<int:webinar_id>/register")
@login_required
def register_form(webinar_id: int) -> BaseResponse:
    registration.register(current_context(), webinar_id)
    return back_to("webinars.page", webinar_id=webinar_id)


@bp.post("/webinars/<int:webinar_id>/unregister")
@login_required
def unregister_form(webinar_id: int) -> BaseResponse:
    registration.cancel_registration(current_context(), webinar_id)
    return back_to("webinars.page", webinar_id=webinar_id)


@bp.post("/webinars/<int:webinar_id>/edit")
@login_required
def edit_form(webinar_id: int) -> BaseResponse:
    data = WebinarUpdateSchema().load(form_data("capacity", "join_url", "starts_at", "timezone"))
    scheduling.update_webinar(current_context(), webinar_id, data)
    return back_to("webinars.page", webinar_id=webinar_id)


@bp.post("/webinars/<int:webinar_id>/cancel")
@login_required
def cancel_form(webinar_id: int) -> BaseResponse:
    scheduling.cancel_webinar(current_context(), webinar_id)
    return back_to("webinars.page", webinar_id=webinar_id)


@bp.post("/webinars/<int:webinar_id>/attendance")
@login_required
def attendance_form(webinar_id: int) -> BaseResponse:
    form = request.form
    data = WebinarAttendanceFormSchema().load(
        {"attended": form.get("attended", "false"), "participant_id": form.get("participant_id")}
    )
    attendance.set_attendance(current_context(), webinar_id, data["participant_id"], data["attended"])
    return back_to("webinars.page", webinar_id=webinar_id)


@bp.post("/webinars/<int:webinar_id>/attendance/import")
@accepts_upload(attendance_csv.CSV_MAX_BYTES)
@login_required
def import_form(webinar_id: int) -> BaseResponse:
    attendance.import_attendance(current_context(), webinar_id, _upload())
    return back_to("webinars.page", webinar_id=webinar_id)


@bp.get("/webinars/<int:webinar_id>/join")
@login_required
def join(webinar_id: int) -> BaseResponse:
    """Ritmo's join link: counts the person as present, then opens the room."""
    return redirect(attendance.join(current_context(), webinar_id), code=303)


@bp.get("/webinars/<int:webinar_id>/invite.ics")
@login_required
def invite(webinar_id: int) -> Response:
    name, text = invitations.invitation_download(current_context(), webinar_id)
    return Response(
        text,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.post("/webinars/notices/<int:notice_id>/dismiss")
@login_required
def dismiss_form(notice_id: int) -> BaseResponse:
    invitations.dismiss_notice(current_context(), notice_id)
    return back_to("webinars.index")


@bp.get("/training/waiting")
@login_required
def waiting_page() -> str:
    ctx = current_context()
    overview = training_gates.waiting_overview(ctx)
    programme_id = viewer(ctx).programme.id
    lists = catalogue.list_webinars(ctx)
    return render_template(
        "webinars/waiting.html",
        overview=overview,
        modules=modules_of_programme(programme_id),
        webinars=lists["upcoming"] + lists["past"],
    )


@bp.post("/training/gates")
@login_required
def add_gate_form() -> BaseResponse:
    data = TrainingGateCreateSchema().load(form_data("module_id", "webinar_id"))
    training_gates.add_gate(current_context(), data)
    return back_to("webinars.waiting_page")


@bp.post("/training/gates/<int:gate_id>/delete")
@login_required
def remove_gate_form(gate_id: int) -> BaseResponse:
    training_gates.remove_gate(current_context(), gate_id)
    return back_to("webinars.waiting_page")


# --- JSON API ----------------------------------------------------------------------------------

_MANAGERS = "The webinar's host or a coordinator."
_COORDINATORS = "Coordinators only."


@bp.get("/api/webinars")
@document("List the webinars I can see", tags=("webinars",),
          description="Anyone in the programme: the webinars meant for their role, upcoming and past.",
          responses={200: WebinarListSchema}, errors=(404,))
@login_required
def api_list() -> Any:
    return WebinarListSchema().dump(catalogue.list_webinars(current_context()))


@bp.post("/api/webinars")
@document("Schedule a webinar or a weekly series", tags=("webinars",), description=_COORDINATORS,
          body=WebinarCreateSchema, responses={201: WebinarCreatedSchema}, errors=(404,))
@login_required
def api_create() -> tuple[Any, int]:
    ctx = current_context()
    webinars = scheduling.create_webinars(ctx, WebinarCreateSchema().load(request.get_json(force=True)))
    views = [catalogue.webinar_page(ctx, w.id) for w in webinars]
    return WebinarCreatedSchema().dump({"webinars": views}), 201


@bp.get("/api/webinars/<int:webinar_id>")
@document("Show a webinar", tags=("webinars",),
          description="Anyone it is meant for; its host and coordinators see the room and who registered.",
          responses={200: WebinarViewSchema})
@login_required
def api_get(webinar_id: int) -> Any:
    return WebinarViewSchema().dump(catalogue.webinar_page(current_context(), webinar_id))


@bp.patch("/api/webinars/<int:webinar_id>")
@document("Change a webinar", tags=("webinars",),
          description=f"{_MANAGERS} A new time or room goes to everyone registered as a calendar update; "
          "only a coordinator may change the host.",
          body=WebinarUpdateSchema, responses={200: WebinarViewSchema}, errors=(409,))
@login_required
def api_update(webinar_id: int) -> Any:
    ctx = current_context()
    scheduling.update_webinar(ctx, webinar_id, WebinarUpdateSchema().load(request.get_json(force=True)))
    return WebinarViewSchema().dump(catalogue.webinar_page(ctx, webinar_id))


@bp.post("/api/webinars/<int:webinar_id>/cancel")
@document("Cancel a webinar", tags=("webinars",),
          description=f"{_MANAGERS} Everyone registered or waiting is told; a second cancel changes nothing.",
          responses={200: WebinarViewSchema})
@login_required
def api_cancel(webinar_id: int) -> Any:
    ctx = current_context()
    scheduling.cancel_webinar(ctx, webinar_id)
    return WebinarViewSchema().dump(catalogue.webinar_page(ctx, webinar_id))


@bp.post("/api/webinars/<int:webinar_id>/registration")
@document("Register for a webinar", tags=("webinars",),
          description="Anyone it is meant for; when it is full the caller joins the waiting list.",
          responses={200: WebinarViewSchema}, errors=(409,))
@login_required
def api_register(webinar_id: int) -> Any:
    return WebinarViewSchema().dump(registration.register(current_context(), webinar_id))


@bp.delete("/api/webinars/<int:webinar_id>/registration")
@document("Cancel my registration", tags=("webinars",),
          description="The registered person; the first on the waiting list takes the seat.",
          responses={200: WebinarViewSchema}, errors=(409,))
@login_required
def api_unregister(webinar_id: int) -> Any:
    return WebinarViewSchema().dump(registration.cancel_registration(current_context(), webinar_id))


@bp.get("/api/webinars/<int:webinar_id>/attendance")
@document("List who registered and who attended", tags=("webinars",), description=_MANAGERS,
          responses={200: WebinarRegistrationListSchema})
@login_required
def api_attendance(webinar_id: int) -> Any:
    view = catalogue.webinar_page(current_context(), webinar_id)
    if not view.can_manage:
        raise Forbidden(_("Only the webinar's host or a coordinator can see attendance."))
    return WebinarRegistrationListSchema().dump({"registrations": view.registrations})


@bp.put("/api/webinars/<int:webinar_id>/attendance/<int:participant_id>")
@document("Mark someone present or absent", tags=("webinars",), description=_MANAGERS,
          body=WebinarAttendanceSchema, responses={200: WebinarRegistrationSchema}, errors=(409,))
@login_required
def api_set_attendance(webinar_id: int, participant_id: int) -> Any:
    data = WebinarAttendanceSchema().load(request.get_json(force=True))
    marked = attendance.set_attendance(current_context(), webinar_id, participant_id, data["attended"])
    return WebinarRegistrationSchema().dump(marked)


@bp.post("/api/webinars/<int:webinar_id>/attendance/import")
@document("Import attendance from a CSV file", tags=("webinars",),
          description=f"{_MANAGERS} The file goes in the form field `file`; a `text/csv` body is taken too.",
          body=WebinarAttendanceImportSchema, body_kind="multipart",
          responses={200: WebinarImportResultSchema}, errors=(409,))
@accepts_upload(attendance_csv.CSV_MAX_BYTES)
@login_required
def api_import(webinar_id: int) -> Any:
    result = attendance.import_attendance(current_context(), webinar_id, _upload())
    return WebinarImportResultSchema().dump(result)


@bp.put("/api/webinars/timezone")
@document("Keep my time zone for webinar times", tags=("webinars",), description="Anyone in the programme.",
          body=WebinarTimezoneSchema, responses={200: WebinarTimezoneOutSchema}, errors=(404,))
@login_required
def api_timezone() -> Any:
    data = WebinarTimezoneSchema().load(request.get_json(force=True))
    zone = catalogue.remember_timezone(current_context(), data["timezone"])
    return WebinarTimezoneOutSchema().dump({"timezone": zone})


@bp.get("/api/webinars/notices")
@document("List my webinar notices", tags=("webinars",),
          description="The caller's unread reminders and changes of webinars they registered for.",
          responses={200: WebinarNoticeListSchema}, errors=(404,))
@login_required
def api_notices() -> Any:
    return WebinarNoticeListSchema().dump({"notices": invitations.notices(current_context())})


@bp.post("/api/webinars/notices/<int:notice_id>/dismiss")
@document("Dismiss a webinar notice", tags=("webinars",), description="The notice's recipient.",
          responses={204: None})
@login_required
def api_dismiss(notice_id: int) -> tuple[str, int]:
    invitations.dismiss_notice(current_context(), notice_id)
    return "", 204


@bp.get("/api/training/gates")
@document("List the training gates and who waits on them", tags=("training",), description=_COORDINATORS,
          responses={200: TrainingGatesOverviewSchema}, errors=(404,))
@login_required
def api_gates() -> Any:
    return TrainingGatesOverviewSchema().dump(training_gates.waiting_overview(current_context()))


@bp.post("/api/training/gates")
@document("Require training before matching", tags=("training",),
          description=f"{_COORDINATORS} People of the role are matched only once they completed the module "
          "or attended the webinar.",
          body=TrainingGateCreateSchema, responses={201: TrainingGateSchema}, errors=(404, 409))
@login_required
def api_add_gate() -> tuple[Any, int]:
    gate = training_gates.add_gate(
        current_context(), TrainingGateCreateSchema().load(request.get_json(force=True))
    )
    return TrainingGateSchema().dump({"gate": gate, "text": training_gates.describe(gate)}), 201


@bp.delete("/api/training/gates/<int:gate_id>")
@document("Remove a training gate", tags=("training",), description=_COORDINATORS, responses={204: None})
@login_required
def api_remove_gate(gate_id: int) -> tuple[str, int]:
    training_gates.remove_gate(current_context(), gate_id)
    return "", 204


@bp.get("/api/training/placeable-items")
@document("List the webinars and modules deep linking can place", tags=("training",),
          description=f"{_COORDINATORS} Each names its launch target and how it is graded.",
          responses={200: TrainingPlaceableListSchema}, errors=(404,))
@login_required
def api_placeable() -> Any:
    return TrainingPlaceableListSchema().dump({"items": placement.placeable_items(current_context())})
