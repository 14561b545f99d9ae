"""What members receive about a meeting: ``.ics`` invitations and cancellations, and notices naming the
times in each recipient's zone and language."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from lti_tool import ics, timezones
from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.errors import Conflict
from lti_tool.i18n import language_of
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.conversations import spaces
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.meetings.access import current_slots, get_meeting
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus
from lti_tool.notifications import service as notifications


def invitation(meeting: Meeting, method: str = "REQUEST", members: list[User] | None = None) -> str:
    """The meeting's current calendar object (REQUEST, or CANCEL for a cancelled one)."""
    if meeting.starts_at is None:
        raise Conflict(_("This meeting has no accepted time yet, so there is no invitation."))
    if members is None:
        match = db.session.get(Match, meeting.match_id)
        assert match is not None
        people = spaces.users_by_id(spaces.member_user_ids(match))
        members = list(people.values())
    organiser = next((u for u in members if u.id == meeting.organiser_user_id), None)
    description = _("Video: %(url)s", url=meeting.video_url)
    if meeting.agenda:
        description += "\n\n" + meeting.agenda
    event = ics.Event(
        uid=meeting.ical_uid,
        sequence=meeting.sequence,
        starts_at=meeting.starts_at,
        ends_at=meeting.starts_at + timedelta(minutes=meeting.duration_minutes),
        summary=meeting.title,
        description=description,
        location=meeting.video_url,
        url=meeting.video_url,
        # iTIP requires an organizer: one without an address is stood in for by Ritmo's own.
        organizer=ics.Person(
            (organiser.email if organiser else None) or parseaddr(current_app.config["MAIL_FROM"])[1],
            organiser.display_name if organiser else "Ritmo",
        ),
        attendees=[ics.Person(u.email, u.display_name) for u in members if u.email],
    )
    return ics.calendar(event, method=ics.Method(method), stamp=meeting.updated_at)


def invitation_for(ctx: LaunchContext, meeting_id: int) -> tuple[Meeting, str]:
    meeting, _space = get_meeting(ctx, meeting_id)
    method = "CANCEL" if meeting.status is MeetingStatus.CANCELLED else "REQUEST"
    return meeting, invitation(meeting, method)


def format_time(value: datetime, zone_name: str, locale: str | None = None) -> str:
    """``value`` in ``zone_name`` for a notification, in ``locale`` (the recipient's) or the default
    language: the one way times read (:func:`timezones.display`)."""
    return timezones.display(value, zone_name, locale=language_of(locale))


def zone_for(user: User | None, meeting: Meeting) -> str:
    """The recipient's zone (:func:`timezones.reader_zone_name`): the organiser reads the meeting
    in the zone they entered it in; others in their own, else the meeting's."""
    return timezones.reader_zone_name(
        user.timezone if user else None,
        None,
        meeting.timezone,
        reader_id=user.id if user else None,
        entered_zone=meeting.timezone,
        entered_by=meeting.organiser_user_id,
    )


def invite_all(
    space: spaces.Space, meeting: Meeting, subject: LazyString, *, method: str, exclude: int | None = None
) -> None:
    people = spaces.users_by_id(space.member_user_ids)
    members = [people[i] for i in space.member_user_ids if i in people]
    calendar_text = invitation(meeting, method, members)
    assert meeting.starts_at is not None
    for user in members:
        if user.id == exclude:
            continue
        when = format_time(meeting.starts_at, zone_for(user, meeting), user.locale)
        text = _l(
            "%(title)s\nWhen: %(when)s (%(minutes)d minutes)\nVideo: %(url)s",
            title=meeting.title,
            when=when,
            minutes=meeting.duration_minutes,
            url=meeting.video_url,
        )
        notifications.notify(
            user.id,
            "meeting",
            subject,
            text,
            link=f"/meetings/{meeting.id}",
            ics=calendar_text,
            match_id=meeting.match_id,
        )


def proposal_text(meeting: Meeting) -> str:
    return "\n".join(
        "- " + format_time(s.starts_at, timezones.shown_zone_name(meeting.timezone))
        for s in current_slots(meeting)
    )


def tell_others(
    ctx: LaunchContext, space: spaces.Space, meeting: Meeting, kind: str, subject: LazyString, text: str
) -> None:
    """Tell the other members; ``subject`` names ``%(who)s`` and ``%(title)s``, and is written in
    each recipient's language."""
    people = spaces.users_by_id(space.member_user_ids)
    who = people[ctx.user_id].display_name if ctx.user_id in people else _l("Someone")
    titled = LazyString(lambda: str(subject) % {"who": who, "title": meeting.title})
    for user_id in space.member_user_ids:
        if user_id != ctx.user_id:
            user = people.get(user_id)
            tz = zone_for(user, meeting)
            locale = user.locale if user else None
            lines = "\n".join("- " + format_time(s.starts_at, tz, locale) for s in current_slots(meeting))
            body = lines if kind != "meeting.cancelled" else text
            notifications.notify(
                user_id,
                "meeting",
                titled,
                body,
                link=f"/meetings/{meeting.id}",
                match_id=meeting.match_id,
            )
