"""Shapes of programme configuration and participants on the API."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from lti_tool.mentoring.programmes.models import (
    MatchingMode,
    ParticipantRole,
    ParticipantStatus,
    RoleOrigin,
    RoleSource,
)
from lti_tool.mentoring.programmes.role_rules import disagrees

MAX_CAPACITY = 50


class ProgrammeSchema(Schema):
    id = fields.Integer(dump_only=True)
    title = fields.String(validate=validate.Length(min=1, max=255))
    description = fields.String(validate=validate.Length(max=10000))
    matching_mode = fields.Enum(MatchingMode, by_value=True)
    role_source = fields.Enum(RoleSource, by_value=True)
    default_capacity = fields.Integer(validate=validate.Range(min=1, max=MAX_CAPACITY))
    requires_approval = fields.Boolean()
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    timezone = fields.String(validate=validate.Length(min=1, max=64))
    request_deadline_hours = fields.Integer(validate=validate.Range(min=1, max=24 * 30))
    settings = fields.Dict(dump_only=True)


class ParticipantSchema(Schema):
    id = fields.Integer(dump_only=True)
    user_id = fields.Integer(dump_only=True)
    name = fields.Function(lambda p: p.user.display_name, dump_only=True)
    role = fields.Enum(ParticipantRole, by_value=True)
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=MAX_CAPACITY))
    status = fields.Enum(ParticipantStatus, by_value=True)
    # Who set the role, what the LMS says, and whether the two disagree (see role_rules).
    role_origin = fields.Enum(RoleOrigin, by_value=True, dump_only=True)
    lms_role = fields.Enum(ParticipantRole, by_value=True, dump_only=True, allow_none=True)
    lms_disagrees = fields.Function(lambda p: disagrees(p.role, p.role_origin, p.lms_role), dump_only=True)


class RoleChoiceSchema(Schema):
    role = fields.Enum(
        ParticipantRole,
        by_value=True,
        required=True,
        validate=validate.OneOf([ParticipantRole.MENTOR, ParticipantRole.MENTEE]),
    )


class ListArgs(Schema):
    class Meta:
        unknown = EXCLUDE  # a one-time session code may ride along as ?rh=

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    role = fields.Enum(ParticipantRole, by_value=True, load_default=None)
