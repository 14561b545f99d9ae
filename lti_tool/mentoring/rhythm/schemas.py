"""Marshmallow shapes of the rhythm feature: the cadence a coordinator sets."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

PHASES = ("start", "middle", "closing")
_DAYS = validate.Range(min=1, max=120, error=_l("Choose a number of days between 1 and 120."))


class PhaseSchema(Schema):
    meet_every_days = fields.Integer(required=True, validate=_DAYS)
    write_every_days = fields.Integer(required=True, validate=_DAYS)


class CadenceSchema(Schema):
    """The whole cadence: one rhythm, and optionally a different one per phase."""

    class Meta:
        unknown = EXCLUDE

    meet_every_days = fields.Integer(required=True, validate=_DAYS)
    write_every_days = fields.Integer(required=True, validate=_DAYS)
    phases = fields.Dict(
        keys=fields.String(validate=validate.OneOf(PHASES)), values=fields.Nested(PhaseSchema)
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


class HealthQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    state = fields.String(
        load_default=None, validate=validate.OneOf(("on_track", "slowing", "quiet", "at_risk"))
    )
