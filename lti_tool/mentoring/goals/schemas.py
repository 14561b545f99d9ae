"""Shapes of milestones, goals, completions and timelines on the API and in forms."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, pre_dump, pre_load, validate

from lti_tool import translated
from lti_tool.mentoring.goals.models import CompletionMode, CompletionSource, CompletionState, GoalStatus
from lti_tool.mentoring.matching.models import MatchStatus


class _Form(Schema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def blanks_are_missing(self, data: Any, **kwargs: Any) -> Any:
        """HTML forms send "" for empty fields and "on" for ticked boxes."""
        if hasattr(data, "to_dict"):
            data = data.to_dict()
        if not isinstance(data, dict):
            return data
        out: dict[str, Any] = {}
        for key, value in data.items():
            if value == "" and key not in ("description", "evidence", "measure", "note"):
                out[key] = None
            else:
                out[key] = value
        return out


class MilestoneTextIn(Schema):
    """A milestone's words in one language."""

    title = fields.String(validate=validate.Length(max=255))
    description = fields.String(validate=validate.Length(max=5000))


class MilestoneIn(_Form):
    title = fields.String(validate=validate.Length(max=255))
    description = fields.String(allow_none=True)
    # ``{"en": {"title": ..., "description": ...}, "it": {...}}``; a form sends ``title_it`` and so
    # on instead, and ``title`` alone is the default language's (older clients send only that).
    texts = fields.Dict(
        keys=fields.String(validate=validate.Length(min=2, max=8)), values=fields.Nested(MilestoneTextIn)
    )
    evidence = fields.String(allow_none=True)
    due_on = fields.Date(allow_none=True)
    due_offset_days = fields.Integer(allow_none=True)
    graded = fields.Boolean(allow_none=True)
    points = fields.Float(allow_none=True, allow_nan=False)
    completion_mode = fields.Enum(CompletionMode, by_value=True, allow_none=True)
    requires_confirmation = fields.Boolean(allow_none=True)
    rule_event = fields.String(allow_none=True)
    rule_count = fields.Integer(allow_none=True)

    @pre_load
    def words_per_language(self, data: Any, **kwargs: Any) -> Any:
        """A form's ``title_<lang>``/``description_<lang>`` fields become ``texts``."""
        if hasattr(data, "to_dict"):
            data = data.to_dict()
        if not isinstance(data, dict):
            return data
        texts = translated.from_fields(data, ("title", "description"))
        if texts is None:
            return data
        langs = translated.languages()
        out = {k: v for k, v in data.items() if k.rsplit("_", 1)[-1] not in langs or "_" not in k}
        out["texts"] = texts
        out["title"] = translated.single(texts, "title") or None
        out["description"] = translated.single(texts, "description")
        return out



class GoalIn(_Form):
    title = fields.String(validate=validate.Length(max=255))
    measure = fields.String(allow_none=True)
    due_on = fields.Date(allow_none=True)
    status = fields.Enum(GoalStatus, by_value=True, allow_none=True)


class GoalNoteIn(_Form):
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class MilestoneCompletionIn(_Form):
    participant_id = fields.Integer(
        allow_none=True,
        metadata={"description": "The mentee it is for; needed when the caller is not that mentee."},
    )
    note = fields.String(load_default="", metadata={"description": "With `done`: what was achieved."})


class GradeTotalIn(_Form):
    enabled = fields.Boolean(required=True)


class GradeTotalOut(Schema):
    enabled = fields.Boolean(
        required=True, metadata={"description": "Whether each learner's total goes to its own LMS column."}
    )


# --- answers -------------------------------------------------------------------------------------


class MilestoneOut(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    texts = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.String()),
        required=True,
        metadata={"description": "The title and description in each language, by language code."},
    )
    evidence = fields.String(required=True)
    due_on = fields.Date(required=True, allow_none=True)
    due_offset_days = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Days after the match started."}
    )
    graded = fields.Boolean(required=True)
    points = fields.Float(required=True)
    completion_mode = fields.Enum(CompletionMode, by_value=True, required=True)
    requires_confirmation = fields.Boolean(required=True)
    rule_event = fields.String(required=True, allow_none=True)
    rule_count = fields.Integer(required=True)
    position = fields.Integer(required=True)


class MilestoneListOut(Schema):
    milestones = fields.List(fields.Nested(MilestoneOut), required=True)


class GoalNoteOut(Schema):
    id = fields.Integer(required=True)
    author_user_id = fields.Integer(required=True, allow_none=True)
    text = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class GoalOut(Schema):
    id = fields.Integer(required=True)
    match_id = fields.Integer(required=True)
    title = fields.String(required=True)
    measure = fields.String(required=True)
    due_on = fields.Date(required=True, allow_none=True)
    status = fields.Enum(GoalStatus, by_value=True, required=True)
    notes = fields.List(fields.Nested(GoalNoteOut), required=True)


class MilestoneCompletionOut(Schema):
    """A mentee's completion of a milestone; after ``undo`` only ``state`` (null) is present."""

    milestone_id = fields.Integer()
    participant_id = fields.Integer()
    match_id = fields.Integer(allow_none=True)
    state = fields.Enum(
        CompletionState, by_value=True, required=True, allow_none=True,
        metadata={"description": "Null once the completion was undone."},
    )
    source = fields.Enum(CompletionSource, by_value=True)
    note = fields.String()
    completed_at = fields.DateTime(allow_none=True)


