"""Support requests: opening one, the thread of replies, assignment, closing, and who may see them.

A request is private: only its requester and the programme's support (coordinators and named staff)
see it; anyone else gets the same 404 as for a request that does not exist. Messages are cleaned
and rendered exactly like posts. Every reply tells the other side; the requester's message starts
the response-time clock, support's reply stops it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool import text as usertext
from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, InvalidInput, NotFound
from lti_tool.events import DomainEvent, emit
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.conversations.cleaning import POST_MAX, clean_body, clean_links, clean_title
from lti_tool.mentoring.matching import access
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.programmes.service import require_participant
from lti_tool.mentoring.support import staff
from lti_tool.mentoring.support.models import RequestStatus, SupportMessage, SupportRequest
from lti_tool.notifications import service as notifications

NOTIFICATION_KIND = "support"


@dataclass
class RequestAccess:
    """A request as one caller may see it."""

    request: SupportRequest
    programme: Programme
    is_support: bool
    is_requester: bool


def request_link(request_id: int) -> str:
    return f"/support/requests/{request_id}"


def open_request(
    ctx: LaunchContext,
    *,
    subject: str,
    body: str,
    links: Sequence[dict[str, Any]] | None = None,
    match_id: int | None = None,
) -> SupportRequest:
    """Ask the programme's support for help, privately, optionally about one's own match."""
    programme = access.current_programme(ctx)
    require_participant(ctx, programme)
    subject = clean_title(subject, "subject")  # as long as a topic's title at most: SUBJECT_MAX
    body = clean_body(body, POST_MAX)
    cleaned_links = clean_links(links)
    if match_id is not None:
        _require_own_match(ctx, programme, match_id)
    now = utcnow()
    request = SupportRequest(
        programme_id=programme.id,
        requester_user_id=ctx.user_id,
        match_id=match_id,
        subject=subject,
        status=RequestStatus.OPEN,
        created_at=now,
        last_message_at=now,
        due_at=now + timedelta(hours=staff.response_hours(programme)),
    )
    db.session.add(request)
    db.session.flush()
    message = _add_message(request, ctx.user_id, body, cleaned_links, from_support=False, now=now)
    who = _name(ctx.user_id)
    for user_id in staff.support_user_ids(programme.id):
        if user_id != ctx.user_id:
            notifications.notify(
                user_id,
                NOTIFICATION_KIND,
                _l("%(who)s asked for help: “%(subject)s”", who=who, subject=subject),
                usertext.excerpt(message.body, 400),
                html=message.body_html,
                link=request_link(request.id),
            )
    emit(DomainEvent("support.request_opened", programme.id, match_id=match_id,
                     actor_user_id=ctx.user_id, data={"request_id": request.id}))
    db.session.commit()
    return request


def _require_own_match(ctx: LaunchContext, programme: Programme, match_id: int) -> None:
    """Only a match the requester belongs to (coordinators are not requesters of matches)."""
    mine = {m.id for m in access.my_matches(programme.id, ctx.user_id)}
    if match_id not in mine:
        raise InvalidInput(errors={"match_id": [_("Choose one of your own matches, or none.")]})


def get_request(ctx: LaunchContext, request_id: int) -> RequestAccess:
    """The request if the caller asked it or answers the programme's support; else 404."""
    programme = access.current_programme(ctx)
    request = db.session.get(SupportRequest, request_id)
    if request is None or request.programme_id != programme.id:
        raise _missing()
    is_requester = request.requester_user_id == ctx.user_id
    is_support = staff.is_support(ctx, programme)
    if not (is_requester or is_support):
        raise _missing()
    return RequestAccess(request, programme, is_support, is_requester)


def _missing() -> NotFound:
    return NotFound(_("This support request does not exist or is not yours. Go back to the help page."))


def reply(
    ctx: LaunchContext, request_id: int, *, body: str, links: Sequence[dict[str, Any]] | None = None
) -> SupportMessage:
    """Add a message; the requester's (re)opens the request, support's answers it."""
    found = get_request(ctx, request_id)
    request = found.request
    body = clean_body(body, POST_MAX)
    cleaned_links = clean_links(links)
    now = utcnow()
    # The requester's own words are always the requester's, even when they also answer support.
    from_support = not found.is_requester
    message = _add_message(request, ctx.user_id, body, cleaned_links, from_support=from_support, now=now)
    if from_support:
        _answered(request)
        if request.assignee_user_id is None:
            request.assignee_user_id = ctx.user_id
        audience = [request.requester_user_id]
        subject = _l("Support answered “%(subject)s”", subject=request.subject)
    else:
        if request.status is not RequestStatus.OPEN:
            _reopen(request, found.programme, now)
        audience = (
            [request.assignee_user_id]
            if request.assignee_user_id is not None
            else staff.support_user_ids(found.programme.id)
        )
        subject = _l("%(who)s wrote about “%(subject)s”", who=_name(ctx.user_id), subject=request.subject)
    for user_id in audience:
        if user_id != ctx.user_id:
            notifications.notify(
                user_id,
                NOTIFICATION_KIND,
                subject,
                usertext.excerpt(message.body, 400),
                html=message.body_html,
                link=request_link(request.id),
            )
    db.session.commit()
    return message


