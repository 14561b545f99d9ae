"""Webinar rules: scheduling (with weekly series across summer-time changes), registration with a
waiting list, invitations and reminders, attendance (join link, corrections, CSV import), the content
page after the session, and placement in the course.

Coordinators schedule; a webinar's host manages their own webinar (details, attendance, materials).
Participants see the webinars meant for their role.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import IO, Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from lti_tool import audit, ics
from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, Forbidden, InvalidInput, NotFound, RitmoError
from lti_tool.events import DomainEvent, emit
from lti_tool.i18n import written_for
from lti_tool.identity.context import LaunchContext
from lti_tool.jobs import enqueue, task
from lti_tool.mail import send_email
from lti_tool.mentoring.content import service as content
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus
from lti_tool.mentoring.programmes.service import participant_for
from lti_tool.mentoring.webinars import providers, timezones
from lti_tool.mentoring.webinars.access import Viewer, viewer
from lti_tool.mentoring.webinars.models import (
    AttendanceSource,
    RegistrationStatus,
    ReminderKind,
    Webinar,
    WebinarRegistration,
    WebinarReminder,
    WebinarStatus,
)
from lti_tool.safety import urls
from lti_tool.text import render_markdown

#: The room opens this long before the start (people test their microphones).
JOIN_OPENS_BEFORE = timedelta(minutes=15)
#: The reminder calendars show before a webinar.
ALARM_BEFORE = timedelta(minutes=15)
#: Reminders go out this long before the start, each at most once per person.
REMINDER_OFFSETS: dict[ReminderKind, timedelta] = {
    ReminderKind.DAY_BEFORE: timedelta(hours=24),
    ReminderKind.HOUR_BEFORE: timedelta(hours=1),
}
MAX_SERIES_OCCURRENCES = 26
CSV_MAX_BYTES = 1024 * 1024
CSV_MAX_ROWS = 5000
CSV_EMAIL_COLUMNS = ("email", "e-mail", "user email", "attendee email", "email address")
CSV_ID_COLUMNS = ("user_id", "lms user id", "sub")
CSV_ATTENDED_COLUMN = "attended"
CSV_TRUE = {"yes", "y", "true", "1", "x", "attended", "present"}
CSV_FALSE = {"no", "n", "false", "0", "absent", ""}


# --- reading -----------------------------------------------------------------------------------


@dataclass
class WebinarView:
    """A webinar as one person sees it: times in their zone, their place, what they may do."""

    webinar: Webinar
    zone: str
    starts_local: datetime
    ends_local: datetime
    starts_text: str
    registration: WebinarRegistration | None
    waitlist_position: int | None
    seats_taken: int
    can_manage: bool
    viewer_is_coordinator: bool
    join_open: bool
    has_ended: bool
    description_html: str = ""
    recording_embed_url: str | None = None
    materials: list[content.ItemView] = field(default_factory=list)
    registrations: list[WebinarRegistration] = field(default_factory=list)

    @property
    def seats_left(self) -> int | None:
        cap = self.webinar.capacity
        return None if cap is None else max(0, cap - self.seats_taken)


def display_zone(who: Viewer) -> str:
    """The zone a person reads times in: theirs from the LMS, else the programme's."""
    return timezones.valid_or(who.user.timezone, timezones.valid_or(who.programme.timezone, "UTC"))


def _can_manage(who: Viewer, webinar: Webinar) -> bool:
    return who.is_coordinator or webinar.host_user_id == who.user_id


def _get(who: Viewer, webinar_id: int) -> Webinar:
    webinar = db.session.get(Webinar, webinar_id)
    if webinar is None or webinar.programme_id != who.programme.id:
        raise NotFound(_("This webinar does not exist in your programme."))
    if not _can_manage(who, webinar) and not webinar.audience.includes(who.role):
        raise NotFound(_("This webinar does not exist in your programme."))
    return webinar


def _registration(webinar_id: int, participant_id: int) -> WebinarRegistration | None:
    return db.session.execute(
        sa.select(WebinarRegistration).where(
            WebinarRegistration.webinar_id == webinar_id,
            WebinarRegistration.participant_id == participant_id,
        )
    ).scalar_one_or_none()


