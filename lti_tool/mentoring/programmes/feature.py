"""Programmes as part of an app: the programme pages (profiles, matching and roster nested under
them), the step every launch runs to join the person, the home page a placed link opens by
default, the programme deep linking may place, and the dashboard's participants figure."""

from __future__ import annotations

from flask import Flask

from lti_tool.launch import deep_linking, targets
from lti_tool.mentoring.kpis.figures import register_figure
from lti_tool.mentoring.programmes import figures, home, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    targets.register_step(app, home.join)
    targets.register(app, "programme", views.open_programme, default=True)
    deep_linking.register_offer(app, "programme", home.offers)
    register_figure(app, "participants", figures.participants)
