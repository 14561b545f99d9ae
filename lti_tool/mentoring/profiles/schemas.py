"""Shapes of questions and answers on the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lti_tool.mentoring.profiles.models import Audience, Constraint, QuestionKind
from lti_tool.mentoring.profiles.service import KEY_PATTERN, MAX_OPTIONS, MAX_WEIGHT


class QuestionTextSchema(Schema):
    """A question's words in one language."""

    label = fields.String(validate=validate.Length(max=255))
    help = fields.String(validate=validate.Length(max=2000))


class QuestionSchema(Schema):
    id = fields.Integer(dump_only=True)
    key = fields.String(validate=validate.Regexp(KEY_PATTERN, error="Use lower-case letters, digits and _."))
    position = fields.Integer(validate=validate.Range(min=0, max=10000))
    kind = fields.Enum(QuestionKind, by_value=True, required=True)
    label = fields.String(required=True, validate=validate.Length(min=1, max=255))
    help = fields.String(validate=validate.Length(max=2000))
    audience = fields.Enum(Audience, by_value=True)
    required = fields.Boolean()
    options = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=MAX_OPTIONS)
    )
    weight = fields.Float(validate=validate.Range(min=0, max=MAX_WEIGHT))
    constraint = fields.Enum(Constraint, by_value=True, allow_none=True)
    limit = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1000))
    # ``{"en": {"label": ..., "help": ...}, "it": {...}}``; ``label`` and ``help`` alone are the
    # default language's words (older clients send only those).
    texts = fields.Dict(
        keys=fields.String(validate=validate.Length(min=2, max=8)), values=fields.Nested(QuestionTextSchema)
    )


class QuestionUpdateSchema(QuestionSchema):
    kind = fields.Enum(QuestionKind, by_value=True)
    label = fields.String(validate=validate.Length(min=1, max=255))


class AnswersSchema(Schema):
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)