def _seats_taken(webinar_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).where(
            WebinarRegistration.webinar_id == webinar_id,
            WebinarRegistration.status == RegistrationStatus.REGISTERED,
        )
    ).scalar_one()


def _waitlist_position(registration: WebinarRegistration) -> int:
    ahead = db.session.execute(
        sa.select(sa.func.count()).where(
            WebinarRegistration.webinar_id == registration.webinar_id,
            WebinarRegistration.status == RegistrationStatus.WAITLISTED,
            sa.or_(
                WebinarRegistration.registered_at < registration.registered_at,
                sa.and_(
                    WebinarRegistration.registered_at == registration.registered_at,
                    WebinarRegistration.id < registration.id,
                ),
            ),
        )
    ).scalar_one()
    return int(ahead) + 1


def _view(who: Viewer, webinar: Webinar, *, full: bool = False, now: datetime | None = None) -> WebinarView:
    now = now or utcnow()
    zone = display_zone(who)
    mine = _registration(webinar.id, who.participant.id) if who.participant else None
    position = _waitlist_position(mine) if mine and mine.status is RegistrationStatus.WAITLISTED else None
    view = WebinarView(
        webinar=webinar,
        zone=zone,
        starts_local=timezones.in_zone(webinar.starts_at, zone),
        ends_local=timezones.in_zone(webinar.ends_at, zone),
        starts_text=timezones.display(webinar.starts_at, zone),
        registration=mine,
        waitlist_position=position,
        seats_taken=_seats_taken(webinar.id),
        can_manage=_can_manage(who, webinar),
        viewer_is_coordinator=who.is_coordinator,
        join_open=webinar.status is WebinarStatus.SCHEDULED
        and webinar.starts_at - JOIN_OPENS_BEFORE <= now < webinar.ends_at,
        has_ended=webinar.has_ended(now),
    )
    if full:
        view.description_html = render_markdown(webinar.description)
        view.materials = content.materials_for_webinar(who, webinar.id)
        if webinar.recording_url:
            try:
                view.recording_embed_url = providers.video_embed_url(webinar.recording_url)
            except InvalidInput:
                view.recording_embed_url = None  # not embeddable: shown as a link
        if view.can_manage:
            view.registrations = list(
                db.session.execute(
                    sa.select(WebinarRegistration)
                    .where(WebinarRegistration.webinar_id == webinar.id)
                    .order_by(
                        WebinarRegistration.status, WebinarRegistration.registered_at, WebinarRegistration.id
                    )
                ).scalars()
            )
    return view


def remember_timezone(ctx: LaunchContext, zone_name: str) -> str:
    """Keep the caller's time zone (their browser's) so pages and reminders use it; LMSs rarely send it."""
    timezones.zone(zone_name)
    user = db.session.get(User, ctx.user_id)
    if user is None:
        raise NotFound(_("Open Ritmo again from your course."))
    if user.timezone != zone_name:
        user.timezone = zone_name
        db.session.commit()
    return zone_name


def list_webinars(ctx: LaunchContext, *, now: datetime | None = None) -> dict[str, list[WebinarView]]:
    """The webinars the caller may see, split into upcoming and past."""
    who = viewer(ctx)
    now = now or utcnow()
    webinars = db.session.execute(
        sa.select(Webinar)
        .where(Webinar.programme_id == who.programme.id)
        .order_by(Webinar.starts_at, Webinar.id)
    ).scalars()
    views = [_view(who, w, now=now) for w in webinars if _can_manage(who, w) or w.audience.includes(who.role)]
    return {
        "upcoming": [v for v in views if not v.has_ended],
        "past": sorted((v for v in views if v.has_ended), key=lambda v: v.webinar.starts_at, reverse=True),
    }


def webinar_page(ctx: LaunchContext, webinar_id: int) -> WebinarView:
    who = viewer(ctx)
    return _view(who, _get(who, webinar_id), full=True)


# --- scheduling --------------------------------------------------------------------------------


def _check_host(who: Viewer, host_user_id: int | None) -> int:
    if host_user_id is None:
        return who.user_id
    host = participant_for(who.programme.id, host_user_id)
    if host is None or host.status is ParticipantStatus.WITHDRAWN:
        raise InvalidInput(
            _("The host must take part in this programme."),
            errors={"host_user_id": [_("Choose a coordinator or mentor of this programme as host.")]},
        )
    return host_user_id


