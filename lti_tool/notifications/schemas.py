"""Shapes of the notifications API."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from lti_tool.notifications.models import EmailMode, Notification


class PreferenceSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    email = fields.Enum(EmailMode, by_value=True, required=True)


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
