"""Nudges as part of an app: the daily reminder task and the match timeline's sources for nudges,
goals, milestone completions and webinar attendance."""

from __future__ import annotations

from flask import Flask

from lti_tool.jobs import register_task
from lti_tool.mentoring.conversations import history
from lti_tool.mentoring.nudges import reminders, timeline


def init_app(app: Flask) -> None:
    register_task(reminders.DAILY_TASK, reminders.daily_task)
    for name, fn, kinds in timeline.SOURCES:
        history.register_source(name, fn, kinds=kinds, labels=timeline.KIND_LABELS)
