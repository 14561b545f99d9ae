"""Shapes of programme configuration and participants on the API: what a call sends (``...In``,
``...Args`` for a query) and what it answers (``...Out``; the view dumps through it, so the schema
is the answer the API document shows)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from lti_tool import timezones
from lti_tool.mentoring.programmes.models import (
    FIRST_DAY,
    LAST_DAY,
    MatchingMode,
    ParticipantRole,
    ParticipantStatus,
    RoleOrigin,
    RoleSource,
)
from lti_tool.mentoring.programmes.role_rules import disagrees
from lti_tool.web import NO_NUL

MAX_CAPACITY = 50
MAX_DEADLINE_HOURS = 24 * 30
#: Pages of a list: far beyond any programme, small enough for the database's offsets.
MAX_PAGE = 100_000


def _known_zone(name: str) -> None:
    # Every time of the programme is read in this zone: an unknown name would fail each page later.
    if not timezones.is_known(name):
        raise ValidationError(str(_l("Use a time zone name such as Europe/Rome or America/New_York.")))


class ProgrammeIn(Schema):
    """A programme's settings a coordinator changes (any subset: the call is a PATCH)."""

    title = fields.String(validate=validate.Length(min=1, max=255))
    description = fields.String(validate=validate.Length(max=10000))
    matching_mode = fields.Enum(MatchingMode, by_value=True)
    role_source = fields.Enum(RoleSource, by_value=True)
    default_capacity = fields.Integer(validate=validate.Range(min=1, max=MAX_CAPACITY))
    requires_approval = fields.Boolean()
    starts_on = fields.Date(allow_none=True, validate=validate.Range(min=FIRST_DAY, max=LAST_DAY))
    ends_on = fields.Date(allow_none=True, validate=validate.Range(min=FIRST_DAY, max=LAST_DAY))
    timezone = fields.String(
        validate=[validate.Length(min=1, max=64), _known_zone], metadata={"description": "An IANA zone name."}
    )
    request_deadline_hours = fields.Integer(validate=validate.Range(min=1, max=MAX_DEADLINE_HOURS))


def _deadline(programme: Any) -> int | None:
    value = (programme.settings or {}).get("request_deadline_hours")
    return value if isinstance(value, int) else None


class ProgrammeOut(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    matching_mode = fields.Enum(MatchingMode, by_value=True, required=True)
    role_source = fields.Enum(RoleSource, by_value=True, required=True)
    default_capacity = fields.Integer(required=True)
    requires_approval = fields.Boolean(required=True)
    starts_on = fields.Date(required=True, allow_none=True)
    ends_on = fields.Date(required=True, allow_none=True)
    timezone = fields.String(required=True)
    request_deadline_hours = fields.Function(
        _deadline,
        required=True,
        allow_none=True,
        metadata={
            "type": "integer",
            "description": "Hours a mentor has to answer a request (mentee choice); null: 72.",
        },
    )
    settings = fields.Dict(
        required=True, metadata={"description": "Everything else the programme keeps (the last roster sync)."}
    )


class ParticipantIn(Schema):
    """What a coordinator changes about a participant (any subset)."""

    role = fields.Enum(ParticipantRole, by_value=True)
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=MAX_CAPACITY))
    status = fields.Enum(ParticipantStatus, by_value=True)


class ParticipantOut(Schema):
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    name = fields.String(attribute="user.display_name", required=True)
    role = fields.Enum(ParticipantRole, by_value=True, required=True)
    capacity = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Mentees a mentor takes; null: the default."}
    )
    status = fields.Enum(ParticipantStatus, by_value=True, required=True)
    # Who set the role, what the LMS says, and whether the two disagree (see role_rules).
    role_origin = fields.Enum(
        RoleOrigin, by_value=True, required=True, metadata={"description": "Who set the current role."}
    )
    lms_role = fields.Enum(
        ParticipantRole,
        by_value=True,
        required=True,
        allow_none=True,
        metadata={"description": "The role the LMS gives the person, if any."},
    )
    lms_disagrees = fields.Function(
        lambda p: disagrees(p.role, p.role_origin, p.lms_role),
        required=True,
        metadata={"type": "boolean", "description": "The LMS says another role than the one a person set."},
    )


class ParticipantPageOut(Schema):
    items = fields.List(fields.Nested(ParticipantOut), required=True)
    total = fields.Integer(required=True, metadata={"description": "Participants matching the filters."})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class RoleChoiceIn(Schema):
    role = fields.Enum(
        ParticipantRole,
        by_value=True,
        required=True,
        validate=validate.OneOf([ParticipantRole.MENTOR, ParticipantRole.MENTEE]),
    )


class ParticipantListArgs(Schema):
    class Meta:
        unknown = EXCLUDE  # a one-time session code may ride along as ?rh=

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    q = fields.String(
        load_default=None,
        validate=[validate.Length(max=100), NO_NUL],
        metadata={"description": "Part of a name or e-mail."},
    )
    role = fields.Enum(ParticipantRole, by_value=True, load_default=None)
