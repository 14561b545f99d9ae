"""Shapes of the notifications API: what it takes and what it answers (the views dump through the
``...Out`` schemas, which the API document names)."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from lti_tool.notifications.models import EmailMode, EmailState, Notification
from lti_tool.web import ID_RANGE

#: Ids are 32-bit on every database (a larger number would be an error on PostgreSQL, not a miss).
ID = ID_RANGE


class NotificationQuietHoursIn(Schema):
    """Wall-clock times in the person's zone (``HH:MM``); start after end spans midnight."""

    class Meta:
        unknown = EXCLUDE

    start = fields.Time(required=True, format="%H:%M")
    end = fields.Time(required=True, format="%H:%M")

    @validates_schema
    def _differ(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["start"] == data["end"]:
            raise ValidationError(_("Choose an end time other than the start time."), "end")


class NotificationPreferencesIn(Schema):
    class Meta:
        unknown = EXCLUDE

    email = fields.Enum(EmailMode, by_value=True, required=True)
    # Absent: unchanged; null: no quiet hours.
    quiet_hours = fields.Nested(NotificationQuietHoursIn, allow_none=True)


def quiet_hours_json(hours: tuple[time, time] | None) -> dict[str, str] | None:
    if hours is None:
        return None
    return {"start": hours[0].strftime("%H:%M"), "end": hours[1].strftime("%H:%M")}


class NotificationsMarkReadIn(Schema):
    class Meta:
        unknown = EXCLUDE

    ids = fields.List(
        fields.Integer(validate=ID),
        load_default=None,
        validate=validate.Length(max=500),
        metadata={"description": "The notifications to mark read (the caller's own); absent or null: all."},
    )


class NotificationsQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    before = fields.Integer(
        load_default=None,
        validate=ID,
        metadata={
            "description": "The cursor: the ``next_before`` of the previous page. Absent: the newest page."
        },
    )


class NotificationOut(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(
        required=True, metadata={"description": "What it is about, e.g. ``meeting.proposed``."}
    )
    subject = fields.String(required=True)
    text = fields.String(required=True)
    link = fields.String(
        required=True, allow_none=True, metadata={"description": "The Ritmo page it is about."}
    )
    created_at = fields.DateTime(required=True)
    read = fields.Boolean(required=True)
    email = fields.Enum(
        EmailState, by_value=True, required=True, metadata={"description": "What became of its e-mail."}
    )


def notification_json(n: Notification) -> dict[str, Any]:
    """A notification as ``NotificationOut`` reads it."""
    return {
        "id": n.id,
        "kind": n.kind,
        "subject": n.subject,
        "text": n.text,
        "link": n.link,
        "created_at": n.created_at,
        "read": n.read_at is not None,
        "email": n.email_state,
    }


class NotificationsPageOut(Schema):
    """A page of the caller's notifications, newest first."""

    notifications = fields.List(fields.Nested(NotificationOut), required=True)
    next_before = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as ``before`` for the next (older) page; null on the last page."},
    )
    unread = fields.Integer(required=True, metadata={"description": "Unread notifications in all."})


class NotificationsMarkedOut(Schema):
    marked = fields.Integer(required=True, metadata={"description": "How many were unread and are now read."})


class NotificationQuietHoursOut(Schema):
    start = fields.String(required=True, metadata={"description": "``HH:MM`` in the person's zone."})
    end = fields.String(
        required=True, metadata={"description": "``HH:MM``; before ``start``: over midnight."}
    )


class NotificationPreferencesOut(Schema):
    """How the caller wants e-mail, as saved."""

    email = fields.Enum(EmailMode, by_value=True, required=True)
    quiet_hours = fields.Nested(
        NotificationQuietHoursOut,
        required=True,
        allow_none=True,
        metadata={"description": "Immediate e-mails wait until their end; null: none."},
    )


class NotificationSettingsOut(NotificationPreferencesOut):
    """The caller's e-mail preferences, with what the page offers."""

    address = fields.String(required=True, allow_none=True, metadata={"description": "Where e-mail goes."})
    modes = fields.List(fields.Enum(EmailMode, by_value=True), required=True)
    timezone = fields.String(required=True, metadata={"description": "The zone of the quiet hours."})
