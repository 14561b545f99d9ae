"""Surveys as part of an app: the coordinator's builder and results pages, the participant's
answering pages, their JSON API, and the survey texts' language filter for templates."""

from __future__ import annotations

from flask import Flask

from lti_tool.mentoring.surveys import builder_views, evaluation_feature, scheduling, texts, views


def init_app(app: Flask) -> None:
    app.register_blueprint(builder_views.bp)
    app.register_blueprint(views.bp)
    app.add_template_filter(texts.local, "local")
    scheduling.init_app(app)  # SCHEDULES: the schedule page, the periodic run, the occasions' events
    evaluation_feature.init_app(app)  # EVALUATION: before/after page, low relationship quality
