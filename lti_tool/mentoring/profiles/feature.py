"""Profiles as part of an app: the dashboard's questionnaire figure (their pages nest under the
programme's)."""

from __future__ import annotations

from flask import Flask

from lti_tool.mentoring.kpis.figures import register_figure
from lti_tool.mentoring.profiles import figures


def init_app(app: Flask) -> None:
    register_figure(app, "profiles_started", figures.profiles_started)
