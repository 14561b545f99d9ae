"""Webinar and training-gate pages and their JSON API; launch targets ``webinar:<id>``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

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
    AttendanceSchema,
    GateCreateSchema,
    GateSchema,
    NoticeSchema,
    RegistrationSchema,
    TimezoneSchema,
    WaitingSchema,
    WebinarCreateSchema,
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
    data = AttendanceSchema().load({"attended": request.form.get("attended", "false")})
    attendance.set_attendance(
        current_context(), webinar_id, int(request.form["participant_id"]), data["attended"]
    )
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
    data = GateCreateSchema().load(form_data("module_id", "webinar_id"))
    training_gates.add_gate(current_context(), data)
    return back_to("webinars.waiting_page")


@bp.post("/training/gates/<int:gate_id>/delete")
@login_required
def remove_gate_form(gate_id: int) -> BaseResponse:
    training_gates.remove_gate(current_context(), gate_id)
    return back_to("webinars.waiting_page")


# --- JSON API ----------------------------------------------------------------------------------


@bp.get("/api/webinars")
@login_required
def api_list() -> dict[str, Any]:
    lists = catalogue.list_webinars(current_context())
    schema = WebinarViewSchema(many=True)
    return {"upcoming": schema.dump(lists["upcoming"]), "past": schema.dump(lists["past"])}


@bp.post("/api/webinars")
@login_required
def api_create() -> tuple[dict[str, Any], int]:
    ctx = current_context()
    webinars = scheduling.create_webinars(ctx, WebinarCreateSchema().load(request.get_json(force=True)))
    views = [catalogue.webinar_page(ctx, w.id) for w in webinars]
    return {"webinars": WebinarViewSchema(many=True).dump(views)}, 201


@bp.get("/api/webinars/<int:webinar_id>")
@login_required
def api_get(webinar_id: int) -> Any:
    return WebinarViewSchema().dump(catalogue.webinar_page(current_context(), webinar_id))


@bp.patch("/api/webinars/<int:webinar_id>")
@login_required
def api_update(webinar_id: int) -> Any:
    ctx = current_context()
    scheduling.update_webinar(ctx, webinar_id, WebinarUpdateSchema().load(request.get_json(force=True)))
    return WebinarViewSchema().dump(catalogue.webinar_page(ctx, webinar_id))


@bp.post("/api/webinars/<int:webinar_id>/cancel")
@login_required
def api_cancel(webinar_id: int) -> Any:
    ctx = current_context()
    scheduling.cancel_webinar(ctx, webinar_id)
    return WebinarViewSchema().dump(catalogue.webinar_page(ctx, webinar_id))


@bp.post("/api/webinars/<int:webinar_id>/registration")
@login_required
def api_register(webinar_id: int) -> Any:
    return WebinarViewSchema().dump(registration.register(current_context(), webinar_id))


@bp.delete("/api/webinars/<int:webinar_id>/registration")
@login_required
def api_unregister(webinar_id: int) -> Any:
    return WebinarViewSchema().dump(registration.cancel_registration(current_context(), webinar_id))


@bp.get("/api/webinars/<int:webinar_id>/attendance")
@login_required
def api_attendance(webinar_id: int) -> Any:
    view = catalogue.webinar_page(current_context(), webinar_id)
    if not view.can_manage:
        raise Forbidden(_("Only the webinar's host or a coordinator can see attendance."))
    return {"registrations": RegistrationSchema(many=True).dump(view.registrations)}


@bp.put("/api/webinars/<int:webinar_id>/attendance/<int:participant_id>")
@login_required
def api_set_attendance(webinar_id: int, participant_id: int) -> Any:
    data = AttendanceSchema().load(request.get_json(force=True))
    marked = attendance.set_attendance(current_context(), webinar_id, participant_id, data["attended"])
    return RegistrationSchema().dump(marked)


@bp.post("/api/webinars/<int:webinar_id>/attendance/import")
@accepts_upload(attendance_csv.CSV_MAX_BYTES)
@login_required
def api_import(webinar_id: int) -> Any:
    result = attendance.import_attendance(current_context(), webinar_id, _upload())
    return {"marked": result.marked, "unmarked": result.unmarked, "unchanged": result.unchanged}


@bp.put("/api/webinars/timezone")
@login_required
def api_timezone() -> Any:
    data = TimezoneSchema().load(request.get_json(force=True))
    return {"timezone": catalogue.remember_timezone(current_context(), data["timezone"])}


@bp.get("/api/webinars/notices")
@login_required
def api_notices() -> Any:
    return {"notices": NoticeSchema(many=True).dump(invitations.notices(current_context()))}


@bp.post("/api/webinars/notices/<int:notice_id>/dismiss")
@login_required
def api_dismiss(notice_id: int) -> tuple[str, int]:
    invitations.dismiss_notice(current_context(), notice_id)
    return "", 204


@bp.get("/api/training/gates")
@login_required
def api_gates() -> Any:
    overview = training_gates.waiting_overview(current_context())
    return {
        "gates": GateSchema(many=True).dump(overview["gates"]),
        "waiting": WaitingSchema(many=True).dump(overview["waiting"]),
    }


@bp.post("/api/training/gates")
@login_required
def api_add_gate() -> tuple[dict[str, Any], int]:
    gate = training_gates.add_gate(current_context(), GateCreateSchema().load(request.get_json(force=True)))
    return GateSchema().dump({"gate": gate, "text": training_gates.describe(gate)}), 201


@bp.delete("/api/training/gates/<int:gate_id>")
@login_required
def api_remove_gate(gate_id: int) -> tuple[str, int]:
    training_gates.remove_gate(current_context(), gate_id)
    return "", 204


@bp.get("/api/training/placeable-items")
@login_required
def api_placeable() -> Any:
    return {"items": placement.placeable_items(current_context())}
