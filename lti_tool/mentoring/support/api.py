"""Support's JSON API under ``/api/support``: the same services as the pages, in and out as JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from lti_tool.identity.session import coordinator_required, current_context, login_required
from lti_tool.mentoring.matching import access
from lti_tool.mentoring.support import faq, requests, schemas
from lti_tool.mentoring.support.views import assignee_from
from lti_tool.web import body

bp = Blueprint("support_api", __name__)

_request_in = schemas.RequestIn()
_reply_in = schemas.ReplyIn()
_assign_in = schemas.AssignIn()
_queue_query = schemas.QueueQuery()
_faq_in = schemas.FaqIn()
_order_in = schemas.OrderIn()
_request_out = schemas.RequestOut()
_full_out = schemas.RequestWithMessagesOut()
_message_out = schemas.MessageOut()
_entry_out = schemas.FaqEntryOut()
_shown_out = schemas.ShownEntryOut()


@bp.get("/api/support/requests")
@login_required
def api_mine() -> Any:
    return {"requests": _request_out.dump(requests.my_requests(current_context()), many=True)}


@bp.post("/api/support/requests")
@login_required
def api_open() -> Any:
    created = requests.open_request(current_context(), **_request_in.load(body()))
    return _full_out.dump(created), 201


@bp.get("/api/support/requests/<int:request_id>")
@login_required
def api_request(request_id: int) -> Any:
    return _full_out.dump(requests.get_request(current_context(), request_id).request)


@bp.post("/api/support/requests/<int:request_id>/messages")
@login_required
def api_reply(request_id: int) -> Any:
    message = requests.reply(current_context(), request_id, **_reply_in.load(body()))
    return _message_out.dump(message), 201


@bp.post("/api/support/requests/<int:request_id>/assign")
@login_required
def api_assign(request_id: int) -> Any:
    ctx = current_context()
    choice = _assign_in.load(body())["assignee"]
    return _request_out.dump(requests.assign(ctx, request_id, assignee_from(ctx, choice)))


@bp.post("/api/support/requests/<int:request_id>/close")
@login_required
def api_close(request_id: int) -> Any:
    return _request_out.dump(requests.close(current_context(), request_id))


@bp.get("/api/support/queue")
@login_required
def api_queue() -> Any:
    status = _queue_query.load(request.args)["status"]
    return {"requests": _request_out.dump(requests.queue(current_context(), status), many=True)}


@bp.get("/api/support/faq")
@login_required
def api_faq() -> Any:
    programme = access.current_programme(current_context())
    return {"entries": _shown_out.dump(faq.shown(programme), many=True)}


@bp.get("/api/support/faq/entries")
@coordinator_required
def api_faq_entries() -> Any:
    programme = access.current_programme(current_context())
    return {"entries": _entry_out.dump(faq.entries(programme), many=True)}


@bp.post("/api/support/faq")
@coordinator_required
def api_faq_create() -> Any:
    return _entry_out.dump(faq.create(current_context(), _faq_in.load(body()))), 201


@bp.patch("/api/support/faq/<int:entry_id>")
@coordinator_required
def api_faq_update(entry_id: int) -> Any:
    data = _faq_in.load(body(), partial=True)
    return _entry_out.dump(faq.update(current_context(), entry_id, data))


@bp.delete("/api/support/faq/<int:entry_id>")
@coordinator_required
def api_faq_delete(entry_id: int) -> Any:
    faq.delete(current_context(), entry_id)
    return "", 204


@bp.put("/api/support/faq/order")
@coordinator_required
def api_faq_order() -> Any:
    ordered = faq.reorder(current_context(), _order_in.load(body())["order"])
    return {"entries": _entry_out.dump(ordered, many=True)}
