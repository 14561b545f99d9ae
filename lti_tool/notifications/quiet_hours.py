"""Quiet hours: the part of a person's day when Ritmo holds their immediate e-mails.

A person sets a start and an end, wall-clock times in their own zone (``User.timezone``, as their
pages show times; UTC when Ritmo does not know it). An immediate e-mail whose moment falls between
them is composed at once, in their language, and handed to the mail job to run when the quiet hours
end; the in-app notification is written at once. A start later than the end spans midnight
(22:00-07:00).

Nobody has quiet hours until they choose them: many LMSs do not tell Ritmo a person's time zone,
and a default that silently delays mail by a guessed zone would surprise more people than it
spares. The settings page suggests :data:`SUGGESTED` when the person turns them on.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import timezones
from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import InvalidInput
from lti_tool.jobs.models import Job, JobState
from lti_tool.mail import SEND_TASK
from lti_tool.notifications.models import DEFAULT_MODE, EmailPreference, EmailState, Notification

SUGGESTED = (time(22, 0), time(7, 0))


def held_mail_key(notification_id: int) -> str:
    """The mail job's dedupe key for a held e-mail, so it can be called off."""
    return f"notification-held:{notification_id}"


def hours_of(user_id: int) -> tuple[time, time] | None:
    pref = db.session.get(EmailPreference, user_id)
    if pref is None or pref.quiet_start is None or pref.quiet_end is None:
        return None
    return pref.quiet_start, pref.quiet_end


def zone_name(user: User) -> str:
    return timezones.shown_zone_name(user.timezone)


def release_at(user: User, now: datetime | None = None) -> datetime | None:
    """When quiet hours that hold ``now`` end (UTC), or None when ``now`` is not in them."""
    hours = hours_of(user.id)
    if hours is None:
        return None
    return quiet_end_after(hours, zone_name(user), now or utcnow())


def quiet_end_after(hours: tuple[time, time], zone: str, now: datetime) -> datetime | None:
    """The end of the quiet period (``hours`` in ``zone``) holding ``now``, or None."""
    start, end = hours
    if start == end:
        return None
    local = timezones.in_zone(now, zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= clock < end
        end_day = local.date()
    else:  # spans midnight
        inside = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    ends = datetime.combine(end_day, end, tzinfo=local.tzinfo)
    return ends.astimezone(UTC)


def set_hours(user_id: int, hours: tuple[time, time] | None) -> EmailPreference:
    """Turn quiet hours on (start, end) or off (None). Mail already held keeps its time."""
    if hours is not None and hours[0] == hours[1]:
        raise InvalidInput(
            _("Quiet hours need different start and end times."),
            errors={"quiet_end": [_("Choose an end time other than the start time.")]},
        )
    pref = db.session.get(EmailPreference, user_id)
    if pref is None:
        pref = EmailPreference(user_id=user_id, mode=DEFAULT_MODE)
        db.session.add(pref)
    pref.quiet_start, pref.quiet_end = hours if hours is not None else (None, None)
    db.session.commit()
    return pref


def call_off_held(user_id: int) -> int:
    """Held e-mails of the person are not sent after all (they turned e-mail off); returns how many."""
    now = utcnow()
    held = list(
        db.session.execute(
            sa.select(Notification.id).where(
                Notification.user_id == user_id,
                Notification.email_state == EmailState.QUEUED,
                Notification.email_after > now,
            )
        ).scalars()
    )
    if not held:
        return 0
    db.session.execute(
        sa.delete(Job).where(
            Job.task == SEND_TASK,
            Job.state == JobState.QUEUED,
            Job.dedupe_key.in_([held_mail_key(i) for i in held]),
        )
    )
    db.session.execute(
        sa.update(Notification).where(Notification.id.in_(held)).values(email_state=EmailState.SKIPPED)
    )
    return len(held)