class PlanAgreedOut(Schema):
    plan_agreed = fields.Boolean(
        required=True, metadata={"description": "True once every member of the match has agreed."}
    )


class GoalsMatchOut(Schema):
    id = fields.Integer(required=True)
    status = fields.Enum(MatchStatus, by_value=True, required=True)


class GoalsMatchListOut(Schema):
    matches = fields.List(fields.Nested(GoalsMatchOut), required=True)


class MilestoneLineItemOut(Schema):
    """The LTI ``lineItem`` a deep-linking response declares for a graded placement."""

    score_maximum = fields.Float(required=True, attribute="scoreMaximum", data_key="scoreMaximum")
    label = fields.String(required=True)
    resource_id = fields.String(required=True, attribute="resourceId", data_key="resourceId")
    tag = fields.String(required=True)


class PlaceableMilestoneOut(Schema):
    title = fields.String(required=True)
    target = fields.String(
        required=True, metadata={"description": "The launch target: `milestone:<id>` or the programme total."}
    )
    line_item = fields.Nested(
        MilestoneLineItemOut, metadata={"description": "Graded placements only; absent for ungraded ones."}
    )


class PlaceableMilestoneListOut(Schema):
    items = fields.List(fields.Nested(PlaceableMilestoneOut), required=True)


class TimelinePersonOut(Schema):
    participant_id = fields.Integer(required=True)
    name = fields.String(required=True)


class TimelineMilestoneOut(MilestoneOut):
    due = fields.Date(
        required=True, allow_none=True, metadata={"description": "This match's due date for the milestone."}
    )
    completions = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(MilestoneCompletionOut, allow_none=True),
        required=True,
        metadata={"description": "Each mentee's completion (null: not started), by participant id."},
    )

    @pre_dump
    def with_milestone(self, view: Any, **kwargs: Any) -> dict[str, Any]:
        """A ``MilestoneView``: the milestone's own fields, its due date in this match, completions."""
        own = {name: getattr(view.milestone, name) for name in MilestoneOut._declared_fields}
        completions = {str(pid): c for pid, c in view.completions.items()}
        return {**own, "due": view.due, "completions": completions}


class TimelineOut(Schema):
    match_id = fields.Integer(required=True)
    status = fields.Enum(MatchStatus, by_value=True, required=True)
    mentor = fields.Nested(TimelinePersonOut, required=True)
    mentees = fields.List(fields.Nested(TimelinePersonOut), required=True)
    plan_agreed = fields.Boolean(required=True)
    agreed_participant_ids = fields.List(fields.Integer(), required=True)
    milestones = fields.List(fields.Nested(TimelineMilestoneOut), required=True)
    goals = fields.List(fields.Nested(GoalOut), required=True)

    @pre_dump
    def from_timeline(self, t: Any, **kwargs: Any) -> dict[str, Any]:
        """A ``progress.Timeline``: the match, its people by name, milestones and goals."""
        def person(p: Any) -> dict[str, Any]:
            return {"participant_id": p.id, "name": t.names[p.id]}

        return {
            "match_id": t.access.match.id,
            "status": t.access.match.status,
            "mentor": person(t.access.mentor),
            "mentees": [person(m) for m in t.access.mentees],
            "plan_agreed": t.plan_agreed,
            "agreed_participant_ids": sorted(t.agreed_participant_ids),
            "milestones": t.milestones,
            "goals": t.goals,
        }


class MilestoneProgressOut(Schema):
    id = fields.Integer(required=True, attribute="milestone.id")
    title = fields.String(required=True, attribute="milestone.title")
    completed = fields.Integer(required=True, metadata={"description": "Mentees who completed it."})
    awaiting_confirmation = fields.Integer(
        required=True, attribute="awaiting", metadata={"description": "Mentees awaiting the mentor's word."}
    )
    mentees = fields.Integer(
        required=True, attribute="total", metadata={"description": "Mentees in visible matches."}
    )


class MatchProgressOut(Schema):
    match_id = fields.Integer(required=True)
    milestones = fields.Dict(
        keys=fields.String(),
        values=fields.Enum(CompletionState, by_value=True),
        required=True,
        metadata={"description": "The match's state of each milestone it started, by milestone id."},
    )


class ProgressOut(Schema):
    programme_id = fields.Integer(required=True)
    milestones = fields.List(fields.Nested(MilestoneProgressOut), required=True)
    matches = fields.List(fields.Nested(MatchProgressOut), required=True)

    @pre_dump
    def from_progress(self, p: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """What ``progress.progress`` counted, with each match's states keyed by milestone id."""
        return {
            "programme_id": p["programme"].id,
            "milestones": p["milestones"],
            "matches": [
                {
                    "match_id": m,
                    "milestones": {
                        str(k): CompletionState(v) for k, v in p["per_match"].get(m, {}).items()
                    },
                }
                for m in p["matches"]
            ],
        }
