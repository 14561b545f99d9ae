"""Grades as part of an app: the delivery page, the outbox's delivery tasks, the gradebook columns
deep linking places and their updates."""

from __future__ import annotations

from flask import Flask

from lti_tool.grades import delivery, line_items, views
from lti_tool.grades.service import DELIVER_TASK, SWEEP_TASK
from lti_tool.jobs import register_task
from lti_tool.launch import deep_linking


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    register_task(DELIVER_TASK, delivery.deliver_task)
    register_task(SWEEP_TASK, delivery.sweep_task)
    register_task(line_items.SYNC_TASK, line_items.sync_task)
    deep_linking.register_placed(app, line_items.record_placements)
