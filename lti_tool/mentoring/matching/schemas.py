"""Shapes of matching on the API: what a call sends (``...In``, ``...Args`` for a query) and what
it answers (``...Out``; the view dumps through it, so the schema is the answer the API document
shows)."""

from __future__ import annotations

import enum
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from lti_tool.mentoring.matching.models import (
    ClosureReason,
    EndReason,
    Feeling,
    MatchStatus,
    ReflectionKind,
    RequestStatus,
    RunState,
)
from lti_tool.mentoring.programmes.models import FIRST_DAY, LAST_DAY, ParticipantStatus
from lti_tool.web import MAX_ID, NO_NUL

MAX_BULK = 5000
#: Pages of a list: far beyond any programme, small enough for the database's offsets.
MAX_PAGE = 100_000


def _id(**kwargs: Any) -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _value_of(kind: type[enum.Enum], **kwargs: Any) -> fields.String:
    """An enum member's value the service already wrote as text (in a dict it builds)."""
    return fields.String(validate=validate.OneOf([member.value for member in kind]), **kwargs)


# -- what a call sends ---------------------------------------------------------------------------


class MatchUnmatchedArgs(Schema):
    class Meta:
        unknown = EXCLUDE  # a one-time session code may ride along as ?rh=

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    q = fields.String(
        load_default=None,
        validate=[validate.Length(max=100), NO_NUL],
        metadata={"description": "Part of a name or e-mail."},
    )


class MatchReviewArgs(MatchUnmatchedArgs):
    status = fields.Enum(
        MatchStatus,
        by_value=True,
        load_default=MatchStatus.PROPOSED,
        metadata={"description": "Pairs in this status."},
    )
    order = fields.String(
        load_default="score_desc",
        validate=validate.OneOf(["score_desc", "score_asc"]),
        metadata={"description": "Best score first, or worst."},
    )


class MatchReviewPageArgs(MatchReviewArgs):
    """The review page's query: the list's, and what the last button did (``done``, ``count``)."""

    done = fields.String(
        load_default=None,
        validate=validate.OneOf(
            ["run", "lock", "unlock", "remove", "approve_selected", "approve_all", "assign"]
        ),
    )
    count = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100_000))


class MatchWhyNotArgs(Schema):
    class Meta:
        unknown = EXCLUDE  # a one-time session code may ride along as ?rh=

    mentee_id = _id(required=True, metadata={"description": "The mentee's participant id."})
    mentor_id = _id(required=True, metadata={"description": "The mentor's participant id."})


_MENTEE_IDS = "Participant ids of mentees with a proposed mentor."


class MatchLockIn(Schema):
    mentee_ids = fields.List(
        _id(),
        required=True,
        validate=validate.Length(min=1, max=MAX_BULK),
        metadata={"description": _MENTEE_IDS},
    )
    locked = fields.Boolean(load_default=True, metadata={"description": "false unlocks."})


class MatchRemoveIn(Schema):
    mentee_ids = fields.List(
        _id(),
        required=True,
        validate=validate.Length(min=1, max=MAX_BULK),
        metadata={"description": _MENTEE_IDS},
    )
    reason = fields.String(load_default="", validate=validate.Length(max=1000))


class MatchAssignIn(Schema):
    mentee_id = _id(required=True)
    mentor_id = _id(required=True)
    force = fields.Boolean(
        load_default=False,
        metadata={"description": "Assign even if the pair breaks a rule or the mentor is full."},
    )


class MatchSwapIn(Schema):
    mentee_ids = fields.List(
        _id(),
        required=True,
        validate=validate.Length(equal=2),
        metadata={"description": "Two mentees with proposed mentors; they exchange mentors."},
    )
    force = fields.Boolean(load_default=False, metadata={"description": "Swap even if a pair breaks a rule."})


class MatchApproveIn(Schema):
    match_ids = fields.List(
        _id(),
        load_default=None,
        validate=validate.Length(min=1, max=MAX_BULK),
        metadata={"description": "The proposals to approve; left out: every proposal of the programme."},
    )


class MatchReasonIn(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=1000))


class MatchAskIn(Schema):
    mentor_id = _id(required=True, metadata={"description": "One of the mentors recommended to the mentee."})
    message = fields.String(load_default="", validate=validate.Length(max=2000))


class MatchRequestAnswerIn(Schema):
    accept = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class MatchAvailabilityIn(Schema):
    paused = fields.Boolean(required=True)


class MatchClosureProposalIn(Schema):
    reason = fields.Enum(ClosureReason, by_value=True, required=True)
    reflection = fields.String(load_default="", validate=validate.Length(max=5000))


class MatchReflectionIn(Schema):
    reflection = fields.String(load_default="", validate=validate.Length(max=5000))


class MatchCheckInIn(Schema):
    feeling = fields.Enum(Feeling, by_value=True, required=True)
    text = fields.String(load_default="", validate=validate.Length(max=5000))


