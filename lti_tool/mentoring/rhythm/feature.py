"""Rhythm as part of an app: its pages, the daily evaluation and nudges, the attention source
"pairs_at_risk", and the member's hints the space page includes (``rhythm_hints``)."""

from __future__ import annotations

from flask import Flask

from lti_tool.jobs import register_task
from lti_tool.mentoring.rhythm import at_risk_source, escalation, overview, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    register_task(escalation.TASK, escalation.daily_task)
    at_risk_source.register()
    app.add_template_global(overview.stored_hints, "rhythm_hints")
