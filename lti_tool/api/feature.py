"""The API contract joins the app: the version rule (the ``/api/v1`` rewrite, the check of ids in
paths, the version and deprecation headers) and the document's own routes."""

from __future__ import annotations

from flask import Flask

from lti_tool.api import versions, views


def init_app(app: Flask) -> None:
    versions.init_app(app)
    app.register_blueprint(views.bp)