def _add_message(
    request: SupportRequest,
    author_user_id: int,
    body: str,
    links: list[dict[str, str]],
    *,
    from_support: bool,
    now: datetime,
) -> SupportMessage:
    message = SupportMessage(
        request_id=request.id,
        author_user_id=author_user_id,
        from_support=from_support,
        body=body,
        body_html=usertext.render_markdown(body),
        links=links,
        created_at=now,
    )
    db.session.add(message)
    request.last_message_at = now
    db.session.flush()
    return message


def _answered(request: SupportRequest) -> None:
    request.status = RequestStatus.ANSWERED
    request.due_at = request.warned_at = request.overdue_at = request.closed_at = None


def _reopen(request: SupportRequest, programme: Programme, now: datetime) -> None:
    """A new wait starts: a fresh target, and reminders that may be sent again for it."""
    request.status = RequestStatus.OPEN
    request.due_at = now + timedelta(hours=staff.response_hours(programme))
    request.warned_at = request.overdue_at = request.closed_at = None


def assign(ctx: LaunchContext, request_id: int, assignee_user_id: int | None) -> SupportRequest:
    """Give the request to one of the programme's support people (or back to the queue: None)."""
    found = get_request(ctx, request_id)
    if not found.is_support:
        raise _missing()
    request = found.request
    if assignee_user_id is not None and not (
        staff.is_support_user(found.programme.id, assignee_user_id)
        or (assignee_user_id == ctx.user_id and ctx.is_coordinator)
    ):
        raise InvalidInput(errors={"assignee_user_id": [_("Choose a coordinator or support staff member.")]})
    request.assignee_user_id = assignee_user_id
    if assignee_user_id is not None and assignee_user_id != ctx.user_id:
        notifications.notify(
            assignee_user_id,
            NOTIFICATION_KIND,
            _l(
                "%(who)s gave you a support request: “%(subject)s”",
                who=_name(ctx.user_id),
                subject=request.subject,
            ),
            _l("Answer it from Ritmo's support page."),
            link=request_link(request.id),
        )
    db.session.commit()
    return request


def close(ctx: LaunchContext, request_id: int) -> SupportRequest:
    """Close the request (its requester or support); a new message from the requester reopens it."""
    found = get_request(ctx, request_id)
    request = found.request
    if request.status is RequestStatus.CLOSED:
        raise Conflict(_("This request is closed already. Write a new message to open it again."))
    request.status = RequestStatus.CLOSED
    request.closed_at = utcnow()
    request.due_at = request.warned_at = request.overdue_at = None
    if not found.is_requester:
        notifications.notify(
            request.requester_user_id,
            NOTIFICATION_KIND,
            _l("Support closed “%(subject)s”", subject=request.subject),
            _l("Write in the request again if you still need help."),
            link=request_link(request.id),
        )
    db.session.commit()
    return request


def my_requests(ctx: LaunchContext) -> list[SupportRequest]:
    """The caller's own requests in the current programme, latest activity first."""
    programme = access.current_programme(ctx)
    return list(
        db.session.execute(
            sa.select(SupportRequest)
            .where(
                SupportRequest.programme_id == programme.id, SupportRequest.requester_user_id == ctx.user_id
            )
            .order_by(SupportRequest.last_message_at.desc(), SupportRequest.id.desc())
        ).scalars()
    )


def queue(ctx: LaunchContext, status: RequestStatus | None = None) -> list[SupportRequest]:
    """The programme's requests for support: waiting ones first (oldest target first), then the rest."""
    programme = access.current_programme(ctx)
    if not staff.is_support(ctx, programme):
        raise NotFound(_("This page is for the programme's support. Go back to the help page."))
    query = sa.select(SupportRequest).where(SupportRequest.programme_id == programme.id)
    if status is not None:
        query = query.where(SupportRequest.status == status)
    waiting_first = sa.case((SupportRequest.status == RequestStatus.OPEN, 0), else_=1)
    return list(
        db.session.execute(
            query.order_by(waiting_first, SupportRequest.due_at, SupportRequest.last_message_at.desc())
        ).scalars()
    )


def open_requests(programme_id: int) -> list[SupportRequest]:
    """Requests that wait for support's answer, oldest target first (the attention list)."""
    return list(
        db.session.execute(
            sa.select(SupportRequest)
            .where(SupportRequest.programme_id == programme_id, SupportRequest.status == RequestStatus.OPEN)
            .order_by(SupportRequest.due_at, SupportRequest.id)
        ).scalars()
    )


def names(user_ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {i for i in user_ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(User).where(User.id.in_(wanted))).scalars()
    return {u.id: u.display_name for u in rows}


def my_match_choices(ctx: LaunchContext) -> list[tuple[int, str]]:
    """The caller's matches a request may be about, with the partner's names."""
    programme = access.current_programme(ctx)
    choices = []
    for match in access.my_matches(programme.id, ctx.user_id):
        people = _match_people(match)
        others = [name for user_id, name in people.items() if user_id != ctx.user_id]
        choices.append((match.id, ", ".join(others) or _("match %(id)d", id=match.id)))
    return choices


def _match_people(match: Match) -> dict[int, str]:
    ids = [match.mentor.user_id, *(member.mentee.user_id for member in match.members)]
    return names(ids)


def _name(user_id: int) -> str:
    user = db.session.get(User, user_id)
    return user.display_name if user else str(_l("Someone"))
