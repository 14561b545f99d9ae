"""Scheduling webinars: one or a weekly series across summer-time changes, changes that tell the
registered, and cancelling."""

from __future__ import annotations

import secrets
from typing import Any

from flask_babel import gettext as _

from lti_tool import audit, timezones
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, Forbidden, InvalidInput, RitmoError
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.programmes.models import ParticipantStatus
from lti_tool.mentoring.programmes.service import participant_for
from lti_tool.mentoring.webinars import providers
from lti_tool.mentoring.webinars.access import Viewer, viewer
from lti_tool.mentoring.webinars.catalogue import (
    can_manage,
    display_zone,
    get_webinar,
    registrations_in,
)
from lti_tool.mentoring.webinars.invitations import (
    schedule_reminders,
    send_invitation,
)
from lti_tool.mentoring.webinars.models import (
    RegistrationStatus,
    Webinar,
    WebinarStatus,
)
from lti_tool.mentoring.webinars.registration import promote_waiting
from lti_tool.safety import urls

MAX_SERIES_OCCURRENCES = 26


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
        schedule_reminders(webinar)
        audit.record("webinar.created", "webinar", webinar.id, actor_user_id=ctx.user_id)
        webinars.append(webinar)
    db.session.commit()
    return webinars


def update_webinar(ctx: LaunchContext, webinar_id: int, data: dict[str, Any]) -> Webinar:
    """Change details; a new time or address goes to everyone registered as a calendar update."""
    who = viewer(ctx)
    webinar = get_webinar(who, webinar_id)
    if not can_manage(who, webinar):
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
            timezones.zone(zone_name)  # an unknown zone is the caller's to fix (422), before any use
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
                schedule_reminders(webinar)
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
            promote_waiting(webinar)
        if calendar_changed:
            webinar.ics_sequence += 1
            for registration in registrations_in(webinar.id, RegistrationStatus.REGISTERED):
                send_invitation(webinar, registration.participant, update=True)
    except RitmoError:
        db.session.rollback()  # a refused change leaves the webinar as it was
        raise
    audit.record("webinar.updated", "webinar", webinar.id, actor_user_id=ctx.user_id, fields=sorted(data))
    db.session.commit()
    return webinar


def cancel_webinar(ctx: LaunchContext, webinar_id: int) -> Webinar:
    who = viewer(ctx)
    webinar = get_webinar(who, webinar_id)
    if not can_manage(who, webinar):
        raise Forbidden(_("Only the webinar's host or a coordinator can cancel it."))
    if webinar.status is WebinarStatus.CANCELLED:
        return webinar
    webinar.status = WebinarStatus.CANCELLED
    webinar.ics_sequence += 1
    for registration in registrations_in(
        webinar.id, RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED
    ):
        # Only seat holders got an invitation: the waiting list gets the news without a calendar.
        send_invitation(
            webinar,
            registration.participant,
            cancelled=True,
            with_calendar=registration.status is RegistrationStatus.REGISTERED,
        )
    audit.record("webinar.cancelled", "webinar", webinar.id, actor_user_id=ctx.user_id)
    db.session.commit()
    return webinar
