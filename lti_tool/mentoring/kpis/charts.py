"""A figure's trend as a server-rendered SVG line chart (no script), with the numbers formatted
for the reader's language by Babel. The template (``kpis/_trend.html``) draws what :func:`chart`
computes and puts the same points in a table beside it, which is what a screen reader reads: the
SVG is one labelled image (``role="img"``, ``<title>``, ``<desc>``) whose description states the
first and last values and the target."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _

from lti_tool.mentoring.kpis.catalogue import Kpi, Unit

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 32
PATTERNS = {
    Unit.COUNT: "#,##0.##",
    Unit.RATE: "#,##0.00",
    Unit.DAYS: "#,##0.0",
    Unit.SCORE: "#,##0.0",
    Unit.NPS: "#,##0.0",
}


def number(kpi: Kpi, value: float | None) -> str:
    """``value`` in the reader's language (``12,5%`` in Italian, ``12.5%`` in English)."""
    if value is None:
        return _("no data")
    if kpi.unit is Unit.PERCENT:
        return format_percent(value / 100, "#,##0.0%")
    text = format_decimal(value, PATTERNS[kpi.unit])
    if kpi.unit is Unit.DAYS:
        return _("%(days)s days", days=text)
    return text


@dataclass
class Chart:
    title: str
    description: str
    points: list[tuple[float, float]] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    target_y: float | None = None
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


def _range(values: list[float], target: float | None) -> tuple[float, float]:
    everything = values + ([target] if target is not None else [])
    low, high = min([*everything, 0.0]), max([*everything, 0.0])
    if high == low:
        high = low + 1
    return low, high


def chart(kpi: Kpi, series: list[tuple[date, float | None]], target: float | None) -> Chart:
    """The chart's geometry and its text alternative; a day without a value has no dot."""
    label = str(kpi.label)
    known = [(day, value) for day, value in series if value is not None]
    title = _("%(figure)s over time", figure=label)
    if not known:
        return Chart(title, _("No values recorded yet for %(figure)s.", figure=label))
    low, high = _range([v for _d, v in known], target)
    first_day, last_day = series[0][0], series[-1][0]
    span_days = max((last_day - first_day).days, 1)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + inner_w * (day - first_day).days / span_days

    def y(value: float) -> float:
        return TOP + inner_h * (1 - (value - low) / (high - low))

    description = _(
        "%(figure)s from %(start)s to %(end)s: %(first)s at the start, %(last)s at the end.",
        figure=label,
        start=format_date(known[0][0]),
        end=format_date(known[-1][0]),
        first=number(kpi, known[0][1]),
        last=number(kpi, known[-1][1]),
    )
    if target is not None:
        description += " " + _("Target: %(target)s.", target=number(kpi, target))
    result = Chart(title, description)
    result.points = [(x(day), y(value)) for day, value in known]
    result.ticks = [(y(v), number(kpi, v)) for v in (low, (low + high) / 2, high)]
    result.x_labels = [(x(first_day), format_date(first_day)), (x(last_day), format_date(last_day))]
    if target is not None:
        result.target_y = y(target)
    return result
