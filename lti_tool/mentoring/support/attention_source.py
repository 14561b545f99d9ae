"""Open support requests on the coordinator's attention list, with what a coordinator can do there:
take the request, open it to answer, or close it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool.errors import NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.attention.registry import Action, Item, register_source
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.support import requests
from lti_tool.mentoring.support.models import SupportRequest

SOURCE = "support_requests"
LABEL = _l("Open support requests")


def items(programme: Programme, now: datetime) -> list[Item]:
    """Every request that waits for support's answer; past its target is urgent."""
    waiting = requests.open_requests(programme.id)
    people = requests.names([r.requester_user_id for r in waiting] + [r.assignee_user_id for r in waiting])
    return [_item(r, people, now) for r in waiting]


def _item(request: SupportRequest, people: dict[int, str], now: datetime) -> Item:
    who = people.get(request.requester_user_id, "?")
    late = request.due_at is not None and request.due_at <= now
    if late:
        reason = _("%(who)s has waited past the response time.", who=who)
    else:
        reason = _("%(who)s is waiting for an answer.", who=who)
    if request.assignee_user_id is not None:
        reason += " " + _("Assigned to %(name)s.", name=people.get(request.assignee_user_id, "?"))
    else:
        reason += " " + _("Nobody has taken it yet.")
    link = requests.request_link(request.id)
    return Item(
        source=SOURCE,
        key=f"request:{request.id}",
        title=request.subject,
        reason=reason,
        since=request.last_message_at,
        severity=2 if late else 1,
        actions=(
            Action("assign", _("Assign to me")),
            Action("answer", _("Answer"), url=link),
            Action("close", _("Close"), destructive=True),
        ),
        link=link,
        match_id=request.match_id,
    )


def act(ctx: LaunchContext, programme: Programme, key: str, action: str, form: Mapping[str, str]) -> str:
    prefix, _sep, raw_id = key.partition(":")
    if prefix != "request" or not raw_id.isdigit():
        raise NotFound(_("This support request does not exist or is not yours. Go back to the help page."))
    request_id = int(raw_id)
    if action == "assign":
        request = requests.assign(ctx, request_id, ctx.user_id)
        return _("“%(subject)s” is yours now.", subject=request.subject)
    if action == "close":
        request = requests.close(ctx, request_id)
        return _("“%(subject)s” is closed.", subject=request.subject)
    raise NotFound(_("This action does not exist. Reload the attention list."))


def register() -> None:
    register_source(SOURCE, items, act, label=LABEL)
