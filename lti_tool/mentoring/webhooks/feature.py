"""Webhooks as part of an app: the admin page, the API for keys with ``webhooks:manage``, the
command line, the delivery task, and the event handler that writes deliveries in the emitter's
transaction."""

from __future__ import annotations

from flask import Flask

from lti_tool.jobs import register_task
from lti_tool.mentoring.webhooks import api, commands, delivery, outbox, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.cli.add_command(commands.webhook_cli)
    register_task(delivery.TASK, delivery.deliver_task)
    outbox.listen()
