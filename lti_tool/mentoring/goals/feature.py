"""Goals as part of an app: their pages, milestone links placed in the course (and offered to the
deep-linking picker, graded ones with their gradebook column), the events automatic milestones
count, and the dashboard's milestones figure."""

from __future__ import annotations

from flask import Flask

from lti_tool.launch import deep_linking, targets
from lti_tool.mentoring.goals import figures, placement, rules, views
from lti_tool.mentoring.kpis.figures import register_figure


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    targets.register(app, "milestone", views.open_milestone)
    deep_linking.register_offer(app, "milestone", placement.offers)
    rules.subscribe_rules()
    register_figure(app, "milestones", figures.milestones)
