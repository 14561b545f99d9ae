"""The e-mails Ritmo sent about a match, in that match's history: each person sees their own.

A notification sent with ``match_id`` (``notifications.service.notify``) whose e-mail went out (at
once, or in a digest) becomes "E-mail sent to you: <subject>" in the timeline of the person it was
sent to; nobody else sees it, and a reader the timeline does not name sees none. An e-mail held for
quiet hours joins when it is sent.

Registered from the conversations feature: notifications is a shared service below the features
and cannot know the timeline.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool.db import db, utcnow
from lti_tool.mentoring.conversations import history
from lti_tool.notifications.models import EmailState, Notification

KIND = "email"
LABELS = {KIND: _l("E-mails sent to you")}
_PREFIX = "email"
_SENT = (EmailState.QUEUED, EmailState.DIGESTED)


def entries(match_id: int, filters: history.HistoryFilters) -> list[history.HistoryEntry]:
    if filters.viewer_user_id is None:
        return []
    query = sa.select(Notification).where(
        Notification.match_id == match_id,
        Notification.user_id == filters.viewer_user_id,
        Notification.email_state.in_(_SENT),
        sa.or_(Notification.email_after.is_(None), Notification.email_after <= utcnow()),
    )
    bound = history.keyset_clause(Notification.created_at, Notification.id, filters, _PREFIX)
    if bound is not None:
        query = query.where(bound)
    if filters.since is not None:
        query = query.where(Notification.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(Notification.created_at < filters.until)
    if filters.q:
        needle = f"%{history.escape_like(filters.q)}%"
        query = query.where(
            sa.or_(
                Notification.subject.ilike(needle, escape="\\"), Notification.text.ilike(needle, escape="\\")
            )
        )
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(filters.limit)
    return [_entry(n) for n in db.session.execute(query).scalars()]


def _entry(n: Notification) -> history.HistoryEntry:
    return history.HistoryEntry(
        at=n.created_at,
        kind=KIND,
        key=history.entry_key(_PREFIX, n.id),
        actor_user_id=None,
        title=_("E-mail sent to you: %(subject)s", subject=n.subject),
        text=n.text,
        link=n.link,
    )


def register() -> None:
    history.register_source("sent_mail", entries, kinds=(KIND,), labels=LABELS)
