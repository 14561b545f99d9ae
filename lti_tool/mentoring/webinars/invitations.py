"""What people receive about a webinar: ``.ics`` invitations, waiting-list notes, the reminders before
the start (tasks) and the in-app notices.

Every message goes through the notification service (``notifications.service.notify``): it lands in
the person's notifications list, and reaches them by e-mail only as they chose (at once, in the daily
digest, held for quiet hours, or not at all), with the calendar attached and a sign-in link to the
webinar's page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from lti_tool import ics, timezones
from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import NotFound
from lti_tool.i18n import written_for
from lti_tool.identity.context import LaunchContext
from lti_tool.jobs import enqueue
from lti_tool.mentoring.programmes.models import Participant, Programme
from lti_tool.mentoring.webinars.access import viewer
from lti_tool.mentoring.webinars.catalogue import (
    get_webinar,
    registrations_in,
)
from lti_tool.mentoring.webinars.models import (
    RegistrationStatus,
    ReminderKind,
    Webinar,
    WebinarReminder,
    WebinarStatus,
)
from lti_tool.notifications.models import EmailState
from lti_tool.notifications.service import notify

#: The reminder calendars show before a webinar.
ALARM_BEFORE = timedelta(minutes=15)
#: Reminders go out this long before the start, each at most once per person.
REMINDER_OFFSETS: dict[ReminderKind, timedelta] = {
    ReminderKind.DAY_BEFORE: timedelta(hours=24),
    ReminderKind.HOUR_BEFORE: timedelta(hours=1),
}


def _uid(webinar: Webinar) -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "ritmo.invalid"
    return f"webinar-{webinar.id}@{host}"


def _page_url(webinar: Webinar) -> str:
    # Built by hand: jobs (reminders) run outside any request, where url_for cannot.
    return f"{current_app.config['BASE_URL']}/webinars/{webinar.id}"


def calendar_text(
    webinar: Webinar, user: User | None, *, method: str = "REQUEST", cancelled: bool = False
) -> str:
    """The webinar's RFC 5545 text (the join address goes through Ritmo so attendance counts)."""
    organizer_name, organizer_email = parseaddr(current_app.config["MAIL_FROM"])
    if cancelled or webinar.status is WebinarStatus.CANCELLED:
        method = "CANCEL"
    invited = user is not None and user.email and method == "REQUEST"
    event = ics.Event(
        uid=_uid(webinar),
        sequence=webinar.ics_sequence,
        starts_at=webinar.starts_at,
        ends_at=webinar.ends_at,
        summary=webinar.title,
        description=_("Join from your course through Ritmo: %(url)s", url=_page_url(webinar)),
        location=_page_url(webinar),
        url=_page_url(webinar),
        organizer=ics.Person(organizer_email, organizer_name or None) if organizer_email else None,
        attendees=[ics.Person(user.email, user.display_name)] if invited and user and user.email else [],
        alarm_before=ALARM_BEFORE,
    )
    return ics.calendar(event, method=ics.Method(method), stamp=utcnow())


def _zone_for_user(user: User, webinar: Webinar) -> str:
    programme = db.session.get(Programme, webinar.programme_id)
    return timezones.reader_zone_name(
        user.timezone,
        None,
        programme.timezone if programme else webinar.timezone,
        reader_id=user.id,
        entered_zone=webinar.timezone,
        entered_by=webinar.created_by_user_id,
    )


def _tell(
    webinar: Webinar, user: User, kind: str, subject: str, text: str, ics_text: str | None = None
) -> bool:
    """Notify one person about the webinar; whether an e-mail is on its way (now or later)."""
    programme = db.session.get(Programme, webinar.programme_id)
    notification = notify(
        user.id,
        f"webinar.{kind}",
        subject,
        text,
        link=_page_path(webinar),
        ics=ics_text,
        course_id=programme.course_id if programme else None,
    )
    return notification.email_state is not EmailState.SKIPPED


def _page_path(webinar: Webinar) -> str:
    return f"/webinars/{webinar.id}"


def send_invitation(
    webinar: Webinar,
    participant: Participant,
    *,
    update: bool = False,
    cancelled: bool = False,
    promoted: bool = False,
    with_calendar: bool = True,
) -> None:
    user = participant.user
    with written_for(user.locale):  # the message speaks the recipient's language
        when = timezones.display(webinar.starts_at, _zone_for_user(user, webinar))
        if cancelled:
            subject = _("Cancelled: %(title)s", title=webinar.title)
            text = _(
                'The webinar "%(title)s" on %(when)s will not take place for you.',
                title=webinar.title,
                when=when,
            )
        elif promoted:
            subject = _("A seat opened up: %(title)s", title=webinar.title)
            text = _(
                'Good news: you moved from the waiting list to a seat at "%(title)s" on %(when)s.',
                title=webinar.title,
                when=when,
            )
        elif update:
            subject = _("Updated: %(title)s", title=webinar.title)
            text = _(
                'The webinar "%(title)s" changed. It now takes place on %(when)s.',
                title=webinar.title,
                when=when,
            )
        else:
            subject = _("You are registered: %(title)s", title=webinar.title)
            text = _('You are registered for "%(title)s" on %(when)s.', title=webinar.title, when=when)
        calendar = calendar_text(webinar, user, cancelled=cancelled) if with_calendar else None
        kind = "cancelled" if cancelled else "promoted" if promoted else "updated" if update else "invitation"
        _tell(webinar, user, kind, subject, text, calendar)


