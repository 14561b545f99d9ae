"""A target as the form and the JSON API send it."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, pre_load

from lti_tool.mentoring.kpis.models import Direction


class TargetIn(Schema):
    class Meta:
        unknown = EXCLUDE

    target = fields.Float(allow_none=True, allow_nan=False, load_default=None)
    direction = fields.Enum(Direction, by_value=True, load_default=Direction.AT_LEAST)

    @pre_load
    def blanks_are_missing(self, data: Any, **kwargs: Any) -> Any:
        """A form's empty target means "followed without a target"; Italian decimals use a comma."""
        if hasattr(data, "to_dict"):
            data = data.to_dict()
        if not isinstance(data, dict):
            return data
        data = dict(data)
        target = data.get("target")
        if isinstance(target, str):
            target = target.strip().replace(",", ".")
            data["target"] = target or None
        return data
