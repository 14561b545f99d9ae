"""Shapes of questions and answers on the API: what a call sends (``...In``) and what it answers
(``...Out``; the view dumps through it, so the schema is the answer the API document shows)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lti_tool.mentoring.profiles.models import Audience, Constraint, QuestionKind
from lti_tool.mentoring.profiles.service import KEY_PATTERN, MAX_OPTIONS, MAX_WEIGHT

_TEXTS = (
    "The label and help in each language, by language code: "
    '``{"en": {"label": ..., "help": ...}, "it": {...}}``.'
)


class ProfileQuestionTextIn(Schema):
    """A question's words in one language."""

    label = fields.String(validate=validate.Length(max=255))
    help = fields.String(validate=validate.Length(max=2000))


class ProfileQuestionIn(Schema):
    """A new question of the programme's questionnaire."""

    key = fields.String(
        validate=validate.Regexp(KEY_PATTERN, error="Use lower-case letters, digits and _."),
        metadata={
            "description": "The answer's name in exports and imports; made from the label if left out."
        },
    )
    position = fields.Integer(validate=validate.Range(min=0, max=10000))
    kind = fields.Enum(QuestionKind, by_value=True, required=True)
    label = fields.String(required=True, validate=validate.Length(min=1, max=255))
    help = fields.String(validate=validate.Length(max=2000))
    audience = fields.Enum(Audience, by_value=True)
    required = fields.Boolean()
    options = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=MAX_OPTIONS)
    )
    weight = fields.Float(
        validate=validate.Range(min=0, max=MAX_WEIGHT),
        metadata={"description": "How much the question counts in the match score (0: not at all)."},
    )
    constraint = fields.Enum(Constraint, by_value=True, allow_none=True)
    limit = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1000))
    # ``label`` and ``help`` alone are the default language's words (older clients send only those).
    texts = fields.Dict(
        keys=fields.String(validate=validate.Length(min=2, max=8)),
        values=fields.Nested(ProfileQuestionTextIn),
        metadata={"description": _TEXTS},
    )


#: The name the seed data and older callers use.
QuestionSchema = ProfileQuestionIn


class ProfileQuestionUpdateIn(ProfileQuestionIn):
    """Any subset of a question's fields; its kind never changes."""

    kind = fields.Enum(QuestionKind, by_value=True)
    label = fields.String(validate=validate.Length(min=1, max=255))


class ProfileQuestionOut(Schema):
    id = fields.Integer(required=True)
    key = fields.String(required=True)
    position = fields.Integer(required=True)
    kind = fields.Enum(QuestionKind, by_value=True, required=True)
    label = fields.String(required=True, metadata={"description": "In the programme's default language."})
    help = fields.String(required=True)
    audience = fields.Enum(Audience, by_value=True, required=True)
    required = fields.Boolean(required=True)
    options = fields.List(fields.String(), required=True)
    weight = fields.Float(required=True)
    constraint = fields.Enum(Constraint, by_value=True, required=True, allow_none=True)
    limit = fields.Float(required=True, allow_none=True)
    texts = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.String()),
        required=True,
        metadata={"description": _TEXTS},
    )


_RULES = "What the programme's matching looks at, in sentences a participant understands."


class ProfileQuestionsOut(Schema):
    items = fields.List(fields.Nested(ProfileQuestionOut), required=True)
    rules = fields.List(fields.String(), required=True, metadata={"description": _RULES})


class ProfileAnswersIn(Schema):
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        required=True,
        metadata={
            "description": (
                "Answers by question key: text, an option, a list of options or languages, a number "
                "from 1 to 5, or the free hours of the week; null clears an answer."
            )
        },
    )


class ProfileStatusOut(Schema):
    complete = fields.Boolean(required=True, metadata={"description": "Every required question is answered."})
    answered = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Questions asked of the person's role."})
    missing = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "By question key, what to answer still."},
    )


class ProfileOut(Schema):
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    status = fields.Nested(ProfileStatusOut, required=True)
    rules = fields.List(fields.String(), required=True, metadata={"description": _RULES})


class ProfileSavedOut(Schema):
    status = fields.Nested(ProfileStatusOut, required=True)
