"""Posts' attachments as part of an app: their routes, the thread page's listing and the sweep of
files left without a row."""

from __future__ import annotations

from flask import Flask

from lti_tool.jobs import register_task
from lti_tool.mentoring.attachments import service, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.jinja_env.globals["post_attachments"] = service.of_post
    register_task(service.SWEEP_TASK, service.sweep_task)
