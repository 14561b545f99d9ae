"""Shapes of the meetings API."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import EXCLUDE, Schema, fields, validate

from lti_tool.accounts.models import User
from lti_tool.mentoring.meetings import access, service
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus
from lti_tool.safety.urls import WebUrl


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE


class ProposeSchema(_Base):
    title = fields.String(required=True, validate=validate.Length(min=1, max=400))
    times = fields.List(
        fields.String(validate=validate.Length(max=64)),
        required=True,
        validate=validate.Length(min=1, max=service.MAX_SLOTS),
    )
    timezone = fields.String(load_default="UTC", validate=validate.Length(max=64))
    duration_minutes = fields.Integer(load_default=service.DEFAULT_DURATION_MINUTES)
    agenda = fields.String(load_default="", validate=validate.Length(max=service.AGENDA_MAX * 2))
    video_url = WebUrl(https_only=True, load_default=None, allow_none=True)


class AcceptSchema(_Base):
    slot_id = fields.Integer(required=True)


class RescheduleSchema(_Base):
    times = fields.List(
        fields.String(validate=validate.Length(max=64)),
        required=True,
        validate=validate.Length(min=1, max=service.MAX_SLOTS),
    )
    timezone = fields.String(load_default="UTC", validate=validate.Length(max=64))


class CancelSchema(_Base):
    reason = fields.String(load_default="", validate=validate.Length(max=service.AGENDA_MAX))


class OutcomeSchema(_Base):
    outcome = fields.Enum(MeetingStatus, by_value=True, required=True)
    notes = fields.String(load_default="", validate=validate.Length(max=service.NOTES_MAX * 2))


def meeting_json(meeting: Meeting, tz: ZoneInfo, people: dict[int, User] | None = None) -> dict[str, Any]:
    people = people or {}
    organiser = people.get(meeting.organiser_user_id or 0)
    return {
        "id": meeting.id,
        "match_id": meeting.match_id,
        "title": meeting.title,
        "agenda": meeting.agenda,
        "agenda_html": meeting.agenda_html,
        "status": meeting.status.value,
        "duration_minutes": meeting.duration_minutes,
        "starts_at": meeting.starts_at.isoformat() if meeting.starts_at else None,
        "starts_at_local": meeting.starts_at.astimezone(tz).isoformat() if meeting.starts_at else None,
        "display_timezone": tz.key,
        "proposed_by": meeting.proposed_by_user_id,
        "organiser": {"id": organiser.id, "name": organiser.display_name} if organiser else None,
        "slots": [
            {
                "id": s.id,
                "starts_at": s.starts_at.isoformat(),
                "starts_at_local": s.starts_at.astimezone(tz).isoformat(),
            }
            for s in access.current_slots(meeting)
        ],
        "video": {"provider": meeting.video_provider.value, "url": meeting.video_url},
        "ical_uid": meeting.ical_uid,
        "sequence": meeting.sequence,
        "notes": meeting.notes,
        "notes_html": meeting.notes_html,
        "invite_url": f"/api/meetings/{meeting.id}/invite.ics" if meeting.starts_at else None,
    }
