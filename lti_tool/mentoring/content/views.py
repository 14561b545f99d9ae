"""Content pages and their JSON API; launch target ``content:<module id>``; protected downloads."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, send_file
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from lti_tool.api.spec import document
from lti_tool.errors import NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import current_context, login_required
from lti_tool.limits import accepts_upload
from lti_tool.mentoring.content import service, uploads
from lti_tool.mentoring.content.schemas import (
    ContentItemCreateSchema,
    ContentItemUpdateSchema,
    ContentItemUploadSchema,
    ContentItemViewSchema,
    ContentModuleCreateSchema,
    ContentModuleListSchema,
    ContentModuleSchema,
    ContentModuleUpdateSchema,
    ContentModuleViewSchema,
)
from lti_tool.web import back_to, form_data, target_id

bp = Blueprint("content", __name__)


def _item_input() -> tuple[dict[str, Any], Any]:
    """Item fields from JSON or a (multipart) form, and the uploaded file if any."""
    if request.is_json:
        return ContentItemCreateSchema().load(request.get_json()), None
    data = ContentItemCreateSchema().load(form_data("module_id", "webinar_id", "url", "position"))
    upload = request.files.get("file")
    return data, (upload.stream, upload.filename) if upload and upload.filename else None


def open_module(ctx: LaunchContext, argument: str) -> str:
    view = service.module_page(ctx, target_id(argument))
    return render_template("webinars/module.html", view=view, is_coordinator=ctx.is_coordinator)


# --- pages -------------------------------------------------------------------------------------


@bp.get("/content")
@login_required
def index() -> str:
    ctx = current_context()
    return render_template(
        "webinars/content_index.html", modules=service.list_modules(ctx), is_coordinator=ctx.is_coordinator
    )


@bp.post("/content/modules")
@login_required
def create_module_form() -> BaseResponse:
    data = ContentModuleCreateSchema().load(form_data("position"))
    module = service.create_module(current_context(), data)
    return back_to("content.module_page", module_id=module.id)


@bp.route("/content/modules/<int:module_id>", methods=["GET", "POST"])
@login_required
def module_page(module_id: int) -> str:
    ctx = current_context()
    view = service.module_page(ctx, module_id)
    return render_template("webinars/module.html", view=view, is_coordinator=ctx.is_coordinator)


@bp.post("/content/modules/<int:module_id>/delete")
@login_required
def delete_module_form(module_id: int) -> BaseResponse:
    service.delete_module(current_context(), module_id)
    return back_to("content.index")


@bp.post("/content/items")
@accepts_upload("CONTENT_UPLOAD_MAX_BYTES")
@login_required
def add_item_form() -> BaseResponse:
    data, upload = _item_input()
    item = service.add_item(current_context(), data, upload)
    if item.module_id is not None:
        return back_to("content.module_page", module_id=item.module_id)
    return back_to("webinars.page", webinar_id=item.webinar_id)


@bp.route("/content/items/<int:item_id>", methods=["GET", "POST"])
@login_required
def item_page(item_id: int) -> str:
    return render_template("webinars/item.html", view=service.open_item(current_context(), item_id))


@bp.post("/content/items/<int:item_id>/complete")
@login_required
def complete_form(item_id: int) -> BaseResponse:
    view = service.complete_item(current_context(), item_id)
    return back_to("content.item_page", item_id=view.item.id)


@bp.post("/content/items/<int:item_id>/delete")
@login_required
def delete_item_form(item_id: int) -> BaseResponse:
    service.delete_item(current_context(), item_id)
    return back_to("content.index")


@bp.get("/content/items/<int:item_id>/file")
@login_required
def download(item_id: int) -> Response:
    """The stored file, to people allowed to see the item only, always as a download."""
    view = service.open_item(current_context(), item_id)
    item = view.item
    if not item.storage_name:
        raise NotFound(_("This item has no file."))
    response = send_file(
        uploads.path_for(item.storage_name),
        mimetype=item.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=item.file_name or "file",
        max_age=0,
        etag=False,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# --- JSON API ----------------------------------------------------------------------------------

_COORDINATORS = "Coordinators only."
_EDITORS = "Coordinators, or the webinar's host for its own materials."


@bp.get("/api/content/modules")
@document("List the training modules I can see", tags=("content",),
          description="Anyone in the programme; each sees the modules and items meant for their role.",
          responses={200: ContentModuleListSchema}, errors=(404,))
@login_required
def api_modules() -> Any:
    return ContentModuleListSchema().dump({"modules": service.list_modules(current_context())})


@bp.post("/api/content/modules")
@document("Create a training module", tags=("content",), description=_COORDINATORS,
          body=ContentModuleCreateSchema, responses={201: ContentModuleSchema}, errors=(404,))
@login_required
def api_create_module() -> tuple[Any, int]:
    data = ContentModuleCreateSchema().load(request.get_json(force=True))
    return ContentModuleSchema().dump(service.create_module(current_context(), data)), 201


@bp.get("/api/content/modules/<int:module_id>")
@document("Show a training module with its items", tags=("content",),
          description="Anyone the module is meant for, and coordinators.",
          responses={200: ContentModuleViewSchema})
@login_required
def api_module(module_id: int) -> Any:
    return ContentModuleViewSchema().dump(service.module_page(current_context(), module_id))


@bp.patch("/api/content/modules/<int:module_id>")
@document("Change a training module", tags=("content",), description=_COORDINATORS,
          body=ContentModuleUpdateSchema, responses={200: ContentModuleSchema})
@login_required
def api_update_module(module_id: int) -> Any:
    data = ContentModuleUpdateSchema().load(request.get_json(force=True))
    return ContentModuleSchema().dump(service.update_module(current_context(), module_id, data))


@bp.delete("/api/content/modules/<int:module_id>")
@document("Delete a training module and its items", tags=("content",), description=_COORDINATORS,
          responses={204: None})
@login_required
def api_delete_module(module_id: int) -> tuple[str, int]:
    service.delete_module(current_context(), module_id)
    return "", 204


@bp.post("/api/content/items")
@document(
    "Add an item to a module or a webinar", tags=("content",),
    description=(
        "Coordinators; a webinar's host may add materials to it. A `file` item is sent as a multipart "
        "form with the file in `file`; other items may also be sent as JSON."
    ),
    body=ContentItemUploadSchema, body_kind="multipart", responses={201: ContentItemViewSchema},
    errors=(404,),
)
@accepts_upload("CONTENT_UPLOAD_MAX_BYTES")
@login_required
def api_add_item() -> tuple[Any, int]:
    ctx = current_context()
    data, upload = _item_input()
    item = service.add_item(ctx, data, upload)
    return ContentItemViewSchema().dump(service.ItemView(item, "", False, False)), 201


@bp.get("/api/content/items/<int:item_id>")
@document("Open an item", tags=("content",),
          description="Anyone the item is meant for; opening it counts as viewing it.",
          responses={200: ContentItemViewSchema})
@login_required
def api_item(item_id: int) -> Any:
    """The item; opening it counts as viewing it."""
    return ContentItemViewSchema().dump(service.open_item(current_context(), item_id))


@bp.post("/api/content/items/<int:item_id>/completion")
@document("Mark an item complete", tags=("content",),
          description="Anyone the item is meant for; completing a module's last item may complete it.",
          responses={200: ContentItemViewSchema})
@login_required
def api_complete(item_id: int) -> Any:
    return ContentItemViewSchema().dump(service.complete_item(current_context(), item_id))


@bp.patch("/api/content/items/<int:item_id>")
@document("Change an item", tags=("content",),
          description=f"{_EDITORS} A file is not replaced here: add a new item.",
          body=ContentItemUpdateSchema, responses={200: ContentItemViewSchema})
@login_required
def api_update_item(item_id: int) -> Any:
    data = ContentItemUpdateSchema().load(request.get_json(force=True))
    return ContentItemViewSchema().dump(service.update_item(current_context(), item_id, data))


@bp.delete("/api/content/items/<int:item_id>")
@document("Delete an item", tags=("content",), description=_EDITORS, responses={204: None})
@login_required
def api_delete_item(item_id: int) -> tuple[str, int]:
    service.delete_item(current_context(), item_id)
    return "", 204
