"""What a person sees of webinars: the list, one webinar's page, seats and waiting-list places, in
their zone (the one they keep, else the programme's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import timezones
from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import InvalidInput, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.content import service as content
from lti_tool.mentoring.webinars import providers
from lti_tool.mentoring.webinars.access import Viewer, viewer
from lti_tool.mentoring.webinars.models import (
    RegistrationStatus,
    Webinar,
    WebinarRegistration,
    WebinarStatus,
)
from lti_tool.text import render_markdown

#: The room opens this long before the start (people test their microphones).
JOIN_OPENS_BEFORE = timedelta(minutes=15)


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


def display_zone(who: Viewer, webinar: Webinar | None = None) -> str:
    """The zone a person reads times in (:func:`timezones.reader_zone_name`): theirs, else the
    programme's; whoever scheduled ``webinar`` reads it in the zone they entered it in."""
    return timezones.reader_zone_name(
        who.user.timezone,
        None,
        who.programme.timezone,
        reader_id=who.user_id,
        entered_zone=webinar.timezone if webinar else None,
        entered_by=webinar.created_by_user_id if webinar else None,
    )


def can_manage(who: Viewer, webinar: Webinar) -> bool:
    return who.is_coordinator or webinar.host_user_id == who.user_id


def get_webinar(who: Viewer, webinar_id: int) -> Webinar:
    webinar = db.session.get(Webinar, webinar_id)
    if webinar is None or webinar.programme_id != who.programme.id:
        raise NotFound(_("This webinar does not exist in your programme."))
    if not can_manage(who, webinar) and not webinar.audience.includes(who.role):
        raise NotFound(_("This webinar does not exist in your programme."))
    return webinar


def registration_of(webinar_id: int, participant_id: int) -> WebinarRegistration | None:
    return db.session.execute(
        sa.select(WebinarRegistration).where(
            WebinarRegistration.webinar_id == webinar_id,
            WebinarRegistration.participant_id == participant_id,
        )
    ).scalar_one_or_none()


def seats_taken(webinar_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).where(
            WebinarRegistration.webinar_id == webinar_id,
            WebinarRegistration.status == RegistrationStatus.REGISTERED,
        )
    ).scalar_one()


def waitlist_position(registration: WebinarRegistration) -> int:
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


def view_of(who: Viewer, webinar: Webinar, *, full: bool = False, now: datetime | None = None) -> WebinarView:
    now = now or utcnow()
    zone = display_zone(who, webinar)
    mine = registration_of(webinar.id, who.participant.id) if who.participant else None
    position = waitlist_position(mine) if mine and mine.status is RegistrationStatus.WAITLISTED else None
    view = WebinarView(
        webinar=webinar,
        zone=zone,
        starts_local=timezones.in_zone(webinar.starts_at, zone),
        ends_local=timezones.in_zone(webinar.ends_at, zone),
        starts_text=timezones.display(webinar.starts_at, zone),
        registration=mine,
        waitlist_position=position,
        seats_taken=seats_taken(webinar.id),
        can_manage=can_manage(who, webinar),
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
    views = [
        view_of(who, w, now=now) for w in webinars if can_manage(who, w) or w.audience.includes(who.role)
    ]
    return {
        "upcoming": [v for v in views if not v.has_ended],
        "past": sorted((v for v in views if v.has_ended), key=lambda v: v.webinar.starts_at, reverse=True),
    }


def webinar_page(ctx: LaunchContext, webinar_id: int) -> WebinarView:
    who = viewer(ctx)
    return view_of(who, get_webinar(who, webinar_id), full=True)


def registrations_in(webinar_id: int, *statuses: RegistrationStatus) -> list[WebinarRegistration]:
    return list(
        db.session.execute(
            sa.select(WebinarRegistration)
            .where(WebinarRegistration.webinar_id == webinar_id, WebinarRegistration.status.in_(statuses))
            .order_by(WebinarRegistration.registered_at, WebinarRegistration.id)
        ).scalars()
    )
