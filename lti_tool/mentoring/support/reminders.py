"""Reminders that keep the response-time target: once when it is about to be missed, once when missed.

A periodic task looks at the requests waiting for an answer. When a quarter of the target is left
(:data:`WARN_SHARE`), the assignee is reminded (everyone in support when nobody has it yet); when the
target has passed, the assignee and the coordinators are told. Each reminder is stamped on the request,
so it goes once per wait; support's reply ends the wait, the requester's next message starts a new one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lti_tool.db import db, utcnow
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.support import staff
from lti_tool.mentoring.support.models import RequestStatus, SupportRequest
from lti_tool.mentoring.support.requests import NOTIFICATION_KIND, request_link
from lti_tool.notifications import service as notifications

REMINDER_TASK = "support.reminders"
#: Warn when this share of the target is left.
WARN_SHARE = 0.25


def remind_task(payload: dict[str, Any]) -> None:
    """For the periodic scheduler: send the reminders that are due."""
    send_reminders()


def send_reminders(now: datetime | None = None) -> int:
    """Send every due reminder once; returns how many requests were reminded about."""
    now = now or utcnow()
    waiting = db.session.execute(
        sa.select(SupportRequest, Programme)
        .join(Programme, Programme.id == SupportRequest.programme_id)
        .where(
            SupportRequest.status == RequestStatus.OPEN,
            SupportRequest.due_at.is_not(None),
            SupportRequest.overdue_at.is_(None),
        )
        .order_by(SupportRequest.id)
    ).all()
    sent = 0
    for request, programme in waiting:
        assert request.due_at is not None
        if request.due_at <= now:
            _missed(request, now)
            sent += 1
        elif request.warned_at is None and request.due_at - now <= _warn_window(programme):
            _about_to_miss(request, now)
            sent += 1
    db.session.commit()
    return sent


def _warn_window(programme: Programme) -> timedelta:
    return timedelta(hours=staff.response_hours(programme) * WARN_SHARE)


def _about_to_miss(request: SupportRequest, now: datetime) -> None:
    assert request.due_at is not None
    hours_left = max(1, round((request.due_at - now).total_seconds() / 3600))
    audience = (
        [request.assignee_user_id]
        if request.assignee_user_id is not None
        else staff.support_user_ids(request.programme_id)
    )
    for user_id in audience:
        notifications.notify(
            user_id,
            NOTIFICATION_KIND,
            _l("Support request waiting: “%(subject)s”", subject=request.subject),
            _l(
                "The answer is due within %(hours)d hours. Answer it, or give it to someone who can.",
                hours=hours_left,
            ),
            link=request_link(request.id),
        )
    request.warned_at = now


def _missed(request: SupportRequest, now: datetime) -> None:
    audience = staff.coordinator_user_ids(request.programme_id)
    if request.assignee_user_id is not None and request.assignee_user_id not in audience:
        audience.insert(0, request.assignee_user_id)
    for user_id in audience:
        notifications.notify(
            user_id,
            NOTIFICATION_KIND,
            _l("Support request past its response time: “%(subject)s”", subject=request.subject),
            _l("The person who asked is still waiting for an answer. Answer it now, or assign it."),
            link=request_link(request.id),
        )
    request.overdue_at = now
    if request.warned_at is None:
        request.warned_at = now  # no "about to be missed" after the fact
