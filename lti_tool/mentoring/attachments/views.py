"""Posts' attachments: upload (JSON API and the thread page's form), download, removal."""

from __future__ import annotations

from typing import IO, Any

from flask import Blueprint, Response, request, send_file
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from lti_tool.api.spec import document
from lti_tool.errors import InvalidInput
from lti_tool.identity.session import current_context, login_required
from lti_tool.limits import accepts_upload
from lti_tool.mentoring.attachments import schemas, service
from lti_tool.mentoring.content import uploads
from lti_tool.web import back_to

bp = Blueprint("attachments", __name__)


_attachment_out = schemas.AttachmentsAttachmentOut()


def _upload() -> tuple[IO[bytes], str]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput(_("Choose a file to attach."), errors={"file": [_("Choose a file to attach.")]})
    return upload.stream, upload.filename


@bp.post("/api/posts/<int:post_id>/attachments")
@document(
    "Attach a file to a post",
    description="The post's author, in a match space they may write in; at most "
    f"{service.MAX_PER_POST} files a post (409 beyond, or on a deleted post). The file's type is "
    "named by its extension and confirmed by its first bytes; only the match's members download it.",
    tags=("attachments",),
    body=schemas.AttachmentsUploadIn,
    body_kind="multipart",
    responses={201: schemas.AttachmentsAttachmentOut},
    errors=(409,),
)
@accepts_upload("CONTENT_UPLOAD_MAX_BYTES")
@login_required
def api_attach(post_id: int) -> tuple[dict[str, Any], int]:
    stream, name = _upload()
    return _attachment_out.dump(service.attach(current_context(), post_id, stream, name)), 201


@bp.post("/posts/<int:post_id>/attachments")
@accepts_upload("CONTENT_UPLOAD_MAX_BYTES")
@login_required
def attach_form(post_id: int) -> BaseResponse:
    stream, name = _upload()
    row = service.attach(current_context(), post_id, stream, name)
    return back_to("conversations.thread_page", thread_id=row.thread_id, _anchor=f"post-{row.post_id}")


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Response:
    """Always a download, never rendered in Ritmo's origin, and never cached."""
    row = service.for_download(current_context(), attachment_id)
    response = send_file(
        uploads.path_for(row.storage_name, service.FOLDER),
        mimetype=row.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=row.file_name or "file",
        max_age=0,
        etag=False,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@bp.delete("/api/attachments/<int:attachment_id>")
@document(
    "Remove a file from a post",
    description="The person who attached it.",
    tags=("attachments",),
    responses={204: None},
)
@login_required
def api_remove(attachment_id: int) -> tuple[str, int]:
    service.remove(current_context(), attachment_id)
    return "", 204


@bp.post("/attachments/<int:attachment_id>/delete")
@login_required
def remove_form(attachment_id: int) -> BaseResponse:
    row = service.remove(current_context(), attachment_id)
    return back_to("conversations.thread_page", thread_id=row.thread_id, _anchor=f"post-{row.post_id}")
