"""A target as the form and the JSON API send it, and the dashboard as the JSON API answers it.

The dashboard's figures are registered by the features that own them (:mod:`.figures`); their
shapes are described here, in one place, so the API document names every figure. A test checks
that every registered figure has a field here (a new figure without one would vanish from the JSON).
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, pre_load

from lti_tool.mentoring.kpis.catalogue import Unit
from lti_tool.mentoring.kpis.models import Direction
from lti_tool.mentoring.kpis.targets import Standing
from lti_tool.mentoring.matching.models import EndReason, MatchStatus
from lti_tool.mentoring.programmes.models import ParticipantRole, ParticipantStatus


class _Moment(fields.DateTime):
    """A moment the dashboard's service already wrote as ISO 8601 text, kept as it is."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value if isinstance(value, str) else super()._serialize(value, attr, obj, **kwargs)


class KpiTargetIn(Schema):
    class Meta:
        unknown = EXCLUDE

    target = fields.Float(
        allow_none=True,
        allow_nan=False,
        load_default=None,
        metadata={"description": "The value to reach (or stay under); null: followed without a target."},
    )
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


class KpiTargetOut(Schema):
    """A followed figure's target as stored."""

    kpi = fields.String(required=True, metadata={"description": "The figure's key in the catalogue."})
    target = fields.Float(required=True, allow_none=True)
    direction = fields.Enum(Direction, by_value=True, required=True)


def _counts(name: str, keys: list[str], description: str) -> type[Schema]:
    """A schema of one required count per key (statuses, reasons...)."""
    schema: type[Schema] = Schema.from_dict({k: fields.Integer(required=True) for k in keys}, name=name)
    schema.__doc__ = description
    return schema


_ROLE_COUNTS = _counts(
    "KpiParticipantsOfRoleOut",
    [s.value for s in ParticipantStatus] + ["total"],
    "Participants of one role, by status, and their total.",
)
_BY_ROLE = Schema.from_dict(
    {r.value: fields.Nested(_ROLE_COUNTS, required=True) for r in ParticipantRole},
    name="KpiParticipantsByRoleOut",
)


class KpiParticipantsOut(Schema):
    total = fields.Integer(required=True)
    by_role = fields.Nested(_BY_ROLE, required=True)


class KpiMenteesOut(Schema):
    matched = fields.Integer(required=True, metadata={"description": "Mentees in a live match."})
    unmatched = fields.Integer(
        required=True, metadata={"description": "Mentees taking part (not withdrawn) without one."}
    )


class KpiMatchesOut(Schema):
    by_status = fields.Nested(
        _counts("KpiMatchesByStatusOut", [s.value for s in MatchStatus], "Matches by status."),
        required=True,
    )
    live = fields.Integer(required=True, metadata={"description": "Approved or started matches."})
    completed = fields.Integer(required=True, metadata={"description": "Ended having run their course."})
    ended_by_reason = fields.Nested(
        _counts(
            "KpiMatchesEndedOut",
            [r.value for r in EndReason] + ["not_recorded"],
            "Ended matches by why they ended (``not_recorded``: before reasons were kept).",
        ),
        required=True,
    )


class KpiMilestonesOut(Schema):
    completed = fields.Integer(required=True)
    mentees_with_one_completed = fields.Integer(required=True)


class KpiMeetingsOut(Schema):
    held_last_30_days = fields.Integer(required=True)
    upcoming = fields.Integer(required=True)


class KpiWebinarsOut(Schema):
    registered = fields.Integer(required=True)
    waitlisted = fields.Integer(required=True)
    cancelled = fields.Integer(required=True)
    attended = fields.Integer(required=True)


class KpiActivityWeekOut(Schema):
    week = fields.Integer(required=True, metadata={"description": "1: the last 7 days; 4: 21-28 days ago."})
    starts_at = _Moment(required=True)
    ends_at = _Moment(required=True)
    posts = fields.Integer(required=True)
    chat_messages = fields.Integer(required=True)


class KpiActivityOut(Schema):
    active_pairs = fields.Integer(
        required=True, metadata={"description": "Live pairs with a post, message or meeting in the window."}
    )
    quiet_pairs = fields.Integer(required=True)
    weeks = fields.List(fields.Nested(KpiActivityWeekOut), required=True)


class KpiGradebookOut(Schema):
    delivered = fields.Integer(required=True)
    waiting = fields.Integer(required=True)
    failed = fields.Integer(required=True)


class KpiWindowOut(Schema):
    days = fields.Integer(required=True)
    since = _Moment(required=True)


class KpiTrendPointOut(Schema):
    day = fields.Date(required=True)
    value = fields.Float(required=True, allow_none=True)


class KpiEntryOut(Schema):
    """A followed figure: its value now, its target and standing, and its daily trend."""

    kpi = fields.String(required=True)
    unit = fields.Enum(Unit, by_value=True, required=True)
    value = fields.Float(required=True, allow_none=True, metadata={"description": "Null: no data yet."})
    target = fields.Float(required=True, allow_none=True)
    direction = fields.Enum(Direction, by_value=True, required=True)
    standing = fields.Enum(Standing, by_value=True, required=True)
    trend = fields.List(fields.Nested(KpiTrendPointOut), required=True)


class KpiDashboardOut(Schema):
    """Every figure of a programme now (windows relative to ``generated_at``), and the followed ones."""

    programme_id = fields.Integer(required=True)
    generated_at = _Moment(required=True)
    generated_text = fields.String(
        required=True, metadata={"description": "``generated_at`` in the reader's language and zone."}
    )
    window = fields.Nested(KpiWindowOut, required=True)
    participants = fields.Nested(KpiParticipantsOut, required=True)
    profiles_started = fields.Integer(
        required=True, metadata={"description": "Participants who answered a profile question."}
    )
    mentees = fields.Nested(KpiMenteesOut, required=True)
    matches = fields.Nested(KpiMatchesOut, required=True)
    pending_requests = fields.Integer(required=True)
    milestones = fields.Nested(KpiMilestonesOut, required=True)
    meetings = fields.Nested(KpiMeetingsOut, required=True)
    webinars = fields.Nested(KpiWebinarsOut, required=True)
    activity = fields.Nested(KpiActivityOut, required=True)
    gradebook = fields.Nested(KpiGradebookOut, required=True)
    targets = fields.List(
        fields.Nested(KpiEntryOut),
        required=True,
        metadata={"description": "The figures of the catalogue the programme follows, in its order."},
    )
