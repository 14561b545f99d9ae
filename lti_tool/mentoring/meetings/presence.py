"""Who is in a meeting's room, from Ritmo's own records, and when a meeting counts as held.

While a member has the room page open, it sends a heartbeat every ``HEARTBEAT`` (the page's own
timer); each beat extends that member's current stretch of presence, or starts a new one after a
gap. The video service is not asked: Jitsi or BigBlueButton say nothing to Ritmo, and the record
must not depend on their logs. A meeting is held when the mentor and at least one mentee were there
at the same time inside the meeting's window; it is then recorded as held and ``meeting.held`` is
emitted, as when a member records it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.conversations import spaces
from lti_tool.mentoring.meetings.access import get_meeting, require_member
from lti_tool.mentoring.meetings.models import Meeting, MeetingPresence, MeetingStatus
from lti_tool.mentoring.meetings.service import announce_held

#: How often the room page beats.
HEARTBEAT = timedelta(seconds=20)
#: A beat counts as presence until this long after it; a longer silence ends the stretch.
GAP = timedelta(seconds=45)
#: The room opens this long before the start and presence counts until this long after the end.
EARLY = timedelta(minutes=15)
LATE = timedelta(minutes=60)
#: Meetings whose room may be used.
OPEN = (MeetingStatus.CONFIRMED, MeetingStatus.HELD)


@dataclass(frozen=True)
class RoomState:
    meeting: Meeting
    present_user_ids: list[int]
    held: bool
    opens_at: datetime | None
    closes_at: datetime | None


def window(meeting: Meeting) -> tuple[datetime, datetime] | None:
    """From ``EARLY`` before the start to ``LATE`` after the planned end; None without a time."""
    if meeting.starts_at is None:
        return None
    end = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
    return meeting.starts_at - EARLY, end + LATE


def _stretches(meeting_id: int) -> dict[int, list[tuple[datetime, datetime]]]:
    rows = db.session.execute(
        sa.select(MeetingPresence).where(MeetingPresence.meeting_id == meeting_id)
    ).scalars()
    out: dict[int, list[tuple[datetime, datetime]]] = {}
    for row in rows:
        out.setdefault(row.user_id, []).append((row.joined_at, row.last_seen_at + GAP))
    return out


def _overlap(
    a: list[tuple[datetime, datetime]], b: list[tuple[datetime, datetime]], bounds: tuple[datetime, datetime]
) -> bool:
    low, high = bounds
    for a_start, a_end in a:
        for b_start, b_end in b:
            if max(a_start, b_start, low) < min(a_end, b_end, high):
                return True
    return False


def both_sides_met(meeting: Meeting, mentor_user_id: int | None, mentee_user_ids: list[int]) -> bool:
    """The mentor and at least one mentee were in the room together, inside the meeting's window."""
    bounds = window(meeting)
    if bounds is None or mentor_user_id is None:
        return False
    stretches = _stretches(meeting.id)
    mentor = stretches.get(mentor_user_id, [])
    return any(_overlap(mentor, stretches.get(uid, []), bounds) for uid in mentee_user_ids)


def present_user_ids(meeting_id: int, now: datetime | None = None) -> list[int]:
    """Members whose last beat is recent enough: in the room now."""
    since = (now or utcnow()) - GAP
    return sorted(
        set(
            db.session.execute(
                sa.select(MeetingPresence.user_id).where(
                    MeetingPresence.meeting_id == meeting_id, MeetingPresence.last_seen_at >= since
                )
            ).scalars()
        )
    )


def _state(meeting: Meeting) -> RoomState:
    bounds = window(meeting)
    return RoomState(
        meeting=meeting,
        present_user_ids=present_user_ids(meeting.id),
        held=meeting.status is MeetingStatus.HELD,
        opens_at=bounds[0] if bounds else None,
        closes_at=bounds[1] if bounds else None,
    )


def open_room(ctx: LaunchContext, meeting_id: int) -> tuple[Meeting, spaces.Space]:
    """The meeting, if the caller is a member and its room is open to use (confirmed or held)."""
    meeting, space = get_meeting(ctx, meeting_id)
    require_member(space)
    if meeting.status not in OPEN or meeting.starts_at is None:
        raise Conflict(_("This meeting's room opens once a time is agreed."))
    return meeting, space


def room_state(ctx: LaunchContext, meeting_id: int) -> RoomState:
    meeting, _space = open_room(ctx, meeting_id)
    return _state(meeting)


def _claim_held(meeting: Meeting, now: datetime) -> bool:
    """Confirmed -> held in one conditional update: two members' simultaneous beats emit once."""
    claimed = db.session.execute(
        sa.update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.status == MeetingStatus.CONFIRMED)
        .values(status=MeetingStatus.HELD, outcome_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(meeting)
    return bool(getattr(claimed, "rowcount", 0) == 1)


def heartbeat(ctx: LaunchContext, meeting_id: int) -> RoomState:
    """Record that the caller has the room open now; mark the meeting held once both sides met."""
    meeting, space = open_room(ctx, meeting_id)
    now = utcnow()
    latest = db.session.execute(
        sa.select(MeetingPresence)
        .where(MeetingPresence.meeting_id == meeting.id, MeetingPresence.user_id == ctx.user_id)
        .order_by(MeetingPresence.last_seen_at.desc(), MeetingPresence.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is not None and latest.last_seen_at + GAP >= now:
        latest.last_seen_at = now
    else:
        db.session.add(
            MeetingPresence(meeting_id=meeting.id, user_id=ctx.user_id, joined_at=now, last_seen_at=now)
        )
    db.session.flush()
    if meeting.status is MeetingStatus.CONFIRMED and space.match is not None:
        mentor_user_id = space.match.mentor.user_id
        mentees = [uid for uid in space.member_user_ids if uid != mentor_user_id]
        if both_sides_met(meeting, mentor_user_id, mentees) and _claim_held(meeting, now):
            announce_held(meeting, space.programme.id, ctx.user_id)
    db.session.commit()
    return _state(meeting)
