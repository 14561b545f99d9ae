"""The coordinator's followed figures: each one's value now, target, standing, trend chart and the
numbers behind it, for the dashboard page and its JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from lti_tool.db import utcnow
from lti_tool.mentoring.kpis import catalogue, charts, drilldown, survey_drilldown, trends
from lti_tool.mentoring.kpis.catalogue import Kpi
from lti_tool.mentoring.kpis.drilldown import Table
from lti_tool.mentoring.kpis.models import Direction, KpiTarget
from lti_tool.mentoring.kpis.targets import STANDING_LABELS, Standing, chosen, meets
from lti_tool.mentoring.programmes.models import Programme

DRILLS = drilldown.DRILLS | survey_drilldown.DRILLS


@dataclass
class Entry:
    kpi: Kpi
    value: float | None
    target: float | None
    direction: Direction
    standing: Standing
    series: list[tuple[date, float | None]]

    @property
    def chart(self) -> charts.Chart:
        return charts.chart(self.kpi, self.series, self.target)

    def as_json(self) -> dict[str, Any]:
        """The entry as ``schemas.KpiEntryOut`` dumps it."""
        return {
            "kpi": self.kpi.key,
            "unit": self.kpi.unit,
            "value": self.value,
            "target": self.target,
            "direction": self.direction,
            "standing": self.standing,
            "trend": [{"day": day, "value": value} for day, value in self.series],
        }


def entry(
    kpi: Kpi, value: float | None, row: KpiTarget | None, series: list[tuple[date, float | None]]
) -> Entry:
    target = row.target if row else None
    direction = row.direction if row else Direction.AT_LEAST
    return Entry(kpi, value, target, direction, meets(value, target, direction), series)


def board(programme: Programme, now: datetime | None = None) -> list[Entry]:
    """The programme's followed figures, in catalogue order, with their trends."""
    now = now or utcnow()
    followed = chosen(programme.id)
    if not followed:
        return []
    found = catalogue.values(programme.id, now, list(followed), live=True)
    return [
        entry(catalogue.BY_KEY[key], found[key], row, trends.series(programme.id, key, now))
        for key, row in followed.items()
    ]


def one(programme: Programme, key: str, now: datetime | None = None) -> Entry:
    """One figure (followed or not) with its trend."""
    now = now or utcnow()
    kpi = catalogue.BY_KEY[key]
    value = catalogue.values(programme.id, now, [key], live=True)[key]
    return entry(kpi, value, chosen(programme.id).get(key), trends.series(programme.id, key, now))


def trend_table(item: Entry) -> Table:
    table = Table("trend", item.kpi.label, [_day_heading(), item.kpi.label])
    table.rows = [[day, value] for day, value in item.series]
    return table


def _day_heading() -> Any:
    return _l("Day")


def drill(programme: Programme, key: str, now: datetime | None = None) -> list[Table]:
    """The tables of pairs or people behind ``key``."""
    return DRILLS[key](programme, now or utcnow())


def summary_table(entries: list[Entry]) -> Table:
    """The followed figures as one table (the dashboard's export)."""
    table = Table(
        "summary",
        _l("Figures and targets"),
        [_l("Figure"), _l("Value"), _l("Target"), _l("Meets the target")],
    )
    table.rows = [[e.kpi.label, e.value, e.target, STANDING_LABELS[e.standing]] for e in entries]
    return table
