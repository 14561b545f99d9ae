"""Send a nudge: one concrete next step for one person, at most :data:`WEEKLY_LIMIT` a week.

Every feature that reminds people (rhythm, milestones and goals, profiles, support) goes through
:func:`send_nudge`, so the limit holds across kinds. The count and the insert happen under one
lock per person (the person's row, locked on PostgreSQL; SQLite has one writer at a time and the
row is inserted before counting), and a unique ``(user_id, dedupe_key)`` keeps a reminder from
being sent twice. The message itself goes through :func:`lti_tool.notifications.service.notify`,
which writes it in the person's language and follows their e-mail preferences.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from sqlalchemy.exc import IntegrityError

from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import NotFound
from lti_tool.i18n import written_for
from lti_tool.mentoring.nudges.models import Nudge
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.notifications.service import SUBJECT_MAX, notify

WEEKLY_LIMIT = 2
WINDOW = timedelta(days=7)

__all__ = ["WEEKLY_LIMIT", "Nudge", "allowance", "send_nudge", "sent_in_window"]


class _OverLimit(Exception):
    """Raised inside the savepoint to undo the row that went over the limit."""


def sent_in_window(user_id: int, now: datetime) -> int:
    """Nudges this person received in the rolling week ending at ``now``.

    Rows stamped after ``now`` count too: another worker that took the lock after this one read
    the clock has stamped its nudge a moment later, and it is within the week all the same.
    """
    return int(
        db.session.execute(
            sa.select(sa.func.count(Nudge.id)).where(Nudge.user_id == user_id, Nudge.sent_at > now - WINDOW)
        ).scalar_one()
    )


def allowance(user_id: int, now: datetime) -> int:
    """Nudges this person may still receive now."""
    return max(0, WEEKLY_LIMIT - sent_in_window(user_id, now))


def already_sent(user_id: int, dedupe_key: str) -> bool:
    return (
        db.session.execute(
            sa.select(Nudge.id).where(Nudge.user_id == user_id, Nudge.dedupe_key == dedupe_key)
        ).first()
        is not None
    )


def send_nudge(
    *,
    programme: Programme,
    user_id: int,
    kind: str,
    subject: LazyString,
    text: LazyString,
    action_label: LazyString,
    action_link: str,
    match_id: int | None = None,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> Nudge | None:
    """Record and send one nudge; None when over the weekly limit or ``dedupe_key`` was sent.

    Joins the caller's transaction (the caller commits). Pass lazy strings: they are written in
    the recipient's language. Every nudge with a ``match_id`` appears in that match's history.
    """
    now = now or utcnow()
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("This person does not exist in Ritmo."))
    if dedupe_key is not None and already_sent(user_id, dedupe_key):
        return None
    if allowance(user_id, now) <= 0:
        return None  # the cheap answer; the locked count below is the one that decides
    with written_for(user.locale):
        subject_text, body, label = str(subject), str(text), str(action_label)
        next_step = _("Next step: %(action)s", action=label)
    message = f"{body}\n\n{next_step}"
    try:
        with db.session.begin_nested():
            _lock_person(user_id)
            nudge = Nudge(
                programme_id=programme.id,
                match_id=match_id,
                user_id=user_id,
                kind=kind,
                dedupe_key=dedupe_key,
                subject=subject_text[:SUBJECT_MAX],
                text=body,
                action_label=label[:255],
                action_link=action_link,
                sent_at=now,
            )
            db.session.add(nudge)
            db.session.flush()
            if sent_in_window(user_id, now) > WEEKLY_LIMIT:
                raise _OverLimit
            notification = notify(
                user_id,
                f"nudge.{kind}",
                subject_text,
                message,
                link=action_link,
                course_id=programme.course_id,
            )
            db.session.flush()
            nudge.notification_id = notification.id
    except (_OverLimit, IntegrityError):
        return None  # over the limit, or another worker sent this reminder a moment ago
    return nudge


def _lock_person(user_id: int) -> None:
    """Serialise nudges to one person: two workers must not both see room for one more.

    On PostgreSQL the person's row is locked until commit. SQLite has one writer at a time: the
    nudge row is inserted before counting, so the count already waits for any other writer (a read
    here would only open a snapshot that the insert could not upgrade).
    """
    if db.session.get_bind().dialect.name != "sqlite":
        db.session.execute(sa.select(User.id).where(User.id == user_id).with_for_update())
