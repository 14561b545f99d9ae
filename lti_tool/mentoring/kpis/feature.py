"""The KPI dashboard as part of an app."""

from __future__ import annotations

from flask import Flask

from lti_tool.mentoring.kpis import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
