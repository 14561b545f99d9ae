"""The KPI dashboard as part of an app: its pages, and the figures that span features (activity
across forum, chat and meetings; the course's gradebook deliveries)."""

from __future__ import annotations

from flask import Flask

from lti_tool.mentoring.kpis import service, views
from lti_tool.mentoring.kpis.figures import register_figure


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    register_figure(app, "activity", service.activity)
    register_figure(app, "gradebook", service.gradebook)
