"""Shapes of webinar, attendance and training-gate requests and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, pre_dump, validate

from lti_tool.db import utcnow
from lti_tool.mentoring.content.schemas import ContentItemViewSchema
from lti_tool.mentoring.programmes.models import ParticipantRole
from lti_tool.mentoring.webinars.models import (
    AttendanceSource,
    Audience,
    JoinProvider,
    RegistrationStatus,
    ReminderKind,
    WebinarStatus,
)
from lti_tool.safety.urls import WebUrl
from lti_tool.web import ID_RANGE, Text

MAX_DURATION_MINUTES = 8 * 60
#: More seats than any room holds is a typing mistake (and would not fit the column).
MAX_CAPACITY = 100_000
#: How far ahead a webinar may be scheduled; further is a typing mistake (and past year 9999, no date).
MAX_YEARS_AHEAD = 10


def within_reach(value: datetime) -> None:
    if value.year > utcnow().year + MAX_YEARS_AHEAD:
        raise ValidationError(
            str(_l("Choose a start within the next %(years)s years.", years=MAX_YEARS_AHEAD))
        )


class WebinarCreateSchema(Schema):
    title = Text(
        required=True, validate=validate.Length(min=1, max=255), metadata={"example": "Listening skills"}
    )
    description = Text(load_default="", validate=validate.Length(max=20000))
    audience = fields.Enum(Audience, by_value=True, load_default=Audience.EVERYONE)
    starts_at = fields.DateTime(
        required=True,
        validate=within_reach,
        metadata={
            "description": "Wall-clock time in `timezone` (2026-03-29T18:00), or with an offset.",
            "example": "2030-03-29T18:00:00",
        },
    )
    timezone = Text(
        load_default=None, allow_none=True, validate=validate.Length(max=64),
        metadata={"description": "An IANA zone name; the caller's zone when left out.", "example": "UTC"},
    )
    duration_minutes = fields.Int(
        required=True, validate=validate.Range(min=5, max=MAX_DURATION_MINUTES), metadata={"example": 60}
    )
    host_user_id = fields.Int(load_default=None, allow_none=True, validate=ID_RANGE)
    capacity = fields.Int(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=MAX_CAPACITY)
    )
    join_url = WebUrl(
        https_only=True, load_default=None, allow_none=True,
        metadata={"description": "The meeting room; a Jitsi room is made when left out."},
    )
    repeat_weekly = fields.Int(
        load_default=1, metadata={"description": "How many weekly sessions to schedule (1 to 26)."}
    )


class WebinarUpdateSchema(Schema):
    title = Text(validate=validate.Length(min=1, max=255))
    description = Text(validate=validate.Length(max=20000))
    audience = fields.Enum(Audience, by_value=True)
    starts_at = fields.DateTime(validate=within_reach)
    timezone = Text(validate=validate.Length(min=1, max=64))
    duration_minutes = fields.Int(validate=validate.Range(min=5, max=MAX_DURATION_MINUTES))
    host_user_id = fields.Int(allow_none=True, validate=ID_RANGE)
    capacity = fields.Int(allow_none=True, validate=validate.Range(min=1, max=MAX_CAPACITY))
    join_url = WebUrl(https_only=True, allow_none=True)
    recording_url = WebUrl(https_only=True, allow_none=True)
    slides_url = WebUrl(https_only=True, allow_none=True)


class WebinarTimezoneSchema(Schema):
    timezone = Text(
        required=True, validate=validate.Length(min=1, max=64),
        metadata={"description": "An IANA zone name.", "example": "Europe/Rome"},
    )


class WebinarAttendanceSchema(Schema):
    attended = fields.Bool(required=True)


class WebinarAttendanceFormSchema(WebinarAttendanceSchema):
    """The page's form: whom it is about, and whether they attended."""

    participant_id = fields.Int(required=True, validate=ID_RANGE)


class WebinarAttendanceImportSchema(Schema):
    """The multipart form of an attendance import (a ``text/csv`` body is taken as well)."""

    file = fields.Raw(
        required=True,
        load_only=True,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "A CSV with a column `email` or `user_id`, and optionally `attended`.",
        },
    )