def send_waitlisted(webinar: Webinar, participant: Participant) -> None:
    user = participant.user
    with written_for(user.locale):
        when = timezones.display(webinar.starts_at, _zone_for_user(user, webinar))
        _tell(
            webinar,
            user,
            "waitlisted",
            _("Waiting list: %(title)s", title=webinar.title),
            _(
                '"%(title)s" on %(when)s is full. You are on the waiting list and will get an invitation '
                "by e-mail if a seat opens up.",
                title=webinar.title,
                when=when,
            ),
        )


def notice_for(webinar: Webinar, participant: Participant, kind: ReminderKind) -> WebinarReminder | None:
    """Record an in-app notice; ``None`` when this (webinar, person, kind) was already sent.

    Reminders are unique per (webinar, person, kind), so a second run or a second worker sends
    nothing. A promotion may happen again after a cancellation and is then shown afresh.
    """
    existing = db.session.execute(
        sa.select(WebinarReminder).where(
            WebinarReminder.webinar_id == webinar.id,
            WebinarReminder.participant_id == participant.id,
            WebinarReminder.kind == kind,
        )
    ).scalar_one_or_none()
    if existing is not None:
        if kind is ReminderKind.PROMOTED:
            existing.sent_at, existing.read_at = utcnow(), None
            return existing
        return None
    notice = WebinarReminder(webinar_id=webinar.id, participant_id=participant.id, kind=kind)
    try:
        with db.session.begin_nested():
            db.session.add(notice)
    except IntegrityError:
        return None  # another worker sent it first
    return notice


def schedule_reminders(webinar: Webinar) -> None:
    now = utcnow()
    stamp = int(webinar.starts_at.timestamp())
    for kind, offset in REMINDER_OFFSETS.items():
        run_at = webinar.starts_at - offset
        if run_at > now:
            enqueue(
                "webinars.remind",
                {"webinar_id": webinar.id, "kind": kind.value, "starts_at": stamp},
                run_at=run_at,
                dedupe_key=f"webinars.remind:{webinar.id}:{kind.value}:{stamp}",
            )


def remind_task(payload: dict[str, Any]) -> None:
    """Scheduled for each webinar and reminder kind; stale when the webinar moved or was cancelled."""
    webinar = db.session.get(Webinar, payload["webinar_id"])
    if webinar is None or int(webinar.starts_at.timestamp()) != payload["starts_at"]:
        return
    send_reminders(webinar, ReminderKind(payload["kind"]))


def sweep_task(payload: dict[str, Any]) -> None:
    """For a periodic scheduler (Celery beat): catch up every reminder that is due."""
    sweep_reminders()


def sweep_reminders(now: datetime | None = None) -> int:
    now = now or utcnow()
    sent = 0
    for kind, offset in REMINDER_OFFSETS.items():
        due = db.session.execute(
            sa.select(Webinar).where(
                Webinar.status == WebinarStatus.SCHEDULED,
                Webinar.starts_at > now,
                Webinar.starts_at <= now + offset,
            )
        ).scalars()
        for webinar in list(due):
            sent += send_reminders(webinar, kind, now=now)
    return sent


def send_reminders(webinar: Webinar, kind: ReminderKind, *, now: datetime | None = None) -> int:
    """Remind everyone with a seat who was not reminded of this kind yet; returns how many."""
    now = now or utcnow()
    if webinar.status is WebinarStatus.CANCELLED or webinar.starts_at <= now:
        return 0
    sent = 0
    for registration in registrations_in(webinar.id, RegistrationStatus.REGISTERED):
        notice = notice_for(webinar, registration.participant, kind)
        if notice is None:
            continue
        user = registration.participant.user
        with written_for(user.locale):
            when = timezones.display(webinar.starts_at, _zone_for_user(user, webinar))
            lead = _("tomorrow") if kind is ReminderKind.DAY_BEFORE else _("in one hour")
            notice.emailed = _tell(
                webinar,
                user,
                f"reminder.{kind.value}",
                _("Reminder: %(title)s starts %(lead)s", title=webinar.title, lead=lead),
                _('"%(title)s" starts on %(when)s.', title=webinar.title, when=when),
            )
        sent += 1
    db.session.flush()
    return sent


def notices(ctx: LaunchContext) -> list[WebinarReminder]:
    """The caller's unread in-app notices (reminders and promotions), newest first."""
    who = viewer(ctx)
    if who.participant is None:
        return []
    return list(
        db.session.execute(
            sa.select(WebinarReminder)
            .join(Webinar, Webinar.id == WebinarReminder.webinar_id)
            .where(
                WebinarReminder.participant_id == who.participant.id,
                WebinarReminder.read_at.is_(None),
                Webinar.status == WebinarStatus.SCHEDULED,
            )
            .order_by(WebinarReminder.sent_at.desc(), WebinarReminder.id.desc())
        ).scalars()
    )


def dismiss_notice(ctx: LaunchContext, notice_id: int) -> None:
    who = viewer(ctx)
    notice = db.session.get(WebinarReminder, notice_id)
    if notice is None or who.participant is None or notice.participant_id != who.participant.id:
        raise NotFound(_("This notice does not exist."))
    notice.read_at = notice.read_at or utcnow()
    db.session.commit()


def invitation_download(ctx: LaunchContext, webinar_id: int) -> tuple[str, str]:
    """(file name, calendar text) for the "add to calendar" link."""
    who = viewer(ctx)
    webinar = get_webinar(who, webinar_id)
    return f"webinar-{webinar.id}.ics", calendar_text(webinar, None, method="PUBLISH")
