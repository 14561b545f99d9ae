"""Which catalogue figures a programme follows and the targets its coordinators set on them, and
whether a value meets its target."""

from __future__ import annotations

import enum
import math

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool.db import db
from lti_tool.errors import Forbidden, InvalidInput, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.kpis.catalogue import BY_KEY, CATALOGUE, Kpi
from lti_tool.mentoring.kpis.models import Direction, KpiTarget
from lti_tool.mentoring.programmes.models import Programme


class Standing(enum.StrEnum):
    """A figure against its target: met, missed, no target set, or nothing to measure yet."""

    MET = "met"
    MISSED = "missed"
    NO_TARGET = "no_target"
    NO_DATA = "no_data"


STANDING_LABELS = {
    Standing.MET: _l("Meets the target"),
    Standing.MISSED: _l("Misses the target"),
    Standing.NO_TARGET: _l("No target set"),
    Standing.NO_DATA: _l("No data yet"),
}
DIRECTION_LABELS = {Direction.AT_LEAST: _l("at least"), Direction.AT_MOST: _l("at most")}


def meets(value: float | None, target: float | None, direction: Direction) -> Standing:
    """Met when the value reaches the target (``at_least``) or stays at or under it (``at_most``)."""
    if target is None:
        return Standing.NO_TARGET
    if value is None:
        return Standing.NO_DATA
    ok = value >= target if direction is Direction.AT_LEAST else value <= target
    return Standing.MET if ok else Standing.MISSED


def chosen(programme_id: int) -> dict[str, KpiTarget]:
    """The programme's followed figures with their targets, in catalogue order."""
    rows = db.session.execute(sa.select(KpiTarget).where(KpiTarget.programme_id == programme_id)).scalars()
    by_key = {row.kpi: row for row in rows if row.kpi in BY_KEY}
    return {kpi.key: by_key[kpi.key] for kpi in CATALOGUE if kpi.key in by_key}


def kpi_or_404(key: str) -> Kpi:
    kpi = BY_KEY.get(key)
    if kpi is None:
        raise NotFound(_("There is no figure called %(key)s.", key=key))
    return kpi


def _coordinating(ctx: LaunchContext, programme: Programme) -> None:
    if not ctx.is_coordinator or ctx.course_id != programme.course_id:
        raise Forbidden(_("Only the course's coordinators can set targets."))


def validate_target(kpi: Kpi, target: float | None) -> None:
    if target is None:
        return
    low, high = kpi.bounds
    if not math.isfinite(target) or target < low or (high is not None and target > high):
        if high is None:
            detail = _("The target must be a number of at least %(low)s.", low=low)
        else:
            detail = _("The target must be a number from %(low)s to %(high)s.", low=low, high=high)
        raise InvalidInput(detail, errors={"target": [detail]})


def set_target(
    ctx: LaunchContext, programme: Programme, key: str, target: float | None, direction: Direction
) -> KpiTarget:
    """Follow ``key`` on the programme with ``target`` (``None``: followed without a target)."""
    _coordinating(ctx, programme)
    kpi = kpi_or_404(key)
    validate_target(kpi, target)
    row = db.session.execute(
        sa.select(KpiTarget).where(KpiTarget.programme_id == programme.id, KpiTarget.kpi == key)
    ).scalar_one_or_none()
    if row is None:
        row = KpiTarget(programme_id=programme.id, kpi=key, created_by_user_id=ctx.user_id)
        db.session.add(row)
    row.target, row.direction, row.updated_by_user_id = target, direction, ctx.user_id
    db.session.commit()
    return row


def unfollow(ctx: LaunchContext, programme: Programme, key: str) -> None:
    """Stop following ``key`` on the programme (its snapshots stay, for when it is chosen again)."""
    _coordinating(ctx, programme)
    kpi_or_404(key)
    db.session.execute(
        sa.delete(KpiTarget).where(KpiTarget.programme_id == programme.id, KpiTarget.kpi == key)
    )
    db.session.commit()