class WebinarImportResultSchema(Schema):
    marked = fields.Int(required=True, metadata={"description": "People newly marked present."})
    unmarked = fields.Int(required=True, metadata={"description": "People marked absent."})
    unchanged = fields.Int(required=True)


class WebinarRegistrationSchema(Schema):
    participant_id = fields.Int(required=True)
    name = fields.Str(required=True, attribute="participant.user.display_name")
    role = fields.Enum(ParticipantRole, by_value=True, required=True, attribute="participant.role")
    status = fields.Enum(RegistrationStatus, by_value=True, required=True)
    registered_at = fields.DateTime(required=True)
    attended = fields.Bool(required=True)
    attended_at = fields.DateTime(required=True, allow_none=True)
    attendance_source = fields.Enum(AttendanceSource, by_value=True, required=True, allow_none=True)

    @pre_dump
    def with_attended(self, registration: Any, **kwargs: Any) -> dict[str, Any]:
        return {
            "participant_id": registration.participant_id,
            "participant": registration.participant,
            "status": registration.status,
            "registered_at": registration.registered_at,
            "attended": registration.attended_at is not None,
            "attended_at": registration.attended_at,
            "attendance_source": registration.attendance_source,
        }


class WebinarRegistrationListSchema(Schema):
    registrations = fields.List(fields.Nested(WebinarRegistrationSchema), required=True)


class WebinarViewSchema(Schema):
    """A webinar as the caller sees it (``WebinarView``)."""

    id = fields.Int(required=True, attribute="webinar.id")
    title = fields.Str(required=True, attribute="webinar.title")
    description = fields.Str(required=True, attribute="webinar.description")
    description_html = fields.Str(required=True, metadata={"description": "Empty in lists."})
    audience = fields.Enum(Audience, by_value=True, required=True, attribute="webinar.audience")
    status = fields.Enum(WebinarStatus, by_value=True, required=True, attribute="webinar.status")
    starts_at = fields.DateTime(required=True, attribute="webinar.starts_at")
    ends_at = fields.DateTime(required=True, attribute="webinar.ends_at")
    timezone = fields.Str(
        required=True, attribute="webinar.timezone", metadata={"description": "The zone it was scheduled in."}
    )
    duration_minutes = fields.Int(required=True, attribute="webinar.duration_minutes")
    display_timezone = fields.Str(
        required=True, attribute="zone", metadata={"description": "The caller's zone (`*_local` times)."}
    )
    starts_local = fields.Str(required=True, metadata={"description": "ISO 8601, in `display_timezone`."})
    ends_local = fields.Str(required=True, metadata={"description": "ISO 8601, in `display_timezone`."})
    starts_text = fields.Str(required=True)
    host = fields.Str(required=True, allow_none=True, metadata={"description": "The host's name."})
    capacity = fields.Int(required=True, attribute="webinar.capacity", allow_none=True)
    seats_taken = fields.Int(required=True)
    seats_left = fields.Int(required=True, allow_none=True)
    join_provider = fields.Enum(JoinProvider, by_value=True, required=True, attribute="webinar.join_provider")
    join_link = fields.Str(
        required=True, metadata={"description": "Ritmo's join link: records attendance, opens the room."}
    )
    join_url = fields.Str(
        required=True, allow_none=True,
        metadata={"description": "The room itself; null unless the caller manages the webinar."},
    )
    join_open = fields.Bool(required=True)
    has_ended = fields.Bool(required=True)
    my_status = fields.Enum(RegistrationStatus, by_value=True, required=True, allow_none=True)
    waitlist_position = fields.Int(required=True, allow_none=True)
    attended = fields.Bool(required=True)
    recording_url = fields.Str(required=True, attribute="webinar.recording_url", allow_none=True)
    recording_embed_url = fields.Str(required=True, allow_none=True)
    slides_url = fields.Str(required=True, attribute="webinar.slides_url", allow_none=True)
    series_key = fields.Str(
        required=True, attribute="webinar.series_key", allow_none=True,
        metadata={"description": "Shared by the sessions of a weekly series."},
    )
    can_manage = fields.Bool(required=True)
    materials = fields.List(fields.Nested(ContentItemViewSchema), required=True)
    registrations = fields.List(
        fields.Nested(WebinarRegistrationSchema), required=True,
        metadata={"description": "Empty unless the caller manages the webinar."},
    )

    @pre_dump
    def computed(self, v: Any, **kwargs: Any) -> dict[str, Any]:
        """The view's own values, with what is worked out from them (names, links, the caller's place)."""
        webinar = v.webinar
        return {
            "webinar": webinar,
            "description_html": v.description_html,
            "zone": v.zone,
            "starts_local": v.starts_local.isoformat(),
            "ends_local": v.ends_local.isoformat(),
            "starts_text": v.starts_text,
            "host": webinar.host.display_name if webinar.host else None,
            "seats_taken": v.seats_taken,
            "seats_left": v.seats_left,
            "join_link": f"/webinars/{webinar.id}/join",
            "join_url": webinar.join_url if v.can_manage else None,
            "join_open": v.join_open,
            "has_ended": v.has_ended,
            "my_status": v.registration.status if v.registration else None,
            "waitlist_position": v.waitlist_position,
            "attended": bool(v.registration and v.registration.attended_at),
            "recording_embed_url": v.recording_embed_url,
            "can_manage": v.can_manage,
            "materials": v.materials,
            "registrations": v.registrations if v.can_manage else [],
        }


