"""Schedules as part of the surveys feature: the schedule page, the periodic run that sends due
surveys and reminders, and the events that send one at once (a match starts, a meeting is held,
a match completes). Called from the surveys feature's ``init_app``."""

from __future__ import annotations

from flask import Flask

from lti_tool import events
from lti_tool.jobs import register_task
from lti_tool.mentoring.surveys import occasions, schedule_views


def init_app(app: Flask) -> None:
    app.register_blueprint(schedule_views.bp)
    register_task(occasions.TASK, occasions.periodic_task)
    for name in occasions.EVENTS:
        events.subscribe(name, occasions.on_event)
