"""Shapes of matching requests and results on the API."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from lti_tool.mentoring.matching.models import ClosureReason, Feeling, MatchStatus

MAX_BULK = 5000


class RunSchema(Schema):
    id = fields.Integer()
    state = fields.Function(lambda r: r.state.value)
    progress = fields.Integer()
    stage = fields.String()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    summary = fields.Dict()
    error = fields.String(allow_none=True)


class ReviewArgs(Schema):
    class Meta:
        unknown = EXCLUDE  # a one-time session code may ride along as ?rh=

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    status = fields.Enum(MatchStatus, by_value=True, load_default=MatchStatus.PROPOSED)
    order = fields.String(load_default="score_desc", validate=validate.OneOf(["score_desc", "score_asc"]))


class MenteesSchema(Schema):
    mentee_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1, max=MAX_BULK))
    locked = fields.Boolean(load_default=True)
    reason = fields.String(load_default="", validate=validate.Length(max=1000))


class AssignSchema(Schema):
    mentee_id = fields.Integer(required=True)
    mentor_id = fields.Integer(required=True)
    force = fields.Boolean(load_default=False)


class SwapSchema(Schema):
    mentee_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(equal=2))
    force = fields.Boolean(load_default=False)


class ApproveSchema(Schema):
    match_ids = fields.List(
        fields.Integer(), load_default=None, validate=validate.Length(min=1, max=MAX_BULK)
    )


class WhyNotArgs(Schema):
    class Meta:
        unknown = EXCLUDE  # a one-time session code may ride along as ?rh=

    mentee_id = fields.Integer(required=True)
    mentor_id = fields.Integer(required=True)


class ReasonSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=1000))


class AskSchema(Schema):
    mentor_id = fields.Integer(required=True)
    message = fields.String(load_default="", validate=validate.Length(max=2000))


class AnswerSchema(Schema):
    accept = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class PauseSchema(Schema):
    paused = fields.Boolean(required=True)


class RequestSchema(Schema):
    id = fields.Integer()
    mentee_id = fields.Integer()
    mentor_id = fields.Integer()
    mentee_name = fields.Function(lambda r: r.mentee.user.display_name)
    mentor_name = fields.Function(lambda r: r.mentor.user.display_name)
    status = fields.Function(lambda r: r.status.value)
    score = fields.Float(allow_none=True)
    explanation = fields.Dict()
    message = fields.String()
    expires_at = fields.DateTime()
    answered_at = fields.DateTime(allow_none=True)


# -- the life of a match -------------------------------------------------------------------------


class ProposeClosureSchema(Schema):
    reason = fields.Enum(ClosureReason, by_value=True, required=True)
    reflection = fields.String(load_default="", validate=validate.Length(max=5000))


class ReflectionSchema(Schema):
    reflection = fields.String(load_default="", validate=validate.Length(max=5000))


class CheckInSchema(Schema):
    feeling = fields.Enum(Feeling, by_value=True, required=True)
    text = fields.String(load_default="", validate=validate.Length(max=5000))


class CloseSchema(Schema):
    reason = fields.Enum(ClosureReason, by_value=True, load_default=ClosureReason.TIME_UP)
    note = fields.String(load_default="", validate=validate.Length(max=500))


class PlannedEndSchema(Schema):
    planned_end_on = fields.Date(required=True, allow_none=True)
