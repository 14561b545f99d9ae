"""When a survey is sent: the shape of ``Survey.schedule``, its validation and the dates it gives.

A coordinator picks the occasions (a baseline when a person joins or their first match starts, a
pulse N days after a match starts then every M days, a short one after each meeting held, one when
a match completes, one at the programme's end), a response window and when the one reminder goes
before the window closes. The schedule is stored as JSON on the survey; :class:`ScheduleSchema` is
the only way in, and :meth:`Schedule.of` reads it back (an unreadable stored value reads as "never
sent", so a bad row never sends surveys at random).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from lti_tool import audit, timezones
from lti_tool.db import db
from lti_tool.errors import NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.surveys.models import Survey, SurveyItem

BASELINE_OFF, BASELINE_JOINED, BASELINE_MATCH_STARTED = "off", "joined", "match_started"
BASELINE_CHOICES = (BASELINE_OFF, BASELINE_JOINED, BASELINE_MATCH_STARTED)
DEFAULT_WINDOW_DAYS = 14
DEFAULT_REMIND_DAYS_BEFORE = 3
#: Pulses stop after this many, however long a match runs (a safety net for matches never closed).
MAX_PULSES = 52

_WINDOW = validate.Range(min=1, max=60, error=_l("Choose a number of days between 1 and 60."))
_DAYS = validate.Range(min=1, max=365, error=_l("Choose a number of days between 1 and 365."))
_BOOLEAN_FIELDS = ("after_meeting", "closing", "programme_end")
_NUMBER_FIELDS = ("pulse_after_days", "pulse_every_days", "window_days", "remind_days_before")


class ScheduleSchema(Schema):
    """The stored shape of ``Survey.schedule``."""

    class Meta:
        unknown = EXCLUDE

    baseline = fields.String(load_default=BASELINE_OFF, validate=validate.OneOf(BASELINE_CHOICES))
    pulse_after_days = fields.Integer(load_default=None, allow_none=True, validate=_DAYS)
    pulse_every_days = fields.Integer(load_default=None, allow_none=True, validate=_DAYS)
    after_meeting = fields.Boolean(load_default=False)
    closing = fields.Boolean(load_default=False)
    programme_end = fields.Boolean(load_default=False)
    window_days = fields.Integer(load_default=DEFAULT_WINDOW_DAYS, validate=_WINDOW)
    remind_days_before = fields.Integer(load_default=DEFAULT_REMIND_DAYS_BEFORE, validate=_WINDOW)

    @validates_schema
    def _coherent(self, data: dict[str, Any], **_kwargs: Any) -> None:
        every, after = data.get("pulse_every_days"), data.get("pulse_after_days")
        if every is not None and after is None:
            raise ValidationError(_l("Say after how many days the first pulse goes."), "pulse_after_days")
        if every is not None and data["window_days"] > every:
            raise ValidationError(
                _l("The response window must not be longer than the days between pulses."), "window_days"
            )
        if data["remind_days_before"] >= data["window_days"]:
            raise ValidationError(
                _l("The reminder must come before the window closes: fewer days than the window."),
                "remind_days_before",
            )


def schedule_from_form(form: Any) -> dict[str, Any]:
    """The schedule form's fields as the schema reads them: unticked boxes are false, empty
    numbers are "not set"."""
    data: dict[str, Any] = {"baseline": form.get("baseline", BASELINE_OFF)}
    for name in _BOOLEAN_FIELDS:
        data[name] = form.get(name) in ("on", "true", "1")
    for name in _NUMBER_FIELDS:
        value = (form.get(name) or "").strip()
        data[name] = value or None
    for name in ("window_days", "remind_days_before"):
        if data[name] is None:
            data.pop(name)
    return data


@dataclass(frozen=True)
class Schedule:
    baseline: str = BASELINE_OFF
    pulse_after_days: int | None = None
    pulse_every_days: int | None = None
    after_meeting: bool = False
    closing: bool = False
    programme_end: bool = False
    window_days: int = DEFAULT_WINDOW_DAYS
    remind_days_before: int = DEFAULT_REMIND_DAYS_BEFORE

    @classmethod
    def of(cls, survey: Survey) -> Schedule:
        try:
            return cls(**ScheduleSchema().load(survey.schedule or {}))
        except ValidationError:
            return cls()

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)

    @property
    def is_set(self) -> bool:
        return (
            self.baseline != BASELINE_OFF
            or self.pulse_after_days is not None
            or self.after_meeting
            or self.closing
            or self.programme_end
        )

    def as_form(self) -> dict[str, Any]:
        return dict(ScheduleSchema().dump(self))

    def remind_from(self, closes_at: datetime) -> datetime:
        """When the reminder of an invitation closing at ``closes_at`` may go."""
        return closes_at - timedelta(days=self.remind_days_before)

    def pulse_due(self, started_at: datetime, now: datetime) -> tuple[int, datetime] | None:
        """The latest pulse of a match started at ``started_at`` that is due by ``now``: its
        number (1, 2, ...) and when it opens; None before the first one."""
        if self.pulse_after_days is None:
            return None
        first = started_at + timedelta(days=self.pulse_after_days)
        if now < first:
            return None
        if self.pulse_every_days is None:
            return 1, first
        step = timedelta(days=self.pulse_every_days)
        number = min(int((now - first) / step), MAX_PULSES - 1)
        return number + 1, first + number * step

    def programme_end_opens(self, programme: Programme) -> datetime | None:
        """The start of the programme's last day in its own zone, in UTC; None without an end date."""
        if not self.programme_end or programme.ends_on is None:
            return None
        zone = timezones.shown_zone(programme.timezone)
        return datetime.combine(programme.ends_on, time(), tzinfo=zone).astimezone(UTC)


def survey_of(programme: Programme, survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None or survey.programme_id != programme.id:
        raise NotFound(_("This survey does not exist in this programme."))
    return survey


def save_schedule(ctx: LaunchContext, programme: Programme, survey: Survey, data: dict[str, Any]) -> Schedule:
    """Store a schedule the schema loaded (``ValidationError`` before anything is written)."""
    loaded = ScheduleSchema().load(data)
    schedule = Schedule(**loaded)
    survey.schedule = schedule.as_form()
    audit.record(
        "survey.schedule_saved", "survey", survey.id, actor_user_id=ctx.user_id, schedule=survey.schedule
    )
    db.session.commit()
    return schedule


def scheduled_surveys(programme_id: int) -> list[Survey]:
    """The programme's surveys that are in use (not archived, with questions) and have a schedule."""
    has_items = sa.exists().where(SurveyItem.survey_id == Survey.id)
    rows = db.session.execute(
        sa.select(Survey)
        .where(Survey.programme_id == programme_id, Survey.archived_at.is_(None), has_items)
        .order_by(Survey.id)
    ).scalars()
    return [survey for survey in rows if Schedule.of(survey).is_set]
