"""Training as part of an app: webinar pages and links, what deep linking may place (webinars and
content modules, graded or not), reminders, the scores attendance and completion write, and the
training gates' per-transaction memo, and the dashboard's webinars figure."""

from __future__ import annotations

from flask import Flask

from lti_tool import events
from lti_tool.jobs import register_task
from lti_tool.launch import deep_linking, targets
from lti_tool.mentoring.kpis.figures import register_figure
from lti_tool.mentoring.webinars import figures, grading, invitations, placement, training_gates, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    targets.register(app, "webinar", views.open_webinar)
    deep_linking.register_offer(app, "webinar", placement.webinars)
    deep_linking.register_offer(app, "content", placement.content_modules)
    register_task("webinars.remind", invitations.remind_task)
    register_task("webinars.reminder_sweep", invitations.sweep_task)
    events.subscribe("webinar.attended", grading.on_attended)
    events.subscribe("webinar.attendance_removed", grading.on_attendance_removed)
    events.subscribe("content.completed", grading.on_content_completed)
    training_gates.listen()
    register_figure(app, "webinars", figures.webinars)
