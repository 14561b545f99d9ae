"""Registering for a webinar: seats, the waiting list in arrival order, and moving up when one frees."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.webinars.access import viewer
from lti_tool.mentoring.webinars.catalogue import (
    WebinarView,
    get_webinar,
    registration_of,
    registrations_in,
    seats_taken,
    view_of,
)
from lti_tool.mentoring.webinars.invitations import (
    notice_for,
    send_invitation,
    send_waitlisted,
)
from lti_tool.mentoring.webinars.models import (
    RegistrationStatus,
    ReminderKind,
    Webinar,
    WebinarRegistration,
    WebinarStatus,
)

# --- registration and the waiting list ---------------------------------------------------------


def locked_webinar(webinar_id: int) -> Webinar:
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
    webinar = get_webinar(who, webinar_id)
    if webinar.status is WebinarStatus.CANCELLED:
        raise Conflict(_("This webinar was cancelled. Look for another session in the list."))
    if webinar.has_ended():
        raise Conflict(_("This webinar is over. Its recording and materials are on its page."))
    webinar = locked_webinar(webinar.id)
    registration = registration_of(webinar.id, participant.id)
    if registration is None or registration.status is RegistrationStatus.CANCELLED:
        full = webinar.capacity is not None and seats_taken(webinar.id) >= webinar.capacity
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
            send_invitation(webinar, participant)
        else:
            send_waitlisted(webinar, participant)
    db.session.commit()
    return view_of(who, webinar)


def cancel_registration(ctx: LaunchContext, webinar_id: int) -> WebinarView:
    """Give up a seat (the first person waiting gets it) or leave the waiting list."""
    who = viewer(ctx)
    participant = who.require_participant()
    webinar = get_webinar(who, webinar_id)
    if webinar.starts_at <= utcnow():
        raise Conflict(_("The webinar has started; there is nothing to cancel."))
    webinar = locked_webinar(webinar.id)
    registration = registration_of(webinar.id, participant.id)
    if registration is not None and registration.status is not RegistrationStatus.CANCELLED:
        had_seat = registration.status is RegistrationStatus.REGISTERED
        registration.status = RegistrationStatus.CANCELLED
        db.session.flush()
        if had_seat:
            send_invitation(webinar, participant, cancelled=True)
            promote_waiting(webinar)
    db.session.commit()
    return view_of(who, webinar)


def promote_waiting(webinar: Webinar) -> list[WebinarRegistration]:
    """Fill free seats from the waiting list, first come first served, and tell each person."""
    if webinar.status is WebinarStatus.CANCELLED or webinar.has_ended():
        return []
    promoted = []
    free = None if webinar.capacity is None else webinar.capacity - seats_taken(webinar.id)
    for registration in registrations_in(webinar.id, RegistrationStatus.WAITLISTED):
        if free is not None and free <= 0:
            break
        registration.status = RegistrationStatus.REGISTERED
        free = None if free is None else free - 1
        promoted.append(registration)
        notice_for(webinar, registration.participant, ReminderKind.PROMOTED)
        send_invitation(webinar, registration.participant, promoted=True)
    db.session.flush()
    return promoted
