"""Shapes of milestones, goals, completions and timelines on the API and in forms."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from lti_tool import translated
from lti_tool.mentoring.goals.models import CompletionMode, GoalStatus


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


class MilestoneOut(Schema):
    id = fields.Integer()
    title = fields.String()
    description = fields.String()
    texts = fields.Dict()
    evidence = fields.String()
    due_on = fields.Date(allow_none=True)
    due_offset_days = fields.Integer(allow_none=True)
    graded = fields.Boolean()
    points = fields.Float()
    completion_mode = fields.Enum(CompletionMode, by_value=True)
    requires_confirmation = fields.Boolean()
    rule_event = fields.String(allow_none=True)
    rule_count = fields.Integer()
    position = fields.Integer()


class GoalIn(_Form):
    title = fields.String(validate=validate.Length(max=255))
    measure = fields.String(allow_none=True)
    due_on = fields.Date(allow_none=True)
    status = fields.Enum(GoalStatus, by_value=True, allow_none=True)


class NoteIn(_Form):
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class CompletionIn(_Form):
    participant_id = fields.Integer(allow_none=True)
    note = fields.String(load_default="")


class TotalIn(_Form):
    enabled = fields.Boolean(required=True)


class NoteOut(Schema):
    id = fields.Integer()
    author_user_id = fields.Integer(allow_none=True)
    text = fields.String()
    created_at = fields.DateTime()


class GoalOut(Schema):
    id = fields.Integer()
    match_id = fields.Integer()
    title = fields.String()
    measure = fields.String()
    due_on = fields.Date(allow_none=True)
    status = fields.Enum(GoalStatus, by_value=True)
    notes = fields.List(fields.Nested(NoteOut))


class CompletionOut(Schema):
    milestone_id = fields.Integer()
    participant_id = fields.Integer()
    match_id = fields.Integer(allow_none=True)
    state = fields.Function(lambda c: c.state.value)
    source = fields.Function(lambda c: c.source.value)
    note = fields.String()
    completed_at = fields.DateTime(allow_none=True)


def dump_timeline(t: Any) -> dict[str, Any]:
    milestone_out, goal_out, completion_out = MilestoneOut(), GoalOut(), CompletionOut()
    return {
        "match_id": t.access.match.id,
        "status": t.access.match.status.value,
        "mentor": {"participant_id": t.access.mentor.id, "name": t.names[t.access.mentor.id]},
        "mentees": [{"participant_id": m.id, "name": t.names[m.id]} for m in t.access.mentees],
        "plan_agreed": t.plan_agreed,
        "agreed_participant_ids": sorted(t.agreed_participant_ids),
        "milestones": [
            {
                **milestone_out.dump(v.milestone),
                "due": v.due.isoformat() if v.due else None,
                "completions": {
                    str(pid): completion_out.dump(c) if c else None for pid, c in v.completions.items()
                },
            }
            for v in t.milestones
        ],
        "goals": goal_out.dump(t.goals, many=True),
    }


def dump_progress(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "programme_id": p["programme"].id,
        "milestones": [
            {
                "id": row.milestone.id, "title": row.milestone.title, "completed": row.completed,
                "awaiting_confirmation": row.awaiting, "mentees": row.total,
            }
            for row in p["milestones"]
        ],
        "matches": [
            {"match_id": m, "milestones": {str(k): v for k, v in p["per_match"].get(m, {}).items()}}
            for m in p["matches"]
        ],
    }
