"""The API contract joins the app: the version rule (first, so its bounded ``int`` converter is
the one every later route uses) and the document's own routes."""

from __future__ import annotations

from flask import Flask

from lti_tool.api import versions, views


def init_app(app: Flask) -> None:
    versions.init_app(app)
    app.register_blueprint(views.bp)
