"""Meeting rules: propose times, accept one, reschedule, cancel, and record how it went.

A member proposes one or more times; another member accepts one, which confirms the meeting and
sends everyone an ``.ics`` invitation (METHOD:REQUEST). Rescheduling offers new times; accepting one
sends the same UID with a higher SEQUENCE, so calendars move the event instead of adding one.
Cancelling a confirmed meeting sends METHOD:CANCEL. Afterwards a member records "held" (emitting
``meeting.held``) or "missed", with notes.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool import text as usertext
from lti_tool import timezones
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, Forbidden, InvalidInput
from lti_tool.events import DomainEvent, emit
from lti_tool.identity.context import LaunchContext
from lti_tool.jobs import enqueue
from lti_tool.mentoring.conversations import history, spaces
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.meetings.access import current_slots, get_meeting, require_member
from lti_tool.mentoring.meetings.invitations import (
    format_time,
    invite_all,
    proposal_text,
    tell_others,
    zone_for,
)
from lti_tool.mentoring.meetings.models import TITLE_MAX, Meeting, MeetingSlot, MeetingStatus
from lti_tool.mentoring.meetings.video import video_link
from lti_tool.notifications import service as notifications

MAX_SLOTS = 5
MIN_DURATION_MINUTES = 10
MAX_DURATION_MINUTES = 240
DEFAULT_DURATION_MINUTES = 45
#: How far ahead a meeting may be proposed.
MAX_LEAD = timedelta(days=365)
AGENDA_MAX = 5_000
NOTES_MAX = 20_000
#: Members get a reminder this long before a confirmed meeting.
REMINDER_BEFORE = timedelta(hours=24)
REMINDER_TASK = "meetings.reminder"


def parse_local_time(value: str, tz_name: str, field_name: str = "times") -> datetime:
    """An ISO time with an offset, or a wall-clock time in ``tz_name``; refuses times DST skips."""
    unreadable = InvalidInput(errors={field_name: [_("Give times as YYYY-MM-DDTHH:MM.")]})
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise unreadable from error
    if parsed.tzinfo is None:
        tz = timezones.zone(tz_name)
        parsed = parsed.replace(tzinfo=tz)
    try:
        # The first and last days of the calendar have no UTC counterpart in every zone.
        moment = parsed.astimezone(UTC)
        roundtrip = moment.astimezone(parsed.tzinfo)
    except OverflowError as error:
        raise unreadable from error
    if roundtrip.replace(tzinfo=None) != parsed.replace(tzinfo=None):
        raise InvalidInput(
            errors={
                field_name: [
                    _(
                        "%(time)s does not exist in %(zone)s (the clocks change then); pick another time.",
                        time=value,
                        zone=tz_name,
                    )
                ]
            }
        )
    return moment


# -- changes ---------------------------------------------------------------------------------------


def _clean_slots(times: Sequence[str], tz_name: str) -> list[datetime]:
    if not times:
        raise InvalidInput(errors={"times": [_("Offer at least one time.")]})
    if len(times) > MAX_SLOTS:
        raise InvalidInput(errors={"times": [_("Offer at most %(count)d times.", count=MAX_SLOTS)]})
    now = utcnow()
    slots = sorted({parse_local_time(t, tz_name) for t in times})
    for slot in slots:
        if slot <= now:
            raise InvalidInput(errors={"times": [_("Offer times in the future.")]})
        if slot > now + MAX_LEAD:
            raise InvalidInput(errors={"times": [_("Offer times within the next year.")]})
    return slots


def propose(
    ctx: LaunchContext,
    match_id: int,
    *,
    title: str,
    times: Sequence[str],
    timezone: str,
    duration_minutes: int = DEFAULT_DURATION_MINUTES,
    agenda: str = "",
    video_url: str | None = None,
) -> Meeting:
    space = spaces.match_space(ctx, match_id)
    require_member(space)
    title = " ".join((title or "").split())
    if not title or len(title) > TITLE_MAX:
        raise InvalidInput(
            errors={"title": [_("Give the meeting a title under %(limit)d characters.", limit=TITLE_MAX)]}
        )
    if not MIN_DURATION_MINUTES <= duration_minutes <= MAX_DURATION_MINUTES:
        raise InvalidInput(
            errors={
                "duration_minutes": [
                    _(
                        "Meetings last between %(low)d and %(high)d minutes.",
                        low=MIN_DURATION_MINUTES,
                        high=MAX_DURATION_MINUTES,
                    )
                ]
            }
        )
    agenda = (agenda or "").strip()
    if len(agenda) > AGENDA_MAX:
        raise InvalidInput(
            errors={"agenda": [_("Keep the agenda under %(limit)d characters.", limit=AGENDA_MAX)]}
        )
    timezone = timezones.zone(timezone or "UTC").key
    slots = _clean_slots(times, timezone)
    provider, url = video_link(video_url)
    meeting = Meeting(
        programme_id=space.programme.id,
        match_id=match_id,
        organiser_user_id=ctx.user_id,
        proposed_by_user_id=ctx.user_id,
        title=title,
        agenda=agenda,
        agenda_html=usertext.render_markdown(agenda) if agenda else "",
        duration_minutes=duration_minutes,
        timezone=timezone,
        video_provider=provider,
        video_url=url,
        ical_uid=f"{secrets.token_hex(16)}@ritmo",
        sequence=0,
        status=MeetingStatus.PROPOSED,
    )
    meeting.slots = [MeetingSlot(starts_at=s, round=1) for s in slots]
    db.session.add(meeting)
    db.session.flush()
    tell_others(
        ctx,
        space,
        meeting,
        "meeting.proposed",
        _l("%(who)s proposed a meeting: %(title)s"),
        proposal_text(meeting),
    )
    db.session.commit()
    return meeting


def accept(ctx: LaunchContext, meeting_id: int, slot_id: int) -> Meeting:
    meeting, space = get_meeting(ctx, meeting_id)
    require_member(space)
    if meeting.status is not MeetingStatus.PROPOSED:
        raise Conflict(_("This meeting is not waiting for an answer."))
    if meeting.proposed_by_user_id == ctx.user_id and len(space.member_user_ids) > 1:
        raise Forbidden(_("You proposed these times; the other side accepts one."))
    slot = next((s for s in current_slots(meeting) if s.id == slot_id), None)
    if slot is None:
        raise InvalidInput(errors={"slot_id": [_("Choose one of the times offered.")]})
    if slot.starts_at <= utcnow():
        raise Conflict(_("This time has passed. Propose new times instead."))
    rescheduled = meeting.starts_at is not None
    if rescheduled:
        meeting.sequence += 1
    meeting.starts_at = slot.starts_at
    meeting.status = MeetingStatus.CONFIRMED
    meeting.updated_at = utcnow()
    db.session.flush()
    subject = (
        _l("Meeting moved: %(title)s", title=meeting.title)
        if rescheduled
        else _l("Meeting confirmed: %(title)s", title=meeting.title)
    )
    invite_all(space, meeting, subject, method="REQUEST")
    _schedule_reminder(meeting)
    db.session.commit()
    return meeting


def _schedule_reminder(meeting: Meeting) -> None:
    assert meeting.starts_at is not None
    at = meeting.starts_at - REMINDER_BEFORE
    if at > utcnow():
        # Keyed by sequence: a moved meeting gets a new reminder, the old one finds it stale.
        enqueue(
            REMINDER_TASK,
            {"meeting_id": meeting.id, "sequence": meeting.sequence},
            run_at=at,
            dedupe_key=f"{REMINDER_TASK}:{meeting.id}:{meeting.sequence}",
        )


def send_reminder(payload: dict[str, Any]) -> None:
    """Remind the members of a meeting that is still on, at the time it was reminded for."""
    meeting = db.session.get(Meeting, int(payload["meeting_id"]))
    if (
        meeting is None
        or meeting.status is not MeetingStatus.CONFIRMED
        or meeting.sequence != payload.get("sequence")
        or meeting.starts_at is None
    ):
        return
    match = db.session.get(Match, meeting.match_id)
    if match is None:
        return
    people = spaces.users_by_id(spaces.member_user_ids(match))
    for user in people.values():
        when = format_time(meeting.starts_at, zone_for(user, meeting), user.locale)
        notifications.notify(
            user.id,
            "meeting",
            _l("Reminder: %(title)s", title=meeting.title),
            _l(
                "%(title)s\nWhen: %(when)s\nVideo: %(url)s",
                title=meeting.title,
                when=when,
                url=meeting.video_url,
            ),
            link=f"/meetings/{meeting.id}",
            match_id=meeting.match_id,
        )


def reschedule(ctx: LaunchContext, meeting_id: int, *, times: Sequence[str], timezone: str) -> Meeting:
    """Offer new times for a pending or confirmed meeting; it stays where it is until one is accepted."""
    meeting, space = get_meeting(ctx, meeting_id)
    require_member(space)
    if meeting.status not in (MeetingStatus.PROPOSED, MeetingStatus.CONFIRMED):
        raise Conflict(_("Only pending or confirmed meetings can be rescheduled."))
    timezone = timezones.zone(timezone or meeting.timezone).key
    slots = _clean_slots(times, timezone)
    next_round = max((s.round for s in meeting.slots), default=0) + 1
    for starts_at in slots:
        meeting.slots.append(MeetingSlot(starts_at=starts_at, round=next_round))
    meeting.status = MeetingStatus.PROPOSED
    meeting.proposed_by_user_id = ctx.user_id
    meeting.timezone = timezone
    meeting.updated_at = utcnow()
    db.session.flush()
    tell_others(
        ctx,
        space,
        meeting,
        "meeting.rescheduled",
        _l("%(who)s proposed new times for: %(title)s"),
        proposal_text(meeting),
    )
    db.session.commit()
    return meeting


def cancel(ctx: LaunchContext, meeting_id: int, reason: str = "") -> Meeting:
    meeting, space = get_meeting(ctx, meeting_id)
    require_member(space)
    if meeting.status not in (MeetingStatus.PROPOSED, MeetingStatus.CONFIRMED):
        raise Conflict(_("This meeting is already over or cancelled."))
    reason = (reason or "").strip()[:AGENDA_MAX]
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = utcnow()
    meeting.updated_at = utcnow()
    if reason:
        meeting.notes = reason
        meeting.notes_html = usertext.render_markdown(reason)
    subject = _l("Meeting cancelled: %(title)s", title=meeting.title)
    if meeting.starts_at is not None:
        meeting.sequence += 1
        db.session.flush()
        invite_all(space, meeting, subject, method="CANCEL", exclude=None)
    else:
        tell_others(ctx, space, meeting, "meeting.cancelled", _l("%(who)s cancelled: %(title)s"), reason)
    db.session.commit()
    return meeting


def record_outcome(
    ctx: LaunchContext, meeting_id: int, *, outcome: MeetingStatus, notes: str = ""
) -> Meeting:
    """After the start time: "held" (emits ``meeting.held`` once) or "missed", with notes.

    Notes of a meeting already recorded can be updated; the outcome then may not flip back.
    """
    meeting, space = get_meeting(ctx, meeting_id)
    require_member(space)
    if outcome not in (MeetingStatus.HELD, MeetingStatus.MISSED):
        raise InvalidInput(errors={"outcome": [_("Say whether the meeting was held or missed.")]})
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise InvalidInput(
            errors={"notes": [_("Keep the notes under %(limit)d characters.", limit=NOTES_MAX)]}
        )
    if meeting.status in (MeetingStatus.HELD, MeetingStatus.MISSED):
        if meeting.status is not outcome:
            raise Conflict(_("This meeting was already recorded as %(status)s.", status=meeting.status.label))
    elif meeting.status is not MeetingStatus.CONFIRMED or meeting.starts_at is None:
        raise Conflict(_("Only a confirmed meeting can be recorded as held or missed."))
    elif meeting.starts_at > utcnow():
        raise Conflict(_("This meeting has not started yet; record it afterwards."))
    first_time = meeting.status is MeetingStatus.CONFIRMED
    assert meeting.starts_at is not None  # every confirmed, held or missed meeting has a time
    meeting.status = outcome
    meeting.notes = notes
    meeting.notes_html = usertext.render_markdown(notes) if notes else ""
    meeting.updated_at = utcnow()
    if first_time:
        meeting.outcome_at = utcnow()
        if outcome is MeetingStatus.HELD:
            announce_held(meeting, space.programme.id, ctx.user_id)
    db.session.commit()
    return meeting


def announce_held(meeting: Meeting, programme_id: int, actor_user_id: int) -> None:
    """``meeting.held``, once per meeting: milestones, rhythm and surveys listen for it."""
    assert meeting.starts_at is not None
    emit(
        DomainEvent(
            "meeting.held",
            programme_id,
            match_id=meeting.match_id,
            participant_id=spaces.participant_id(programme_id, actor_user_id),
            actor_user_id=actor_user_id,
            data={"meeting_id": meeting.id, "starts_at": meeting.starts_at.isoformat()},
        )
    )


# -- history ---------------------------------------------------------------------------------------


def meeting_history(match_id: int, filters: history.HistoryFilters) -> list[history.HistoryEntry]:
    query = sa.select(Meeting).where(Meeting.match_id == match_id)
    bound = history.keyset_clause(Meeting.created_at, Meeting.id, filters, "meeting")
    if bound is not None:
        query = query.where(bound)
    if filters.since is not None:
        query = query.where(Meeting.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(Meeting.created_at < filters.until)
    if filters.q:
        like = f"%{history.escape_like(filters.q)}%"
        query = query.where(
            sa.or_(
                Meeting.title.ilike(like, escape="\\"),
                Meeting.notes.ilike(like, escape="\\"),
                Meeting.agenda.ilike(like, escape="\\"),
            )
        )
    rows = db.session.execute(
        query.order_by(Meeting.created_at.desc(), Meeting.id.desc()).limit(filters.limit)
    ).scalars()
    entries = []
    for meeting in rows:
        data: dict[str, Any] = {
            "status": meeting.status.value,
            "video_url": meeting.video_url,
            "starts_at": meeting.starts_at.isoformat() if meeting.starts_at else None,
            "duration_minutes": meeting.duration_minutes,
        }
        entries.append(
            history.HistoryEntry(
                at=meeting.created_at,
                kind="meeting",
                key=history.entry_key("meeting", meeting.id),
                actor_user_id=meeting.organiser_user_id,
                title=meeting.title,
                text=meeting.notes or meeting.agenda,
                html=meeting.notes_html or meeting.agenda_html or None,
                link=f"/meetings/{meeting.id}",
                data=data,
            )
        )
    return entries