def _join_address(join_url: str | None, title: str) -> tuple[providers.JoinProvider, str]:
    if join_url and join_url.strip():
        return providers.classify_join_url(join_url), join_url.strip()
    return providers.JoinProvider.JITSI, providers.generate_jitsi_room(title)


def _check_https(value: str | None, field_name: str) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return urls.web_url(value, https_only=True)
    except urls.UnsafeUrl as error:
        raise InvalidInput(
            _("Addresses must start with https://."), errors={field_name: [str(error)]}
        ) from error


def create_webinars(ctx: LaunchContext, data: dict[str, Any]) -> list[Webinar]:
    """Schedule one webinar, or a weekly series of ``repeat_weekly`` at the same local time."""
    who = viewer(ctx)
    if not who.is_coordinator:
        raise Forbidden(_("Only the course's coordinators can schedule webinars."))
    zone_name = data.get("timezone") or display_zone(who)
    timezones.zone(zone_name)
    count = data.get("repeat_weekly", 1)
    if not 1 <= count <= MAX_SERIES_OCCURRENCES:
        raise InvalidInput(
            _("Too many occurrences."),
            errors={
                "repeat_weekly": [_("Choose between 1 and %(n)s weekly sessions.", n=MAX_SERIES_OCCURRENCES)]
            },
        )
    starts = timezones.weekly(data["starts_at"], zone_name, count)
    if starts[0] <= utcnow():
        raise InvalidInput(
            _("This time is in the past."), errors={"starts_at": [_("Choose a start in the future.")]}
        )
    host_user_id = _check_host(who, data.get("host_user_id"))
    series_key = secrets.token_hex(8) if count > 1 else None
    webinars = []
    for starts_at in starts:
        provider, join_url = _join_address(data.get("join_url"), data["title"])
        webinar = Webinar(
            programme_id=who.programme.id,
            title=data["title"],
            description=data.get("description") or "",
            audience=data["audience"],
            starts_at=starts_at,
            timezone=zone_name,
            duration_minutes=data["duration_minutes"],
            host_user_id=host_user_id,
            capacity=data.get("capacity"),
            join_provider=provider,
            join_url=join_url,
            series_key=series_key,
            created_by_user_id=ctx.user_id,
        )
        db.session.add(webinar)
        db.session.flush()
        _schedule_reminders(webinar)
        audit.record("webinar.created", "webinar", webinar.id, actor_user_id=ctx.user_id)
        webinars.append(webinar)
    db.session.commit()
    return webinars


def update_webinar(ctx: LaunchContext, webinar_id: int, data: dict[str, Any]) -> Webinar:
    """Change details; a new time or address goes to everyone registered as a calendar update."""
    who = viewer(ctx)
    webinar = _get(who, webinar_id)
    if not _can_manage(who, webinar):
        raise Forbidden(_("Only the webinar's host or a coordinator can change it."))
    if webinar.status is WebinarStatus.CANCELLED:
        raise Conflict(_("This webinar was cancelled; schedule a new one instead."))
    try:
        calendar_changed = False
        for key in ("title", "description", "audience", "duration_minutes"):
            if key in data and data[key] != getattr(webinar, key):
                setattr(webinar, key, data[key])
                calendar_changed = calendar_changed or key in ("title", "duration_minutes")
        if "timezone" in data or "starts_at" in data:
            zone_name = data.get("timezone") or webinar.timezone
            starts_local = data.get("starts_at") or timezones.in_zone(webinar.starts_at, zone_name).replace(
                tzinfo=None
            )
            starts_at = timezones.wall_clock_to_utc(starts_local, zone_name)
            if starts_at != webinar.starts_at:
                if starts_at <= utcnow():
                    raise InvalidInput(
                        _("This time is in the past."),
                        errors={"starts_at": [_("Choose a start in the future.")]},
                    )
                webinar.starts_at = starts_at
                calendar_changed = True
                _schedule_reminders(webinar)
            webinar.timezone = zone_name
        if "join_url" in data:
            provider, join_url = _join_address(data["join_url"], webinar.title)
            if join_url != webinar.join_url and data["join_url"]:
                webinar.join_provider, webinar.join_url = provider, join_url
                calendar_changed = True
        if "host_user_id" in data:
            if not who.is_coordinator:
                raise Forbidden(_("Only a coordinator can hand a webinar to another host."))
            webinar.host_user_id = _check_host(who, data["host_user_id"])
        for key in ("recording_url", "slides_url"):
            if key in data:
                setattr(webinar, key, _check_https(data[key], key))
        if "capacity" in data:
            webinar.capacity = data["capacity"]
            _promote_waiting(webinar)
        if calendar_changed:
            webinar.ics_sequence += 1
            for registration in _registrations(webinar.id, RegistrationStatus.REGISTERED):
                _send_invitation(webinar, registration.participant, update=True)
    except RitmoError:
        db.session.rollback()  # a refused change leaves the webinar as it was
        raise
    audit.record("webinar.updated", "webinar", webinar.id, actor_user_id=ctx.user_id, fields=sorted(data))
    db.session.commit()
    return webinar


