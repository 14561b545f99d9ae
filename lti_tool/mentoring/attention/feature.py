"""The attention list as part of an app: its page, its own sources (failed roster syncs and grade
deliveries) and the daily digest to coordinators (an hourly periodic task, ``jobs/periodic.py``)."""

from __future__ import annotations

from flask import Flask

from lti_tool.jobs import register_task
from lti_tool.mentoring.attention import digest, grades_source, roster_source, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    roster_source.register()
    grades_source.register()
    register_task(digest.DIGEST_TASK, digest.digest_task)
