"""Training content as part of an app: its pages, module links placed in the course, and the
private folder its uploads live in."""

from __future__ import annotations

from flask import Flask

from lti_tool.launch import targets
from lti_tool.mentoring.content import uploads, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    targets.register(app, "content", views.open_module)
    uploads.make_private(app.config["DATA_DIR"])