def cancel_webinar(ctx: LaunchContext, webinar_id: int) -> Webinar:
    who = viewer(ctx)
    webinar = _get(who, webinar_id)
    if not _can_manage(who, webinar):
        raise Forbidden(_("Only the webinar's host or a coordinator can cancel it."))
    if webinar.status is WebinarStatus.CANCELLED:
        return webinar
    webinar.status = WebinarStatus.CANCELLED
    webinar.ics_sequence += 1
    for registration in _registrations(
        webinar.id, RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED
    ):
        # Only seat holders got an invitation: the waiting list gets the news without a calendar.
        _send_invitation(
            webinar,
            registration.participant,
            cancelled=True,
            with_calendar=registration.status is RegistrationStatus.REGISTERED,
        )
    audit.record("webinar.cancelled", "webinar", webinar.id, actor_user_id=ctx.user_id)
    db.session.commit()
    return webinar


def _registrations(webinar_id: int, *statuses: RegistrationStatus) -> list[WebinarRegistration]:
    return list(
        db.session.execute(
            sa.select(WebinarRegistration)
            .where(WebinarRegistration.webinar_id == webinar_id, WebinarRegistration.status.in_(statuses))
            .order_by(WebinarRegistration.registered_at, WebinarRegistration.id)
        ).scalars()
    )


# --- registration and the waiting list ---------------------------------------------------------


