"""What the launch's own API answers and takes: who the session belongs to (``/api/me``), the
session's one-time hand-off code, and the deep-linking picker's offer, choice and signed answer."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from lti_tool.accounts.models import CourseRole


class MeUserOut(Schema):
    id = fields.Integer(required=True)
    sub = fields.String(required=True, metadata={"description": "The LMS's id of the person (LTI ``sub``)."})
    name = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)


class MePlatformOut(Schema):
    id = fields.Integer(required=True)
    issuer = fields.String(required=True)
    name = fields.String(required=True)


class MeCourseOut(Schema):
    id = fields.Integer(required=True)
    context_id = fields.String(required=True, metadata={"description": "The LMS's id of the course."})
    title = fields.String(required=True, allow_none=True)


class MeOut(Schema):
    """Who the session token belongs to, in which course, as what."""

    user = fields.Nested(MeUserOut, required=True)
    platform = fields.Nested(MePlatformOut, required=True)
    course = fields.Nested(
        MeCourseOut, required=True, allow_none=True, metadata={"description": "Null outside a course."}
    )
    role = fields.Enum(CourseRole, by_value=True, required=True)
    is_mentor = fields.Boolean(required=True)
    locale = fields.String(required=True, allow_none=True)


class MeExportOut(Schema):
    """A copy of everything Ritmo holds about the caller (``/api/me/export``)."""

    exported_at = fields.String(required=True, metadata={"description": "When, in ISO 8601 (UTC)."})
    user = fields.Dict(required=True, metadata={"description": "The person's own row."})
    rows = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Dict()),
        required=True,
        metadata={"description": "Every other row about the person, by table name."},
    )


class HandoffOut(Schema):
    code = fields.String(
        required=True, metadata={"description": "Put in the next page's URL as ``?rh=``; it works once."}
    )
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds the code is valid."})


class PickerOfferItemOut(Schema):
    kind = fields.String(required=True, metadata={"description": "programme, milestone, webinar, content..."})
    title = fields.String(required=True)
    text = fields.String(required=True)
    target = fields.String(required=True, metadata={"description": "What to send back to place the item."})
    graded = fields.Boolean(required=True, metadata={"description": "Placing it adds a gradebook column."})


class PickerOfferOut(Schema):
    """What the instructor may place in the course from this picker."""

    accept_multiple = fields.Boolean(required=True, metadata={"description": "Several items at once."})
    items = fields.List(fields.Nested(PickerOfferItemOut), required=True)


class PickerChoiceIn(Schema):
    class Meta:
        unknown = EXCLUDE

    items = fields.List(
        fields.String(validate=validate.Length(min=1, max=255)),
        required=True,
        validate=validate.Length(max=100),
        metadata={"description": "The ``target`` of each chosen item."},
    )


class PickerPlacedOut(Schema):
    """The signed deep-linking response, for the browser to post to the LMS."""

    return_url = fields.String(required=True, metadata={"description": "Post ``JWT=<jwt>`` here (a form)."})
    jwt = fields.String(required=True, metadata={"description": "The signed ``LtiDeepLinkingResponse``."})
    content_items = fields.List(
        fields.Dict(),
        required=True,
        metadata={"description": "The LTI content items placed (``ltiResourceLink``), as signed."},
    )
