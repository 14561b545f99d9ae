"""Matching as part of an app: its background tasks (its pages nest under the programme's)."""

from __future__ import annotations

from flask import Flask

from lti_tool.jobs import register_task
from lti_tool.mentoring.matching import choice, runs


def init_app(app: Flask) -> None:
    register_task(runs.RUN_TASK, runs.run_matching)
    register_task(choice.EXPIRE_TASK, choice.expire_request)