def _locked(webinar_id: int) -> Webinar:
    """The webinar row, locked on PostgreSQL so two people cannot take the last seat."""
    webinar = db.session.execute(
        sa.select(Webinar)
        .where(Webinar.id == webinar_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    return webinar


def register(ctx: LaunchContext, webinar_id: int) -> WebinarView:
    """Take a seat, or a place on the waiting list when the webinar is full. Idempotent."""
    who = viewer(ctx)
    participant = who.require_participant()
    webinar = _get(who, webinar_id)
    if webinar.status is WebinarStatus.CANCELLED:
        raise Conflict(_("This webinar was cancelled. Look for another session in the list."))
    if webinar.has_ended():
        raise Conflict(_("This webinar is over. Its recording and materials are on its page."))
    webinar = _locked(webinar.id)
    registration = _registration(webinar.id, participant.id)
    if registration is None or registration.status is RegistrationStatus.CANCELLED:
        full = webinar.capacity is not None and _seats_taken(webinar.id) >= webinar.capacity
        status = RegistrationStatus.WAITLISTED if full else RegistrationStatus.REGISTERED
        if registration is None:
            registration = WebinarRegistration(
                webinar_id=webinar.id, participant_id=participant.id, status=status
            )
            db.session.add(registration)
        else:
            registration.status, registration.registered_at = status, utcnow()
        db.session.flush()
        if status is RegistrationStatus.REGISTERED:
            _send_invitation(webinar, participant)
        else:
            _send_waitlisted(webinar, participant)
    db.session.commit()
    return _view(who, webinar)


def cancel_registration(ctx: LaunchContext, webinar_id: int) -> WebinarView:
    """Give up a seat (the first person waiting gets it) or leave the waiting list."""
    who = viewer(ctx)
    participant = who.require_participant()
    webinar = _get(who, webinar_id)
    if webinar.starts_at <= utcnow():
        raise Conflict(_("The webinar has started; there is nothing to cancel."))
    webinar = _locked(webinar.id)
    registration = _registration(webinar.id, participant.id)
    if registration is not None and registration.status is not RegistrationStatus.CANCELLED:
        had_seat = registration.status is RegistrationStatus.REGISTERED
        registration.status = RegistrationStatus.CANCELLED
        db.session.flush()
        if had_seat:
            _send_invitation(webinar, participant, cancelled=True)
            _promote_waiting(webinar)
    db.session.commit()
    return _view(who, webinar)


def _promote_waiting(webinar: Webinar) -> list[WebinarRegistration]:
    """Fill free seats from the waiting list, first come first served, and tell each person."""
    if webinar.status is WebinarStatus.CANCELLED or webinar.has_ended():
        return []
    promoted = []
    free = None if webinar.capacity is None else webinar.capacity - _seats_taken(webinar.id)
    for registration in _registrations(webinar.id, RegistrationStatus.WAITLISTED):
        if free is not None and free <= 0:
            break
        registration.status = RegistrationStatus.REGISTERED
        free = None if free is None else free - 1
        promoted.append(registration)
        _notice(webinar, registration.participant, ReminderKind.PROMOTED)
        _send_invitation(webinar, registration.participant, promoted=True)
    db.session.flush()
    return promoted


# --- invitations, reminders and in-app notices -------------------------------------------------


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
    from lti_tool.mentoring.programmes.models import Programme

    programme = db.session.get(Programme, webinar.programme_id)
    fallback = timezones.valid_or(programme.timezone if programme else None, webinar.timezone)
    return timezones.valid_or(user.timezone, fallback)


def _send_invitation(
    webinar: Webinar,
    participant: Participant,
    *,
    update: bool = False,
    cancelled: bool = False,
    promoted: bool = False,
    with_calendar: bool = True,
) -> None:
    user = participant.user
    if not user.email:
        return  # in-app only: the person sees the webinar on their page
    with written_for(user.locale):  # the e-mail speaks the recipient's language
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
        text += "\n\n" + _("Open the webinar from your course, or here: %(url)s", url=_page_url(webinar))
        attachments = []
        if with_calendar:
            method = "CANCEL" if cancelled else "REQUEST"
            attachments.append(
                {
                    "filename": "invite.ics",
                    "content_type": f"text/calendar; method={method}",
                    "data": calendar_text(webinar, user, cancelled=cancelled).encode(),
                }
            )
        send_email(user.email, subject, text, attachments=attachments)


def _send_waitlisted(webinar: Webinar, participant: Participant) -> None:
    user = participant.user
    if not user.email:
        return
    when = timezones.display(webinar.starts_at, _zone_for_user(user, webinar))
    send_email(
        user.email,
        _("Waiting list: %(title)s", title=webinar.title),
        _(
            '"%(title)s" on %(when)s is full. You are on the waiting list and will get an invitation '
            "by e-mail if a seat opens up.",
            title=webinar.title,
            when=when,
        ),
    )


def _notice(webinar: Webinar, participant: Participant, kind: ReminderKind) -> WebinarReminder | None:
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


def _schedule_reminders(webinar: Webinar) -> None:
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


@task("webinars.remind")
def remind_task(payload: dict[str, Any]) -> None:
    """Scheduled for each webinar and reminder kind; stale when the webinar moved or was cancelled."""
    webinar = db.session.get(Webinar, payload["webinar_id"])
    if webinar is None or int(webinar.starts_at.timestamp()) != payload["starts_at"]:
        return
    send_reminders(webinar, ReminderKind(payload["kind"]))


@task("webinars.reminder_sweep")
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
    for registration in _registrations(webinar.id, RegistrationStatus.REGISTERED):
        notice = _notice(webinar, registration.participant, kind)
        if notice is None:
            continue
        user = registration.participant.user
        if user.email:
            notice.emailed = True
            when = timezones.display(webinar.starts_at, _zone_for_user(user, webinar))
            lead = _("tomorrow") if kind is ReminderKind.DAY_BEFORE else _("in one hour")
            send_email(
                user.email,
                _("Reminder: %(title)s starts %(lead)s", title=webinar.title, lead=lead),
                _('"%(title)s" starts on %(when)s.', title=webinar.title, when=when)
                + "\n\n"
                + _("Join from your course, or here: %(url)s", url=_page_url(webinar)),
                dedupe_key=f"webinar-reminder:{webinar.id}:{registration.participant_id}:{kind.value}",
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
    webinar = _get(who, webinar_id)
    return f"webinar-{webinar.id}.ics", calendar_text(webinar, None, method="PUBLISH")


# --- attendance --------------------------------------------------------------------------------


def join(ctx: LaunchContext, webinar_id: int, *, now: datetime | None = None) -> str:
    """Record the caller's attendance and return the address to send them to.

    Open from 15 minutes before the start until the end. Without a capacity, joining registers the
    person; with one, only people holding a seat join (the waiting list is told its position).
    Hosts and coordinators always get in and are not counted.
    """
    now = now or utcnow()
    who = viewer(ctx)
    webinar = _get(who, webinar_id)
    if webinar.status is WebinarStatus.CANCELLED:
        raise Conflict(_("This webinar was cancelled. Look for another session in the list."))
    if now < webinar.starts_at - JOIN_OPENS_BEFORE:
        raise Conflict(
            _(
                "The room opens 15 minutes before the start (%(when)s). Come back then.",
                when=timezones.display(webinar.starts_at, display_zone(who)),
            )
        )
    if now >= webinar.ends_at:
        raise Conflict(_("This webinar is over. Its recording and materials are on its page."))
    room = urls.safe_href(webinar.join_url)
    if room is None or room.startswith("/"):  # stored before addresses were checked: never redirect to it
        raise Conflict(_("This webinar's room address is not valid. Ask the host to set it again."))
    if _can_manage(who, webinar) or who.participant is None or who.role is ParticipantRole.COORDINATOR:
        return room
    participant = who.participant
    webinar = _locked(webinar.id)
    registration = _registration(webinar.id, participant.id)
    if registration is None or registration.status is RegistrationStatus.CANCELLED:
        if webinar.capacity is not None and _seats_taken(webinar.id) >= webinar.capacity:
            raise Forbidden(_("This webinar is full. Register to join the waiting list."))
        if registration is None:
            registration = WebinarRegistration(
                webinar_id=webinar.id, participant_id=participant.id, status=RegistrationStatus.REGISTERED
            )
            db.session.add(registration)
        registration.status = RegistrationStatus.REGISTERED
        db.session.flush()
    elif registration.status is RegistrationStatus.WAITLISTED:
        raise Forbidden(
            _(
                "You are number %(n)s on the waiting list. You will get an e-mail if a seat opens up.",
                n=_waitlist_position(registration),
            )
        )
    _mark(registration, True, AttendanceSource.JOIN_LINK, actor_user_id=ctx.user_id, now=now)
    db.session.commit()
    return room


def _mark(
    registration: WebinarRegistration,
    attended: bool,
    source: AttendanceSource,
    *,
    actor_user_id: int,
    now: datetime | None = None,
) -> bool:
    """Set attendance; returns whether it changed. Becoming "attended" emits ``webinar.attended``."""
    webinar = registration.webinar
    if attended == (registration.attended_at is not None):
        return False
    if attended:
        registration.attended_at = now or utcnow()
        registration.attendance_source = source
        emit(
            DomainEvent(
                "webinar.attended",
                programme_id=webinar.programme_id,
                participant_id=registration.participant_id,
                actor_user_id=actor_user_id,
                data={
                    "webinar_id": webinar.id,
                    "source": source.value,
                    "target": f"webinar:{webinar.id}",
                    "series_key": webinar.series_key,
                },
            )
        )
    else:
        registration.attended_at = None
        registration.attendance_source = None
        emit(
            DomainEvent(
                "webinar.attendance_removed",
                programme_id=webinar.programme_id,
                participant_id=registration.participant_id,
                actor_user_id=actor_user_id,
                data={"webinar_id": webinar.id, "target": f"webinar:{webinar.id}"},
            )
        )
    if source is not AttendanceSource.JOIN_LINK:
        audit.record(
            "webinar.attendance_set",
            "webinar",
            webinar.id,
            actor_user_id=actor_user_id,
            participant_id=registration.participant_id,
            attended=attended,
            source=source.value,
        )
    return True


def _require_manager(who: Viewer, webinar: Webinar) -> None:
    if not _can_manage(who, webinar):
        raise Forbidden(_("Only the webinar's host or a coordinator can see and correct attendance."))


def _registration_for_attendance(webinar: Webinar, participant: Participant) -> WebinarRegistration:
    registration = _registration(webinar.id, participant.id)
    if registration is None:
        # Came without registering (e.g. shared link): they held a seat in fact.
        registration = WebinarRegistration(
            webinar_id=webinar.id, participant_id=participant.id, status=RegistrationStatus.REGISTERED
        )
        db.session.add(registration)
        db.session.flush()
    return registration


def set_attendance(
    ctx: LaunchContext, webinar_id: int, participant_id: int, attended: bool
) -> WebinarRegistration:
    """The host's or a coordinator's correction for one person."""
    who = viewer(ctx)
    webinar = _get(who, webinar_id)
    _require_manager(who, webinar)
    if webinar.starts_at - JOIN_OPENS_BEFORE > utcnow():
        raise Conflict(_("Attendance can be recorded once the webinar has started."))
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.programme_id != webinar.programme_id:
        raise NotFound(_("This person is not part of the programme."))
    registration = _registration_for_attendance(webinar, participant)
    _mark(registration, attended, AttendanceSource.HOST, actor_user_id=ctx.user_id)
    db.session.commit()
    return registration


@dataclass(frozen=True)
class ImportResult:
    marked: int
    unmarked: int
    unchanged: int


def import_attendance(ctx: LaunchContext, webinar_id: int, stream: IO[bytes]) -> ImportResult:
    """Attendance from a CSV export (a column ``email`` or ``user_id``; optional ``attended``).

    Every row is checked first; with any error nothing is written and the answer lists each bad row.
    """
    who = viewer(ctx)
    webinar = _get(who, webinar_id)
    _require_manager(who, webinar)
    if webinar.starts_at - JOIN_OPENS_BEFORE > utcnow():
        raise Conflict(_("Attendance can be recorded once the webinar has started."))
    raw = stream.read(CSV_MAX_BYTES + 1)
    if len(raw) > CSV_MAX_BYTES:
        raise InvalidInput(
            _("The file is too large."), errors={"file": [_("Split it into files under 1 MB.")]}
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            _("The file is not UTF-8 text."),
            errors={"file": [_("Export the attendance as CSV (UTF-8) and try again.")]},
        ) from error
    wanted = _parse_attendance_csv(text, webinar)
    counts = {"marked": 0, "unmarked": 0, "unchanged": 0}
    for participant, attended in wanted:
        registration = _registration_for_attendance(webinar, participant)
        if _mark(registration, attended, AttendanceSource.CSV, actor_user_id=ctx.user_id):
            counts["marked" if attended else "unmarked"] += 1
        else:
            counts["unchanged"] += 1
    db.session.commit()
    return ImportResult(**counts)


def _parse_attendance_csv(text: str, webinar: Webinar) -> list[tuple[Participant, bool]]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [h.strip().lower() for h in next(reader, [])]
    email_col = next((header.index(c) for c in CSV_EMAIL_COLUMNS if c in header), None)
    id_col = next((header.index(c) for c in CSV_ID_COLUMNS if c in header), None)
    attended_col = header.index(CSV_ATTENDED_COLUMN) if CSV_ATTENDED_COLUMN in header else None
    if email_col is None and id_col is None:
        raise InvalidInput(
            _("The file has no column naming people."),
            errors={"file": [_('Add a header row with a column "email" or "user_id" (the LMS user id).')]},
        )
    members = db.session.execute(
        sa.select(Participant, User)
        .join(User, User.id == Participant.user_id)
        .where(Participant.programme_id == webinar.programme_id)
    ).all()
    by_email: dict[str, list[Participant]] = {}
    by_sub: dict[str, Participant] = {}
    for member, user in members:
        if user.email:
            by_email.setdefault(user.email.strip().lower(), []).append(member)
        by_sub[user.sub] = member
    errors: list[dict[str, Any]] = []
    wanted: list[tuple[Participant, bool]] = []
    seen: dict[int, int] = {}
    for number, row in enumerate(reader, start=2):
        if number - 1 > CSV_MAX_ROWS:
            errors.append(
                {
                    "row": number,
                    "message": _("Too many rows; import at most %(n)s at a time.", n=CSV_MAX_ROWS),
                }
            )
            break
        if not any(cell.strip() for cell in row):
            continue

        def cell(index: int | None, current: list[str] = row) -> str:
            return current[index].strip() if index is not None and index < len(current) else ""

        participant: Participant | None = None
        if id_col is not None and cell(id_col):
            participant = by_sub.get(cell(id_col))
            if participant is None:
                errors.append(
                    {"row": number, "message": _('No participant has the user id "%(v)s".', v=cell(id_col))}
                )
                continue
        elif email_col is not None and cell(email_col):
            found = by_email.get(cell(email_col).lower(), [])
            if len(found) != 1:
                message = (
                    _('No participant has the e-mail "%(v)s".', v=cell(email_col))
                    if not found
                    else _('Several participants share the e-mail "%(v)s"; use user_id.', v=cell(email_col))
                )
                errors.append({"row": number, "message": message})
                continue
            participant = found[0]
        else:
            errors.append(
                {"row": number, "message": _("The row names nobody: fill in the e-mail or user id.")}
            )
            continue
        value = cell(attended_col).lower() if attended_col is not None else "yes"
        if value not in CSV_TRUE | CSV_FALSE:
            errors.append({"row": number, "message": _('"%(v)s" is not yes or no.', v=value)})
            continue
        if participant.id in seen:
            errors.append({"row": number, "message": _("Same person as row %(n)s.", n=seen[participant.id])})
            continue
        seen[participant.id] = number
        wanted.append((participant, value in CSV_TRUE))
    if errors:
        raise InvalidInput(
            ngettext(
                "%(num)d row has a problem; nothing was imported. Correct it and import the file again.",
                "%(num)d rows have problems; nothing was imported. Correct them and import the file again.",
                len(errors),
            ),
            errors={"rows": errors},
        )
    return wanted


def attended_by(participant_ids_query: sa.Select[Any], webinar: Webinar) -> sa.Select[Any]:
    """Participant ids (within the query) who attended ``webinar`` or another session of its series."""
    if webinar.series_key:
        webinars = sa.select(Webinar.id).where(Webinar.series_key == webinar.series_key)
    else:
        webinars = sa.select(sa.literal(webinar.id))
    return sa.select(WebinarRegistration.participant_id).where(
        WebinarRegistration.webinar_id.in_(webinars),
        WebinarRegistration.attended_at.is_not(None),
        WebinarRegistration.participant_id.in_(participant_ids_query),
    )


# --- placement in the course -------------------------------------------------------------------


def placeable_items(ctx: LaunchContext) -> list[dict[str, Any]]:
    """What an instructor can place in the course: webinars to come and content modules.

    Each entry names the resource link ``target`` (``webinar:<id>`` / ``content:<id>``) the launch
    router opens, and whether and how it is graded (attendance, completion; maximum 1).
    """
    who = viewer(ctx)
    if not who.is_coordinator:
        raise Forbidden(_("Only the course's coordinators can place items in the course."))
    items: list[dict[str, Any]] = []
    webinars = db.session.execute(
        sa.select(Webinar)
        .where(
            Webinar.programme_id == who.programme.id,
            Webinar.status == WebinarStatus.SCHEDULED,
        )
        .order_by(Webinar.starts_at)
    ).scalars()
    for webinar in webinars:
        items.append(
            {
                "kind": "webinar",
                "id": webinar.id,
                "title": webinar.title,
                "text": timezones.display(webinar.starts_at, display_zone(who)),
                "target": f"webinar:{webinar.id}",
                "graded_by": "attendance",
                "score_maximum": 1,
            }
        )
    for module in content.modules_of_programme(who.programme.id):
        items.append(
            {
                "kind": "content",
                "id": module.id,
                "title": module.title,
                "text": "",
                "target": f"content:{module.id}",
                "graded_by": "completion",
                "score_maximum": 1,
            }
        )
    return items
