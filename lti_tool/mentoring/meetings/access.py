"""Which meetings a caller may see and change: the match space's rule, and the lookups built on it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.db import db, utcnow
from lti_tool.errors import Forbidden, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.conversations import spaces
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.meetings.models import Meeting, MeetingSlot, MeetingStatus


def get_meeting(ctx: LaunchContext, meeting_id: int) -> tuple[Meeting, spaces.Space]:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(_("This meeting does not exist."))
    space = spaces.match_space(ctx, meeting.match_id)
    return meeting, space


def require_member(space: spaces.Space) -> None:
    if not space.can_write:
        raise Forbidden(space.read_only_reason or _("Only the match's members arrange its meetings."))


def current_slots(meeting: Meeting) -> list[MeetingSlot]:
    latest = max((s.round for s in meeting.slots), default=0)
    return [s for s in meeting.slots if s.round == latest]


def list_meetings(ctx: LaunchContext, match_id: int) -> tuple[spaces.Space, list[Meeting]]:
    space = spaces.match_space(ctx, match_id)
    meetings = list(
        db.session.execute(
            sa.select(Meeting)
            .where(Meeting.match_id == match_id)
            .order_by(Meeting.created_at.desc(), Meeting.id.desc())
        ).scalars()
    )
    return space, meetings


def my_matches(ctx: LaunchContext) -> list[Match]:
    """The matches whose meetings the caller takes part in. Coordinators take part in none: they
    look in through each match space instead (their list of spaces is the whole programme)."""
    return [] if ctx.is_coordinator else spaces.my_spaces(ctx)


def upcoming(match_id: int, limit: int = 3) -> list[Meeting]:
    """Confirmed or pending meetings that have not happened yet."""
    now = utcnow()
    return list(
        db.session.execute(
            sa.select(Meeting)
            .where(
                Meeting.match_id == match_id,
                Meeting.status.in_([MeetingStatus.PROPOSED, MeetingStatus.CONFIRMED]),
                sa.or_(Meeting.starts_at.is_(None), Meeting.starts_at >= now - timedelta(hours=3)),
            )
            .order_by(Meeting.starts_at.is_(None), Meeting.starts_at, Meeting.id)
            .limit(limit)
        ).scalars()
    )
