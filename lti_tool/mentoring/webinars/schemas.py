"""Shapes of webinar, attendance and training-gate requests and answers."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from lti_tool.mentoring.content.schemas import ItemViewSchema
from lti_tool.mentoring.programmes.models import ParticipantRole
from lti_tool.mentoring.webinars.models import Audience
from lti_tool.safety.urls import WebUrl

MAX_DURATION_MINUTES = 8 * 60


class WebinarCreateSchema(Schema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=255))
    description = fields.Str(load_default="", validate=validate.Length(max=20000))
    audience = fields.Enum(Audience, by_value=True, load_default=Audience.EVERYONE)
    # Wall-clock time in ``timezone`` ("2026-03-29T18:00"), or an instant with its offset.
    starts_at = fields.DateTime(required=True)
    timezone = fields.Str(load_default=None, allow_none=True)
    duration_minutes = fields.Int(required=True, validate=validate.Range(min=5, max=MAX_DURATION_MINUTES))
    host_user_id = fields.Int(load_default=None, allow_none=True)
    capacity = fields.Int(load_default=None, allow_none=True, validate=validate.Range(min=1))
    join_url = WebUrl(https_only=True, load_default=None, allow_none=True)
    repeat_weekly = fields.Int(load_default=1)


class WebinarUpdateSchema(Schema):
    title = fields.Str(validate=validate.Length(min=1, max=255))
    description = fields.Str(validate=validate.Length(max=20000))
    audience = fields.Enum(Audience, by_value=True)
    starts_at = fields.DateTime()
    timezone = fields.Str()
    duration_minutes = fields.Int(validate=validate.Range(min=5, max=MAX_DURATION_MINUTES))
    host_user_id = fields.Int(allow_none=True)
    capacity = fields.Int(allow_none=True, validate=validate.Range(min=1))
    join_url = WebUrl(https_only=True, allow_none=True)
    recording_url = WebUrl(https_only=True, allow_none=True)
    slides_url = WebUrl(https_only=True, allow_none=True)


class TimezoneSchema(Schema):
    timezone = fields.Str(required=True, validate=validate.Length(min=1, max=64))


class AttendanceSchema(Schema):
    attended = fields.Bool(required=True)


class RegistrationSchema(Schema):
    participant_id = fields.Int()
    name = fields.Function(lambda r: r.participant.user.display_name)
    role = fields.Function(lambda r: r.participant.role.value)
    status = fields.Function(lambda r: r.status.value)
    registered_at = fields.DateTime()
    attended = fields.Function(lambda r: r.attended_at is not None)
    attended_at = fields.DateTime()
    attendance_source = fields.Function(lambda r: r.attendance_source.value if r.attendance_source else None)


class WebinarViewSchema(Schema):
    """A webinar as the caller sees it (``WebinarView``)."""

    id = fields.Int(attribute="webinar.id")
    title = fields.Str(attribute="webinar.title")
    description = fields.Str(attribute="webinar.description")
    description_html = fields.Str()
    audience = fields.Function(lambda v: v.webinar.audience.value)
    status = fields.Function(lambda v: v.webinar.status.value)
    starts_at = fields.DateTime(attribute="webinar.starts_at")
    ends_at = fields.DateTime(attribute="webinar.ends_at")
    timezone = fields.Str(attribute="webinar.timezone")
    duration_minutes = fields.Int(attribute="webinar.duration_minutes")
    # In the caller's zone.
    display_timezone = fields.Str(attribute="zone")
    starts_local = fields.Function(lambda v: v.starts_local.isoformat())
    ends_local = fields.Function(lambda v: v.ends_local.isoformat())
    starts_text = fields.Str()
    host = fields.Function(lambda v: v.webinar.host.display_name if v.webinar.host else None)
    capacity = fields.Int(attribute="webinar.capacity", allow_none=True)
    seats_taken = fields.Int()
    seats_left = fields.Int(allow_none=True)
    join_provider = fields.Function(lambda v: v.webinar.join_provider.value)
    # Always Ritmo's join link (it records attendance); the room itself only for managers.
    join_link = fields.Function(lambda v: f"/webinars/{v.webinar.id}/join")
    join_url = fields.Function(lambda v: v.webinar.join_url if v.can_manage else None)
    join_open = fields.Bool()
    has_ended = fields.Bool()
    my_status = fields.Function(lambda v: v.registration.status.value if v.registration else None)
    waitlist_position = fields.Int(allow_none=True)
    attended = fields.Function(lambda v: bool(v.registration and v.registration.attended_at))
    recording_url = fields.Str(attribute="webinar.recording_url", allow_none=True)
    recording_embed_url = fields.Str(allow_none=True)
    slides_url = fields.Str(attribute="webinar.slides_url", allow_none=True)
    series_key = fields.Str(attribute="webinar.series_key", allow_none=True)
    can_manage = fields.Bool()
    materials = fields.Function(lambda v: [item_dict(m) for m in v.materials])
    registrations = fields.Function(
        lambda v: RegistrationSchema(many=True).dump(v.registrations) if v.can_manage else []
    )


def item_dict(view: Any) -> dict[str, Any]:
    return ItemViewSchema().dump(view)


class NoticeSchema(Schema):
    id = fields.Int()
    webinar_id = fields.Int()
    title = fields.Function(lambda n: n.webinar.title)
    kind = fields.Function(lambda n: n.kind.value)
    sent_at = fields.DateTime()


class GateCreateSchema(Schema):
    role = fields.Enum(ParticipantRole, by_value=True, required=True)
    module_id = fields.Int(load_default=None, allow_none=True)
    webinar_id = fields.Int(load_default=None, allow_none=True)


class GateSchema(Schema):
    id = fields.Int(attribute="gate.id")
    role = fields.Function(lambda g: g["gate"].role.value)
    module_id = fields.Int(attribute="gate.module_id", allow_none=True)
    webinar_id = fields.Int(attribute="gate.webinar_id", allow_none=True)
    text = fields.Str()


class WaitingSchema(Schema):
    participant_id = fields.Function(lambda w: w.participant.id)
    name = fields.Function(lambda w: w.user.display_name)
    role = fields.Function(lambda w: w.participant.role.value)
    missing = fields.List(fields.Str())