class MatchCloseIn(Schema):
    reason = fields.Enum(ClosureReason, by_value=True, load_default=ClosureReason.TIME_UP)
    note = fields.String(load_default="", validate=validate.Length(max=500))


class MatchPlannedEndIn(Schema):
    planned_end_on = fields.Date(
        required=True,
        allow_none=True,
        validate=validate.Range(min=FIRST_DAY, max=LAST_DAY),
        metadata={"description": "null: follow the programme's end date."},
    )


# -- what a call answers -------------------------------------------------------------------------


class MatchPersonOut(Schema):
    id = fields.Integer(required=True, metadata={"description": "The participant id."})
    name = fields.String(required=True)


class MatchCriterionOut(Schema):
    """How one question of the questionnaire counted for a pair."""

    key = fields.String(metadata={"description": "The question's key."})
    label = fields.String()
    weight = fields.Float()
    share = fields.Float(metadata={"description": "The question's part of all weights, 0 to 1."})
    score = fields.Float(metadata={"description": "How well the pair fits on this question, 0 to 1."})
    points = fields.Float(metadata={"description": "What it adds to the pair's score."})
    constraint = fields.String(allow_none=True)
    constraint_met = fields.Boolean()
    say = fields.Dict(
        metadata={"description": "The sentence as a message and its arguments, for translation."}
    )
    text = fields.String(metadata={"description": "The sentence in words."})


class MatchExplanationOut(Schema):
    """Why a pair scores what it does; empty for a pair nobody computed (kept by hand)."""

    score = fields.Float()
    criteria = fields.List(fields.Nested(MatchCriterionOut))


class MatchRunSummaryOut(Schema):
    """A finished run's outcome; empty while it runs or after it failed."""

    mentees = fields.Integer()
    mentors = fields.Integer()
    matched = fields.Integer()
    unmatched = fields.Integer()
    locked = fields.Integer()
    total_score = fields.Float()
    mean_score = fields.Float(allow_none=True)
    timings = fields.Dict(
        keys=fields.String(), values=fields.Float(), metadata={"description": "Seconds by step."}
    )
    rejected_locks = fields.List(
        fields.Dict(),
        metadata={"description": "Locked pairs the run could not keep: mentee_id, mentor_id, reason."},
    )


class MatchRunOut(Schema):
    id = fields.Integer(required=True)
    state = fields.Enum(RunState, by_value=True, required=True)
    progress = fields.Integer(required=True, metadata={"description": "Percent done."})
    stage = fields.String(required=True)
    started_at = fields.DateTime(required=True, allow_none=True)
    finished_at = fields.DateTime(required=True, allow_none=True)
    summary = fields.Nested(MatchRunSummaryOut, required=True)
    error = fields.String(required=True, allow_none=True)


class _PageOut(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class MatchPairOut(Schema):
    match_id = fields.Integer(required=True)
    pair_id = fields.Integer(required=True, metadata={"description": "The mentee's place in the match."})
    status = _value_of(MatchStatus, required=True)
    mentee = fields.Nested(MatchPersonOut, required=True)
    mentor = fields.Nested(MatchPersonOut, required=True)
    score = fields.Float(required=True, allow_none=True)
    locked = fields.Boolean(required=True, metadata={"description": "Re-runs keep the pair."})
    explanation = fields.Nested(MatchExplanationOut, required=True)
    started_at = fields.DateTime(required=True, allow_none=True)


class MatchPairPageOut(_PageOut):
    items = fields.List(fields.Nested(MatchPairOut), required=True)


class MatchUnmatchedOut(Schema):
    mentee = fields.Nested(MatchPersonOut, required=True)
    code = fields.String(required=True, metadata={"description": "Why, as a code."})
    reason = fields.String(required=True, metadata={"description": "Why, in words."})


class MatchUnmatchedPageOut(_PageOut):
    items = fields.List(fields.Nested(MatchUnmatchedOut), required=True)


class MatchCurrentOut(Schema):
    match_id = fields.Integer(required=True)
    mentor_id = fields.Integer(required=True)
    score = fields.Float(required=True, allow_none=True)
    status = _value_of(MatchStatus, required=True)


class MatchWhyNotOut(Schema):
    mentee_id = fields.Integer(required=True)
    mentor_id = fields.Integer(required=True)
    allowed = fields.Boolean(required=True, metadata={"description": "The pair breaks no hard rule."})
    reasons = fields.List(fields.String(), required=True)
    score = fields.Float(required=True)
    explanation = fields.Nested(MatchExplanationOut, required=True)
    current = fields.Nested(
        MatchCurrentOut,
        required=True,
        allow_none=True,
        metadata={"description": "The mentee's current match, if any."},
    )


class MatchLockedOut(Schema):
    changed = fields.Integer(required=True, metadata={"description": "Pairs locked or unlocked."})


class MatchRemovedOut(Schema):
    removed = fields.Integer(required=True, metadata={"description": "Proposals removed."})


class MatchAssignedOut(Schema):
    match_id = fields.Integer(required=True)


class MatchSwappedOut(Schema):
    swapped = fields.List(fields.Integer(), required=True, metadata={"description": "The two mentees."})


class MatchApprovedOut(Schema):
    approved = fields.Integer(required=True, metadata={"description": "Proposals approved."})


class MatchStateOut(Schema):
    match_id = fields.Integer(attribute="id", required=True)
    status = fields.Enum(MatchStatus, by_value=True, required=True)


class MatchDecisionOut(Schema):
    at = fields.DateTime(required=True)
    action = fields.String(required=True, metadata={"description": "What was decided, as a code."})
    actor = fields.String(
        required=True, allow_none=True, metadata={"description": "Who decided; null: Ritmo."}
    )
    detail = fields.Dict(required=True)


class MatchHistoryOut(Schema):
    items = fields.List(fields.Nested(MatchDecisionOut), required=True)


class MatchMenteeCardOut(MatchPersonOut):
    score = fields.Float(required=True, allow_none=True)
    explanation = fields.Nested(MatchExplanationOut, required=True)


class MatchCardOut(Schema):
    match_id = fields.Integer(required=True)
    status = _value_of(MatchStatus, required=True)
    started_at = fields.DateTime(required=True, allow_none=True)
    mentor = fields.Nested(MatchPersonOut, required=True)
    mentees = fields.List(
        fields.Nested(MatchMenteeCardOut),
        required=True,
        metadata={"description": "A mentee sees only their own place in a group."},
    )


class MatchCardsOut(Schema):
    items = fields.List(fields.Nested(MatchCardOut), required=True)
    rules = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "What the programme's matching looks at, in words."},
    )


