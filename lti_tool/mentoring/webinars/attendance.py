"""Attendance: joining through Ritmo (which records it), corrections by the host, the CSV import, and
the query other features use to count who attended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import audit, timezones
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, Forbidden, InvalidInput, NotFound
from lti_tool.events import DomainEvent, emit
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole
from lti_tool.mentoring.webinars.access import Viewer, viewer
from lti_tool.mentoring.webinars.attendance_csv import CSV_MAX_BYTES, parse_attendance_csv
from lti_tool.mentoring.webinars.catalogue import (
    JOIN_OPENS_BEFORE,
    can_manage,
    display_zone,
    get_webinar,
    registration_of,
    seats_taken,
    waitlist_position,
)
from lti_tool.mentoring.webinars.models import (
    AttendanceSource,
    RegistrationStatus,
    Webinar,
    WebinarRegistration,
    WebinarStatus,
)
from lti_tool.mentoring.webinars.registration import locked_webinar
from lti_tool.safety import urls


def join(ctx: LaunchContext, webinar_id: int, *, now: datetime | None = None) -> str:
    """Record the caller's attendance and return the address to send them to.

    Open from 15 minutes before the start until the end. Without a capacity, joining registers the
    person; with one, only people holding a seat join (the waiting list is told its position).
    Hosts and coordinators always get in and are not counted.
    """
    now = now or utcnow()
    who = viewer(ctx)
    webinar = get_webinar(who, webinar_id)
    if webinar.status is WebinarStatus.CANCELLED:
        raise Conflict(_("This webinar was cancelled. Look for another session in the list."))
    if now < webinar.starts_at - JOIN_OPENS_BEFORE:
        raise Conflict(
            _(
                "The room opens 15 minutes before the start (%(when)s). Come back then.",
                when=timezones.display(webinar.starts_at, display_zone(who, webinar)),
            )
        )
    if now >= webinar.ends_at:
        raise Conflict(_("This webinar is over. Its recording and materials are on its page."))
    room = urls.safe_href(webinar.join_url)
    if room is None or room.startswith("/"):  # stored before addresses were checked: never redirect to it
        raise Conflict(_("This webinar's room address is not valid. Ask the host to set it again."))
    if can_manage(who, webinar) or who.participant is None or who.role is ParticipantRole.COORDINATOR:
        return room
    participant = who.participant
    webinar = locked_webinar(webinar.id)
    registration = registration_of(webinar.id, participant.id)
    if registration is None or registration.status is RegistrationStatus.CANCELLED:
        if webinar.capacity is not None and seats_taken(webinar.id) >= webinar.capacity:
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
                n=waitlist_position(registration),
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
    if not can_manage(who, webinar):
        raise Forbidden(_("Only the webinar's host or a coordinator can see and correct attendance."))


def _registration_for_attendance(webinar: Webinar, participant: Participant) -> WebinarRegistration:
    registration = registration_of(webinar.id, participant.id)
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
    webinar = get_webinar(who, webinar_id)
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
    webinar = get_webinar(who, webinar_id)
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
    wanted = parse_attendance_csv(text, webinar)
    counts = {"marked": 0, "unmarked": 0, "unchanged": 0}
    for participant, attended in wanted:
        registration = _registration_for_attendance(webinar, participant)
        if _mark(registration, attended, AttendanceSource.CSV, actor_user_id=ctx.user_id):
            counts["marked" if attended else "unmarked"] += 1
        else:
            counts["unchanged"] += 1
    db.session.commit()
    return ImportResult(**counts)


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
