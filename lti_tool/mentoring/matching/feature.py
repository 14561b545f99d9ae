"""Matching as part of an app: its background tasks and its dashboard figures (its pages nest
under the programme's)."""

from __future__ import annotations

from flask import Flask

from lti_tool.jobs import register_task
from lti_tool.mentoring.kpis.figures import register_figure
from lti_tool.mentoring.matching import choice, figures, runs


def init_app(app: Flask) -> None:
    register_task(runs.RUN_TASK, runs.run_matching)
    register_task(choice.EXPIRE_TASK, choice.expire_request)
    register_figure(app, "mentees", figures.mentees)
    register_figure(app, "matches", figures.matches)
    register_figure(app, "pending_requests", figures.pending_requests)
