"""Marshmallow shapes of the rhythm feature: the cadence a coordinator sets, the filter of the
programme overview, and what the API answers (the overview, the cadence, a pair's rhythm)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

PHASES = ("start", "middle", "closing")
STATES = ("on_track", "slowing", "quiet", "at_risk")
_DAYS = validate.Range(min=1, max=120, error=_l("Choose a number of days between 1 and 120."))


class RhythmPhaseIn(Schema):
    meet_every_days = fields.Integer(required=True, validate=_DAYS)
    write_every_days = fields.Integer(required=True, validate=_DAYS)


class RhythmCadenceIn(Schema):
    """The whole cadence: one rhythm, and optionally a different one per phase."""

    class Meta:
        unknown = EXCLUDE

    meet_every_days = fields.Integer(required=True, validate=_DAYS)
    write_every_days = fields.Integer(required=True, validate=_DAYS)
    phases = fields.Dict(
        keys=fields.String(validate=validate.OneOf(PHASES)), values=fields.Nested(RhythmPhaseIn)
    )

    @validates_schema
    def _writing_not_rarer_than_meeting(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["write_every_days"] > data["meet_every_days"] * 4:
            raise ValidationError(
                _l("Pairs that meet that rarely should write more often: at most four meeting intervals."),
                "write_every_days",
            )


def cadence_from_form(form: Any) -> dict[str, Any]:
    """The cadence form's fields as the schema reads them: empty phase fields mean "as overall"."""
    data: dict[str, Any] = {
        "meet_every_days": form.get("meet_every_days", ""),
        "write_every_days": form.get("write_every_days", ""),
        "phases": {},
    }
    for phase in PHASES:
        meet, write = form.get(f"{phase}_meet_every_days", ""), form.get(f"{phase}_write_every_days", "")
        if meet.strip() or write.strip():
            data["phases"][phase] = {"meet_every_days": meet, "write_every_days": write}
    return data


class RhythmHealthQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    state = fields.String(
        load_default=None,
        validate=validate.OneOf(STATES),
        metadata={"description": "Only the pairs in this state (the counts always cover every pair)."},
    )


# --- what the API answers ------------------------------------------------------------------------


class RhythmCountsOut(Schema):
    """How many live pairs are in each state."""

    on_track = fields.Integer(required=True)
    slowing = fields.Integer(required=True)
    quiet = fields.Integer(required=True)
    at_risk = fields.Integer(required=True)


class RhythmPairOut(Schema):
    match_id = fields.Integer(required=True)
    names = fields.String(required=True, metadata={"description": "The mentor with the mentees, in words."})
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    since = fields.DateTime(required=True, metadata={"description": "When the pair entered this state."})
    reasons = fields.List(
        fields.String(), required=True, metadata={"description": "Why, in words, most serious first."}
    )


class RhythmOverviewOut(Schema):
    """A programme's pairs by health (``GET /api/programmes/<id>/rhythm``)."""

    counts = fields.Nested(RhythmCountsOut, required=True)
    pairs = fields.List(fields.Nested(RhythmPairOut), required=True)


class RhythmCadenceOut(RhythmCadenceIn):
    """The programme's cadence, or the default one when a coordinator never set it."""

    is_default = fields.Boolean(required=True, metadata={"description": "No cadence was set: the default."})


class RhythmHintOut(Schema):
    text = fields.String(required=True)
    action_label = fields.String(required=True)
    link = fields.String(required=True, metadata={"description": "The Ritmo page where the step is taken."})


class RhythmHealthOut(Schema):
    match_id = fields.Integer(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    since = fields.DateTime(required=True)
    reasons = fields.List(fields.String(), required=True)
    codes = fields.List(
        fields.String(), required=True, metadata={"description": "The signals' codes, as ``reasons``."}
    )


class RhythmPairViewOut(Schema):
    """A pair's rhythm: gentle hints for the caller; the health itself for coordinators only."""

    hints = fields.List(fields.Nested(RhythmHintOut), required=True)
    health = fields.Nested(
        RhythmHealthOut,
        metadata={"description": "Coordinators only, for a live pair; absent for the pair's members."},
    )
