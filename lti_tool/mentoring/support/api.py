"""Support's JSON API under ``/api/support``: the same services as the pages, in and out as JSON.

Every answer is dumped through its schema in ``schemas`` (the API's contract).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from lti_tool.api.spec import document
from lti_tool.identity.session import coordinator_required, current_context, login_required
from lti_tool.mentoring.matching import access
from lti_tool.mentoring.support import faq, requests, schemas
from lti_tool.mentoring.support.views import assignee_from
from lti_tool.web import body

bp = Blueprint("support_api", __name__)

TAGS = ("support",)
#: Who reads and answers a request.
PARTIES = (
    "The person who asked, or the programme's support (coordinators and support staff); 404 for anyone else."
)
COORDINATORS = "The course's coordinators."

_request_in = schemas.SupportRequestIn()
_reply_in = schemas.SupportReplyIn()
_assign_in = schemas.SupportAssignIn()
_queue_query = schemas.SupportQueueQuery()
_faq_in = schemas.SupportFaqIn()
_order_in = schemas.SupportFaqOrderIn()
_request_out = schemas.SupportRequestOut()
_requests_out = schemas.SupportRequestListOut()
_full_out = schemas.SupportRequestWithMessagesOut()
_message_out = schemas.SupportMessageOut()
_entry_out = schemas.SupportFaqEntryOut()
_entries_out = schemas.SupportFaqEntryListOut()
_shown_out = schemas.SupportShownEntryListOut()


@bp.get("/api/support/requests")
@document(
    "List my support requests",
    description="The caller's own requests in the course's programme, latest activity first.",
    tags=TAGS,
    responses={200: schemas.SupportRequestListOut},
    errors=(404,),
)
@login_required
def api_mine() -> Any:
    return _requests_out.dump({"requests": requests.my_requests(current_context())})


@bp.post("/api/support/requests")
@document(
    "Open a support request",
    description="A participant of the course's programme asks its support for help, privately; "
    "support is told at once.",
    tags=TAGS,
    body=schemas.SupportRequestIn,
    responses={201: schemas.SupportRequestWithMessagesOut},
    errors=(404,),
)
@login_required
def api_open() -> Any:
    created = requests.open_request(current_context(), **_request_in.load(body()))
    return _full_out.dump(created), 201


@bp.get("/api/support/requests/<int:request_id>")
@document(
    "Read a support request",
    description=PARTIES,
    tags=TAGS,
    responses={200: schemas.SupportRequestWithMessagesOut},
)
@login_required
def api_request(request_id: int) -> Any:
    return _full_out.dump(requests.get_request(current_context(), request_id).request)


@bp.post("/api/support/requests/<int:request_id>/messages")
@document(
    "Write in a support request",
    description=PARTIES + " The requester's message (re)opens the request; support's answers it.",
    tags=TAGS,
    body=schemas.SupportReplyIn,
    responses={201: schemas.SupportMessageOut},
)
@login_required
def api_reply(request_id: int) -> Any:
    message = requests.reply(current_context(), request_id, **_reply_in.load(body()))
    return _message_out.dump(message), 201


@bp.post("/api/support/requests/<int:request_id>/assign")
@document(
    "Give a support request to someone",
    description="The programme's support: to one of its people, or back to the queue.",
    tags=TAGS,
    body=schemas.SupportAssignIn,
    body_required=False,
    responses={200: schemas.SupportRequestOut},
)
@login_required
def api_assign(request_id: int) -> Any:
    ctx = current_context()
    choice = _assign_in.load(body())["assignee"]
    return _request_out.dump(requests.assign(ctx, request_id, assignee_from(ctx, choice)))


@bp.post("/api/support/requests/<int:request_id>/close")
@document(
    "Close a support request",
    description=PARTIES + " A new message from the requester opens it again (409 when already closed). "
    "No body.",
    tags=TAGS,
    responses={200: schemas.SupportRequestOut},
    errors=(409,),
)
@login_required
def api_close(request_id: int) -> Any:
    return _request_out.dump(requests.close(current_context(), request_id))


@bp.get("/api/support/queue")
@document(
    "List the programme's support requests",
    description="The programme's support (404 for anyone else): waiting requests first, the earliest "
    "due first, then the rest.",
    tags=TAGS,
    query=schemas.SupportQueueQuery,
    responses={200: schemas.SupportRequestListOut},
    errors=(404,),
)
@login_required
def api_queue() -> Any:
    status = _queue_query.load(request.args)["status"]
    return _requests_out.dump({"requests": requests.queue(current_context(), status)})


@bp.get("/api/support/faq")
@document(
    "Read the programme's help page",
    description="Everyone in the course's programme: each question in the caller's language, or in the "
    "other one when it has none.",
    tags=TAGS,
    responses={200: schemas.SupportShownEntryListOut},
    errors=(404,),
)
@login_required
def api_faq() -> Any:
    programme = access.current_programme(current_context())
    return _shown_out.dump({"entries": faq.shown(programme)})


@bp.get("/api/support/faq/entries")
@document(
    "List the help page's entries for editing",
    description=COORDINATORS + " Every entry in both languages.",
    tags=TAGS,
    responses={200: schemas.SupportFaqEntryListOut},
    errors=(404,),
)
@coordinator_required
def api_faq_entries() -> Any:
    programme = access.current_programme(current_context())
    return _entries_out.dump({"entries": faq.entries(programme)})


@bp.post("/api/support/faq")
@document(
    "Add a question to the help page",
    description=COORDINATORS + " It goes last on the page.",
    tags=TAGS,
    body=schemas.SupportFaqIn,
    responses={201: schemas.SupportFaqEntryOut},
    errors=(404,),
)
@coordinator_required
def api_faq_create() -> Any:
    return _entry_out.dump(faq.create(current_context(), _faq_in.load(body()))), 201


@bp.patch("/api/support/faq/<int:entry_id>")
@document(
    "Change a question of the help page",
    description=COORDINATORS + " Fields left out keep their value.",
    tags=TAGS,
    body=schemas.SupportFaqIn,
    responses={200: schemas.SupportFaqEntryOut},
)
@coordinator_required
def api_faq_update(entry_id: int) -> Any:
    data = _faq_in.load(body(), partial=True)
    return _entry_out.dump(faq.update(current_context(), entry_id, data))


@bp.delete("/api/support/faq/<int:entry_id>")
@document(
    "Remove a question from the help page",
    description=COORDINATORS,
    tags=TAGS,
    responses={204: None},
)
@coordinator_required
def api_faq_delete(entry_id: int) -> Any:
    faq.delete(current_context(), entry_id)
    return "", 204


@bp.put("/api/support/faq/order")
@document(
    "Reorder the help page",
    description=COORDINATORS + " The body names every entry once, in the new order.",
    tags=TAGS,
    body=schemas.SupportFaqOrderIn,
    responses={200: schemas.SupportFaqEntryListOut},
    errors=(404,),
)
@coordinator_required
def api_faq_order() -> Any:
    ordered = faq.reorder(current_context(), _order_in.load(body())["order"])
    return _entries_out.dump({"entries": ordered})
