"""The KPI dashboard as part of an app: its pages, the figures that span features (activity
across forum, chat and meetings; the course's gradebook deliveries), the daily snapshots of the
catalogue's figures (``kpis.snapshots``) and the number formatting its templates use."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import format_date, format_decimal

from lti_tool.jobs import register_task
from lti_tool.mentoring.kpis import charts, platform_api, service, trends, views
from lti_tool.mentoring.kpis.figures import register_figure


def cell(value: Any) -> Any:
    """A table cell in the reader's language: numbers and dates by Babel, the rest as it is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return format_decimal(value, "#,##0")
    if isinstance(value, float):
        return format_decimal(value, "#,##0.##")
    if isinstance(value, (date, datetime)):
        return format_date(value)
    return value


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(platform_api.bp)  # the figures for the institution's systems (API keys)
    register_figure(app, "activity", service.activity)
    register_figure(app, "gradebook", service.gradebook)
    register_task(trends.TASK, trends.snapshots_task)
    app.add_template_global(charts.number, "kpi_number")
    app.add_template_global(cell, "kpi_cell")
    app.add_template_global(format_date, "kpi_date")