class MatchRecommendationOut(Schema):
    mentor = fields.Nested(MatchPersonOut, required=True)
    score = fields.Float(required=True)
    explanation = fields.Nested(MatchExplanationOut, required=True)
    room = fields.Integer(required=True, metadata={"description": "Mentees the mentor can still take."})


class MatchRecommendationsOut(Schema):
    items = fields.List(fields.Nested(MatchRecommendationOut), required=True)


class MatchRequestOut(Schema):
    id = fields.Integer(required=True)
    mentee_id = fields.Integer(required=True)
    mentor_id = fields.Integer(required=True)
    mentee_name = fields.String(attribute="mentee.user.display_name", required=True)
    mentor_name = fields.String(attribute="mentor.user.display_name", required=True)
    status = fields.Enum(RequestStatus, by_value=True, required=True)
    score = fields.Float(required=True, allow_none=True)
    explanation = fields.Nested(MatchExplanationOut, required=True)
    message = fields.String(required=True)
    expires_at = fields.DateTime(required=True)
    answered_at = fields.DateTime(required=True, allow_none=True)


class MatchRequestsOut(Schema):
    items = fields.List(fields.Nested(MatchRequestOut), required=True)


class MatchAvailabilityOut(Schema):
    status = fields.Enum(ParticipantStatus, by_value=True, required=True)


# -- the life of a match -------------------------------------------------------------------------


class MatchWritingOut(Schema):
    """A member's mid-point check-in or closing reflection."""

    id = fields.Integer(required=True)
    kind = _value_of(ReflectionKind, required=True)
    participant_id = fields.Integer(required=True)
    name = fields.String(required=True)
    feeling = _value_of(Feeling, required=True, allow_none=True)
    feeling_label = fields.String(required=True, allow_none=True)
    text = fields.String(required=True, metadata={"description": "As written (Markdown)."})
    text_html = fields.String(required=True, metadata={"description": "Rendered and made safe."})
    written_at = fields.DateTime(required=True)


class MatchClosureOut(Schema):
    proposed_by = fields.String(
        required=True, allow_none=True, metadata={"description": "Who proposed closing."}
    )
    proposed_at = fields.DateTime(required=True, allow_none=True)
    reason = _value_of(ClosureReason, required=True, allow_none=True)
    reason_label = fields.String(required=True, allow_none=True)
    mine = fields.Boolean(required=True, metadata={"description": "The caller's side proposed it."})
    can_confirm = fields.Boolean(required=True)


class MatchLifeOut(Schema):
    match_id = fields.Integer(required=True)
    status = _value_of(MatchStatus, required=True)
    end_reason = _value_of(EndReason, required=True, allow_none=True)
    completed = fields.Boolean(
        required=True, metadata={"description": "It ended in a way that counts as done."}
    )
    started_at = fields.DateTime(required=True, allow_none=True)
    ended_at = fields.DateTime(required=True, allow_none=True)
    planned_end_on = fields.Date(required=True, allow_none=True)
    planned_end_source = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(["match", "programme"]),
        metadata={"description": "Whose date the planned end is: the match's own or the programme's."},
    )
    midpoint_at = fields.DateTime(required=True, allow_none=True)
    midpoint_sent_at = fields.DateTime(required=True, allow_none=True)
    closure = fields.Nested(MatchClosureOut, required=True)
    checkins = fields.List(fields.Nested(MatchWritingOut), required=True)
    reflections = fields.List(fields.Nested(MatchWritingOut), required=True)
