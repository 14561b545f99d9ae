"""Support exchanges in a relationship's history, for the requester and support only.

A request opened about a match adds its messages to that match's timeline. The partner never sees
them: the source answers only a reader who asked the request or answers the programme's support,
and nothing at all when the reader is unknown.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool.db import db
from lti_tool.mentoring.conversations import history
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.support import staff
from lti_tool.mentoring.support.models import SupportMessage, SupportRequest
from lti_tool.mentoring.support.requests import request_link

KIND = "support"
LABELS = {KIND: _l("support request")}


def support_entries(match_id: int, filters: history.HistoryFilters) -> list[history.HistoryEntry]:
    viewer = filters.viewer_user_id
    if viewer is None:
        return []
    programme_id = db.session.execute(sa.select(Match.programme_id).where(Match.id == match_id)).scalar()
    if programme_id is None:
        return []
    query = (
        sa.select(SupportMessage, SupportRequest)
        .join(SupportRequest, SupportRequest.id == SupportMessage.request_id)
        .where(SupportRequest.match_id == match_id)
    )
    if not staff.is_support_user(programme_id, viewer):
        query = query.where(SupportRequest.requester_user_id == viewer)
    bound = history.keyset_clause(SupportMessage.created_at, SupportMessage.id, filters, KIND)
    if bound is not None:
        query = query.where(bound)
    if filters.since is not None:
        query = query.where(SupportMessage.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(SupportMessage.created_at < filters.until)
    if filters.q:
        like = f"%{history.escape_like(filters.q)}%"
        query = query.where(
            sa.or_(
                SupportMessage.body.ilike(like, escape="\\"), SupportRequest.subject.ilike(like, escape="\\")
            )
        )
    rows = db.session.execute(
        query.order_by(SupportMessage.created_at.desc(), SupportMessage.id.desc()).limit(filters.limit)
    ).all()
    return [
        history.HistoryEntry(
            at=message.created_at,
            kind=KIND,
            key=history.entry_key(KIND, message.id),
            actor_user_id=message.author_user_id,
            title=_("Support request: %(subject)s", subject=request.subject),
            text=message.body,
            html=message.body_html,
            link=request_link(request.id),
            data={
                "request_id": request.id,
                "message_id": message.id,
                "from_support": message.from_support,
                "links": message.links,
            },
        )
        for message, request in rows
    ]


def register() -> None:
    history.register_source("support", support_entries, kinds=(KIND,), labels=LABELS)
