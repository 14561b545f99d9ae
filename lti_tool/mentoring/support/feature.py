"""Support as part of an app: its pages and API, the response-time reminders, support exchanges in a
match's history, and open requests on the coordinator's attention list."""

from __future__ import annotations

from flask import Flask

from lti_tool.jobs import register_task
from lti_tool.mentoring.support import api, attention_source, reminders, timeline, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    register_task(reminders.REMINDER_TASK, reminders.remind_task)
    timeline.register()
    attention_source.register()
