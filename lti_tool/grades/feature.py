"""Grades as part of an app: the delivery page and the outbox's delivery tasks."""

from __future__ import annotations

from flask import Flask

from lti_tool.grades import delivery, views
from lti_tool.grades.service import DELIVER_TASK, SWEEP_TASK
from lti_tool.jobs import register_task


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    register_task(DELIVER_TASK, delivery.deliver_task)
    register_task(SWEEP_TASK, delivery.sweep_task)
