"""Notifications as part of an app: their pages, the sign-in links of e-mails and the digest task."""

from __future__ import annotations

from flask import Flask

from lti_tool.jobs import register_task
from lti_tool.notifications import links, service, signin_views, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(signin_views.bp)
    register_task(service.DIGEST_TASK, service.digest_task)
    register_task(links.PURGE_TASK, links.purge_task)
