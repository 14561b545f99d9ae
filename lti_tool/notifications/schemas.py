"""Shapes of the notifications API."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from lti_tool.notifications.models import EmailMode, Notification


class QuietHoursSchema(Schema):
    """Wall-clock times in the person's zone (``HH:MM``); start after end spans midnight."""

    class Meta:
        unknown = EXCLUDE

    start = fields.Time(required=True, format="%H:%M")
    end = fields.Time(required=True, format="%H:%M")

    @validates_schema
    def _differ(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["start"] == data["end"]:
            raise ValidationError(_("Choose an end time other than the start time."), "end")


class PreferenceSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    email = fields.Enum(EmailMode, by_value=True, required=True)
    # Absent: unchanged; null: no quiet hours.
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True)


def quiet_hours_json(hours: tuple[time, time] | None) -> dict[str, str] | None:
    if hours is None:
        return None
    return {"start": hours[0].strftime("%H:%M"), "end": hours[1].strftime("%H:%M")}


class MarkReadSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    ids = fields.List(fields.Integer(), load_default=None, validate=validate.Length(max=500))


def notification_json(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "kind": n.kind,
        "subject": n.subject,
        "text": n.text,
        "link": n.link,
        "created_at": n.created_at.isoformat(),
        "read": n.read_at is not None,
        "email": n.email_state.value,
    }
