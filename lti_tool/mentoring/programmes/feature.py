"""Programmes as part of an app: the programme pages (profiles, matching and roster nested under
them), the step every launch runs to join the person, the home page a placed link opens by
default, the programme deep linking may place, and the dashboard's participants figure."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from lti_tool import web
from lti_tool.db import db
from lti_tool.identity.context import LaunchContext
from lti_tool.launch import deep_linking, targets
from lti_tool.mentoring.kpis.figures import register_figure
from lti_tool.mentoring.programmes import figures, home, home_changes, platform_api, views
from lti_tool.mentoring.programmes.models import Programme


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(platform_api.bp)  # the same, for the institution's systems (API keys)
    targets.register_step(app, "programme", home.join)
    home_changes.listen()  # what renews the stamps the join's kept rows are checked against
    targets.register(app, "programme", views.open_programme, default=True)
    deep_linking.register_offer(app, "programme", home.offers)
    register_figure(app, "participants", figures.participants)
    web.register_zone_fallback(app, course_zone)


def course_zone(ctx: LaunchContext) -> str | None:
    """The zone of the launch's course programme: times fall back to it when the viewer has none."""
    if ctx.course_id is None:
        return None
    return db.session.execute(
        sa.select(Programme.timezone)
        .where(Programme.course_id == ctx.course_id)
        .order_by(Programme.id)
        .limit(1)
    ).scalar_one_or_none()
