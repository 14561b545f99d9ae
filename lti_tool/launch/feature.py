"""The LTI edge as part of an app: its pages, the deep-linking picker, its cache listeners, and the
periodic write of launches' ``last_seen_at``."""

from __future__ import annotations

from flask import Flask

from lti_tool.jobs import register_task
from lti_tool.launch import api, framing, last_seen, setup_views, targets, tool_config, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(setup_views.bp)
    app.register_blueprint(api.bp)
    targets.register_deep_linking_page(app, setup_views.picker)
    framing.listen()  # committed platform changes reach every process's frame-ancestors list
    tool_config.listen()  # and its cached registrations
    register_task(last_seen.TASK, last_seen.flush_task)
