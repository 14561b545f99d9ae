"""Ready-made instruments as part of an app: the catalogue is read and checked at start-up (a
broken file stops the app, not a coordinator's click), the instruments page, and the lock that
keeps added instruments' items as shipped."""

from __future__ import annotations

from flask import Flask

from lti_tool.mentoring.surveys.instruments import catalogue, locks, views


def init_app(app: Flask) -> None:
    catalogue.check()
    app.register_blueprint(views.bp)
    locks.listen()