class WebinarListSchema(Schema):
    upcoming = fields.List(fields.Nested(WebinarViewSchema), required=True)
    past = fields.List(fields.Nested(WebinarViewSchema), required=True)


class WebinarCreatedSchema(Schema):
    webinars = fields.List(
        fields.Nested(WebinarViewSchema), required=True,
        metadata={"description": "One, or each session of a weekly series."},
    )


class WebinarTimezoneOutSchema(Schema):
    timezone = fields.Str(required=True, metadata={"description": "The zone now kept for the caller."})


class WebinarNoticeSchema(Schema):
    id = fields.Int(required=True)
    webinar_id = fields.Int(required=True)
    title = fields.Str(required=True, attribute="webinar.title")
    kind = fields.Enum(ReminderKind, by_value=True, required=True)
    sent_at = fields.DateTime(required=True)


class WebinarNoticeListSchema(Schema):
    notices = fields.List(fields.Nested(WebinarNoticeSchema), required=True)


class TrainingGateCreateSchema(Schema):
    role = fields.Enum(ParticipantRole, by_value=True, required=True)
    module_id = fields.Int(
        load_default=None, allow_none=True, validate=ID_RANGE,
        metadata={"description": "A module the role must complete; give this or `webinar_id`."},
    )
    webinar_id = fields.Int(
        load_default=None, allow_none=True, validate=ID_RANGE,
        metadata={"description": "A webinar the role must attend."},
    )


class TrainingGateSchema(Schema):
    id = fields.Int(required=True, attribute="gate.id")
    role = fields.Enum(ParticipantRole, by_value=True, required=True, attribute="gate.role")
    module_id = fields.Int(required=True, attribute="gate.module_id", allow_none=True)
    webinar_id = fields.Int(required=True, attribute="gate.webinar_id", allow_none=True)
    text = fields.Str(required=True, metadata={"description": "The gate in words."})


class TrainingWaitingSchema(Schema):
    participant_id = fields.Int(required=True, attribute="participant.id")
    name = fields.Str(required=True, attribute="user.display_name")
    role = fields.Enum(ParticipantRole, by_value=True, required=True, attribute="participant.role")
    missing = fields.List(
        fields.Str(), required=True, metadata={"description": "The training still missing, in words."}
    )


class TrainingGatesOverviewSchema(Schema):
    gates = fields.List(fields.Nested(TrainingGateSchema), required=True)
    waiting = fields.List(fields.Nested(TrainingWaitingSchema), required=True)


class TrainingPlaceableSchema(Schema):
    kind = fields.Str(required=True, validate=validate.OneOf(["webinar", "content"]))
    id = fields.Int(required=True)
    title = fields.Str(required=True)
    text = fields.Str(required=True, metadata={"description": "A webinar's start in the caller's zone."})
    target = fields.Str(required=True, metadata={"description": "`webinar:<id>` or `content:<id>`."})
    graded_by = fields.Str(required=True, validate=validate.OneOf(["attendance", "completion"]))
    score_maximum = fields.Int(required=True)


class TrainingPlaceableListSchema(Schema):
    items = fields.List(fields.Nested(TrainingPlaceableSchema), required=True)
