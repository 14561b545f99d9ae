"""The expected rhythm of a programme: read with defaults, saved by coordinators, resolved per phase.

A match's phase comes from its share of its planned length (the programme's end date, when set):
the first fifth is the start, the last fifth the closing. Without an end date, the first four weeks
are the start and the rest the middle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lti_tool import audit
from lti_tool.db import db
from lti_tool.errors import Forbidden
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.rhythm.models import Cadence
from lti_tool.mentoring.rhythm.schemas import RhythmCadenceIn

#: Without a cadence set: meet every two weeks, write at least weekly.
DEFAULT_MEET_EVERY_DAYS = 14
DEFAULT_WRITE_EVERY_DAYS = 7
START_SHARE, CLOSING_SHARE = 0.2, 0.8
START_WITHOUT_END = timedelta(days=28)


@dataclass(frozen=True)
class Rhythm:
    """The rhythm expected of one pair now."""

    meet_every_days: int
    write_every_days: int
    phase: str


@dataclass(frozen=True)
class ProgrammeCadence:
    meet_every_days: int
    write_every_days: int
    phases: dict[str, dict[str, int]]
    is_default: bool

    def for_match(self, programme: Programme, started_at: datetime | None, now: datetime) -> Rhythm:
        phase = phase_of(programme, started_at, now)
        rule = self.phases.get(phase) or {}
        return Rhythm(
            rule.get("meet_every_days", self.meet_every_days),
            rule.get("write_every_days", self.write_every_days),
            phase,
        )

    def as_form(self) -> dict[str, Any]:
        return {
            "meet_every_days": self.meet_every_days,
            "write_every_days": self.write_every_days,
            "phases": self.phases,
        }


def phase_of(programme: Programme, started_at: datetime | None, now: datetime) -> str:
    if started_at is None:
        return "start"
    if programme.ends_on is not None:
        end = datetime(
            programme.ends_on.year, programme.ends_on.month, programme.ends_on.day, tzinfo=started_at.tzinfo
        )
        length = (end - started_at).total_seconds()
        if length > 0:
            share = (now - started_at).total_seconds() / length
            return "start" if share < START_SHARE else "closing" if share >= CLOSING_SHARE else "middle"
    return "start" if now - started_at < START_WITHOUT_END else "middle"


def phase_ends(programme: Programme, started_at: datetime | None, now: datetime) -> datetime | None:
    """When the match's current phase ends (None: it is the last, or no phase can be known)."""
    if started_at is None:
        return None
    if programme.ends_on is not None:
        end = datetime(
            programme.ends_on.year, programme.ends_on.month, programme.ends_on.day, tzinfo=started_at.tzinfo
        )
        if end > started_at:
            for share in (START_SHARE, CLOSING_SHARE):
                boundary = started_at + (end - started_at) * share
                if boundary > now:
                    return boundary
        return None
    boundary = started_at + START_WITHOUT_END
    return boundary if boundary > now else None


def cadence_for(programme_id: int) -> ProgrammeCadence:
    row = db.session.get(Cadence, programme_id)
    if row is None:
        return ProgrammeCadence(DEFAULT_MEET_EVERY_DAYS, DEFAULT_WRITE_EVERY_DAYS, {}, True)
    return ProgrammeCadence(row.meet_every_days, row.write_every_days, dict(row.phases or {}), False)


def save_cadence(ctx: LaunchContext, programme: Programme, data: dict[str, Any]) -> ProgrammeCadence:
    """Store a cadence already loaded by ``RhythmCadenceIn`` (the view parses; this re-checks)."""
    if not ctx.is_coordinator:
        raise Forbidden()
    clean = RhythmCadenceIn().load(data)
    row = db.session.get(Cadence, programme.id)
    if row is None:
        row = Cadence(programme_id=programme.id, meet_every_days=0, write_every_days=0)
        db.session.add(row)
    row.meet_every_days = clean["meet_every_days"]
    row.write_every_days = clean["write_every_days"]
    row.phases = clean.get("phases") or {}
    row.updated_by_user_id = ctx.user_id
    audit.record("rhythm.cadence_set", "programme", programme.id, actor_user_id=ctx.user_id)
    db.session.commit()
    return cadence_for(programme.id)
