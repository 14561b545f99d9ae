"""Surveys as part of an app: the coordinator's builder and results pages, the participant's
answering pages, and their JSON API."""

from __future__ import annotations

from flask import Flask

from lti_tool.mentoring.surveys import evaluation_feature, scheduling


def init_app(app: Flask) -> None:
    """Registers the surveys blueprints (added as the pages land)."""
    scheduling.init_app(app)  # the schedule page, the periodic run, the occasions' events
    evaluation_feature.init_app(app)  # EVALUATION: before/after page, low relationship quality
