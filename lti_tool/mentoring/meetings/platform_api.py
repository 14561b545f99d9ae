"""A person's next meeting, for an LMS block ("your next meeting"; API key, ``meetings:read``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint
from flask_babel import gettext as _
from marshmallow import Schema, fields

from lti_tool.accounts.models import User
from lti_tool.api.key_auth import current_key, key_required
from lti_tool.api.spec import document
from lti_tool.db import db, utcnow
from lti_tool.errors import NotFound
from lti_tool.mentoring.matching.models import Match, MatchMentee
from lti_tool.mentoring.matching.statuses import CONFIRMED
from lti_tool.mentoring.meetings import video
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus
from lti_tool.mentoring.programmes.models import Participant

bp = Blueprint("meetings_platform", __name__)

#: A meeting under way still counts as the next one; none runs longer than this.
LONGEST_MEETING = timedelta(hours=8)


class PlatformPartnerOut(Schema):
    name = fields.String(required=True)
    role = fields.String(required=True, metadata={"enum": ["mentor", "mentee"]})


class PlatformNextMeetingOut(Schema):
    meeting_id = fields.Integer(required=True)
    programme_id = fields.Integer(required=True)
    title = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    timezone = fields.String(required=True, metadata={"description": "The zone the time was agreed in."})
    partners = fields.List(
        fields.Nested(PlatformPartnerOut), required=True,
        metadata={"description": "The other members of the pair (or group)."},
    )
    join_url = fields.String(
        required=True, allow_none=True,
        metadata={"description": "The meeting's video link; null when the room opens only inside Ritmo "
                  "(BigBlueButton joins are signed for each person)."},
    )


def next_meeting(platform_id: int, sub: str, now: datetime) -> Meeting | None:
    """The person's next accepted meeting (or the one under way) in a live match, if any."""
    mine = (
        sa.select(Participant.id)
        .join(User, User.id == Participant.user_id)
        .where(User.platform_id == platform_id, User.sub == sub)
    )
    as_mentee = sa.select(MatchMentee.match_id).where(MatchMentee.mentee_id.in_(mine))
    matches = sa.select(Match.id).where(
        Match.status.in_(CONFIRMED), sa.or_(Match.mentor_id.in_(mine), Match.id.in_(as_mentee))
    )
    candidates = db.session.execute(
        sa.select(Meeting)
        .where(
            Meeting.match_id.in_(matches),
            Meeting.status == MeetingStatus.CONFIRMED,
            Meeting.starts_at >= now - LONGEST_MEETING,
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(20)
    ).scalars()
    return next(
        (m for m in candidates if m.starts_at and m.starts_at + timedelta(minutes=m.duration_minutes) > now),
        None,
    )


def _partners(meeting: Meeting, sub: str) -> list[dict[str, str]]:
    match = db.session.get(Match, meeting.match_id)
    assert match is not None
    people = [(match.mentor, "mentor")] + [(member.mentee, "mentee") for member in match.members]
    return [{"name": p.user.display_name, "role": role} for p, role in people if p.user.sub != sub]


@bp.get("/api/platform/people/<sub>/next-meeting")
@document(
    "Read a person's next meeting",
    description="For an LMS block: the next accepted meeting of the person with this LMS user id "
    "(URL-encoded), or the one under way; 404 when they have none (or are unknown on this platform).",
    tags=("platform",),
    responses={200: PlatformNextMeetingOut},
    auth=("apiKey",),
    errors=(429,),
    scopes=("meetings:read",),
)
@key_required("meetings:read")
def person_next_meeting(sub: str) -> dict[str, Any]:
    meeting = next_meeting(current_key().platform_id, sub, utcnow())
    if meeting is None or meeting.starts_at is None:
        raise NotFound(_("This person has no meeting coming up."))
    return PlatformNextMeetingOut().dump(
        {
            "meeting_id": meeting.id,
            "programme_id": meeting.programme_id,
            "title": meeting.title,
            "starts_at": meeting.starts_at,
            "ends_at": meeting.starts_at + timedelta(minutes=meeting.duration_minutes),
            "timezone": meeting.timezone,
            "partners": _partners(meeting, sub),
            "join_url": None if video.room_for(meeting).kind == "bbb" else meeting.video_url,
        }
    )
