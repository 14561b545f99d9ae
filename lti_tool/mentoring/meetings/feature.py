"""Meetings as part of an app: their pages, reminders, their entries in the match timeline and
the dashboard's meetings figure."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lti_tool.jobs import register_task
from lti_tool.mentoring.conversations import history
from lti_tool.mentoring.kpis.figures import register_figure
from lti_tool.mentoring.meetings import figures, platform_api, service, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(platform_api.bp)  # the next meeting, for an LMS block (API keys)
    register_task(service.REMINDER_TASK, service.send_reminder)
    register_figure(app, "meetings", figures.meetings)
    history.register_source(
        "meetings", service.meeting_history, kinds=("meeting",), labels={"meeting": _l("meeting")}
    )
