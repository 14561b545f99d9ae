"""Matching as part of an app: its background tasks, its dashboard figures, the coordinator's
matching page, the match lifecycle's pages, what it reacts to (people leaving) and its attention
source (its other pages nest under the programme's)."""

from __future__ import annotations

from flask import Flask

from lti_tool import events
from lti_tool.jobs import register_task
from lti_tool.mentoring.kpis.figures import register_figure
from lti_tool.mentoring.matching import (
    action_views,
    choice,
    expired,
    figures,
    life_views,
    review_views,
    rounds,
    runs,
    withdrawal,
)


def init_app(app: Flask) -> None:
    app.register_blueprint(life_views.bp)
    app.register_blueprint(action_views.bp)
    app.register_blueprint(review_views.bp)
    register_task(runs.RUN_TASK, runs.run_matching)
    register_task(choice.EXPIRE_TASK, choice.expire_request)
    register_task(rounds.TASK, rounds.round_task)
    register_figure(app, "mentees", figures.mentees)
    register_figure(app, "matches", figures.matches)
    register_figure(app, "pending_requests", figures.pending_requests)
    for name in withdrawal.EVENTS:
        events.subscribe(name, withdrawal.on_participant_changed)
    expired.register()
