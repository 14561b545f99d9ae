"""Profiles as part of an app: the dashboard's questionnaire figure (their pages nest under the
programme's)."""

from __future__ import annotations

from flask import Flask

from lti_tool.mentoring.kpis.figures import register_figure
from lti_tool.mentoring.profiles import figures, platform_api


def init_app(app: Flask) -> None:
    register_figure(app, "profiles_started", figures.profiles_started)
    app.register_blueprint(platform_api.bp)  # answers for the institution's systems (API keys)
