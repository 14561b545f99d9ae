"""The dashboard's figures and where they come from: each feature registers, from its ``init_app``,
the figures about what it owns (``register_figure(app, "meetings", figures.meetings)``), and
:func:`lti_tool.mentoring.kpis.service.dashboard` computes every registered figure.

A figure is ``fn(programme, now) -> value``, counted by the database with one aggregate query
(``count(*) FILTER``, ``GROUP BY``, ``EXISTS``): no rows loaded into Python. Windows are relative to
``now`` (UTC): "the last 30 days" is ``[now - 30 days, now)``; week 1 is the last 7 days, week 4 the
7 days that ended 21 days ago. Registering a name again replaces its figure (idempotent).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from lti_tool.mentoring.programmes.models import Programme

WINDOW_DAYS = 30
WEEKS = 4

Figure = Callable[[Programme, datetime], Any]


def register_figure(app: Flask, name: str, figure: Figure) -> None:
    """Show ``figure(programme, now)`` on the dashboard (and in its JSON) as ``name``."""
    registered(app)[name] = figure


def registered(app: Flask) -> dict[str, Figure]:
    """The app's figures by name, in registration order."""
    found: dict[str, Figure] = app.extensions.setdefault("ritmo_kpi_figures", {})
    return found


def count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """``count(*) FILTER (WHERE condition)``: several counts from one scan."""
    return sa.func.count().filter(condition)
