"""The roster as part of an app: the membership sync task (its pages nest under the programme's)."""

from __future__ import annotations

from flask import Flask

from lti_tool.jobs import register_task
from lti_tool.mentoring.roster import platform_api, service


def init_app(app: Flask) -> None:
    register_task(service.SYNC_TASK, service.sync_task)
    app.register_blueprint(platform_api.bp)  # the roster for the institution's systems (API keys)
