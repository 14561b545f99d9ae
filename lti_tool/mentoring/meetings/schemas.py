"""Shapes of the meetings API: what comes in and what goes out (marshmallow).

Views dump every answer through an ``*Out`` schema here, so the schemas are the API's contract (the
OpenAPI document is generated from them); ``meeting_view`` gathers the values the schema reads.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import EXCLUDE, Schema, fields, validate

from lti_tool.accounts.models import User
from lti_tool.mentoring.meetings import access, service
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus, VideoProvider
from lti_tool.safety.urls import WebUrl
from lti_tool.web import MAX_ID, Text

#: Ids in bodies: a bound keeps an absurd number from reaching the database.
_TIMES = (
    "Times offered, each `YYYY-MM-DDTHH:MM` in `timezone`, or ISO 8601 with an offset; in the future, "
    "within a year."
)


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE


class MeetingsProposeIn(_Base):
    title = Text(required=True, validate=validate.Length(min=1, max=400))
    times = fields.List(
        fields.String(validate=validate.Length(max=64)),
        required=True,
        validate=validate.Length(min=1, max=service.MAX_SLOTS),
        metadata={"description": _TIMES},
    )
    timezone = fields.String(
        load_default="UTC",
        validate=validate.Length(max=64),
        metadata={"description": "An IANA time zone name, such as Europe/Rome."},
    )
    duration_minutes = fields.Integer(
        load_default=service.DEFAULT_DURATION_MINUTES,
        metadata={
            "description": f"Between {service.MIN_DURATION_MINUTES} and {service.MAX_DURATION_MINUTES}.",
        },
    )
    agenda = Text(
        load_default="",
        validate=validate.Length(max=service.AGENDA_MAX * 2),
        metadata={"description": f"Markdown, at most {service.AGENDA_MAX} characters."},
    )
    video_url = WebUrl(
        https_only=True,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "An https:// Zoom, Teams, Google Meet or Jitsi address; empty or absent for "
            "a Jitsi room Ritmo makes."
        },
    )


class MeetingsAcceptIn(_Base):
    slot_id = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "One of the meeting's `slots`."},
    )


class MeetingsRescheduleIn(_Base):
    times = fields.List(
        fields.String(validate=validate.Length(max=64)),
        required=True,
        validate=validate.Length(min=1, max=service.MAX_SLOTS),
        metadata={"description": _TIMES},
    )
    timezone = fields.String(
        load_default="UTC",
        validate=validate.Length(max=64),
        metadata={"description": "An IANA time zone name, such as Europe/Rome."},
    )


class MeetingsCancelIn(_Base):
    reason = Text(load_default="", validate=validate.Length(max=service.AGENDA_MAX))


class MeetingsOutcomeIn(_Base):
    outcome = fields.Enum(
        MeetingStatus, by_value=True, required=True, metadata={"description": "`held` or `missed`."}
    )
    notes = Text(
        load_default="",
        validate=validate.Length(max=service.NOTES_MAX * 2),
        metadata={"description": f"Markdown, at most {service.NOTES_MAX} characters."},
    )


# -- out -----------------------------------------------------------------------------------------


class MeetingsPersonOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class MeetingsSlotOut(Schema):
    id = fields.Integer(required=True)
    starts_at = fields.DateTime(required=True)
    starts_at_local = fields.DateTime(
        required=True, metadata={"description": "The same time in `display_timezone`."}
    )


class MeetingsVideoOut(Schema):
    provider = fields.Enum(VideoProvider, by_value=True, required=True)
    url = fields.String(required=True)


class MeetingsMeetingOut(Schema):
    id = fields.Integer(required=True)
    match_id = fields.Integer(required=True)
    title = fields.String(required=True)
    agenda = fields.String(required=True)
    agenda_html = fields.String(required=True, metadata={"description": "The agenda rendered and sanitised."})
    status = fields.Enum(MeetingStatus, by_value=True, required=True)
    duration_minutes = fields.Integer(required=True)
    starts_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "The accepted time; null while proposed."}
    )
    starts_at_local = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "The same time in `display_timezone`."}
    )
    display_timezone = fields.String(required=True, metadata={"description": "The caller's time zone."})
    proposed_by = fields.Integer(
        required=True, allow_none=True, metadata={"description": "The user id of who proposed the times."}
    )
    organiser = fields.Nested(MeetingsPersonOut, required=True, allow_none=True)
    slots = fields.List(
        fields.Nested(MeetingsSlotOut),
        required=True,
        metadata={"description": "The times of the latest proposal, earliest first."},
    )
    video = fields.Nested(MeetingsVideoOut, required=True)
    ical_uid = fields.String(required=True, metadata={"description": "The calendar event's UID."})
    sequence = fields.Integer(required=True, metadata={"description": "The calendar event's SEQUENCE."})
    notes = fields.String(required=True)
    notes_html = fields.String(required=True)
    invite_url = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The calendar invitation; null until a time is agreed."},
    )


class MeetingsListOut(Schema):
    meetings = fields.List(
        fields.Nested(MeetingsMeetingOut), required=True, metadata={"description": "Newest first."}
    )
    display_timezone = fields.String(required=True)


class MeetingsPresentOut(Schema):
    user_id = fields.Integer(required=True)
    name = fields.String(required=True)


class MeetingsPresenceOut(Schema):
    meeting_id = fields.Integer(required=True)
    status = fields.Enum(MeetingStatus, by_value=True, required=True)
    held = fields.Boolean(required=True, metadata={"description": "Both sides were in the room together."})
    present = fields.List(fields.Nested(MeetingsPresentOut), required=True)
    heartbeat_seconds = fields.Integer(
        required=True, metadata={"description": "How often the room page should send its heartbeat."}
    )


def meeting_view(meeting: Meeting, tz: ZoneInfo, people: dict[int, User] | None = None) -> dict[str, Any]:
    """What ``MeetingsMeetingOut`` reads, with times also in the viewer's zone ``tz``."""
    people = people or {}
    organiser = people.get(meeting.organiser_user_id or 0)
    return {
        "id": meeting.id,
        "match_id": meeting.match_id,
        "title": meeting.title,
        "agenda": meeting.agenda,
        "agenda_html": meeting.agenda_html,
        "status": meeting.status,
        "duration_minutes": meeting.duration_minutes,
        "starts_at": meeting.starts_at,
        "starts_at_local": meeting.starts_at.astimezone(tz) if meeting.starts_at else None,
        "display_timezone": tz.key,
        "proposed_by": meeting.proposed_by_user_id,
        "organiser": {"id": organiser.id, "name": organiser.display_name} if organiser else None,
        "slots": [
            {"id": s.id, "starts_at": s.starts_at, "starts_at_local": s.starts_at.astimezone(tz)}
            for s in access.current_slots(meeting)
        ],
        "video": {"provider": meeting.video_provider, "url": meeting.video_url},
        "ical_uid": meeting.ical_uid,
        "sequence": meeting.sequence,
        "notes": meeting.notes,
        "notes_html": meeting.notes_html,
        "invite_url": f"/api/meetings/{meeting.id}/invite.ics" if meeting.starts_at else None,
    }
