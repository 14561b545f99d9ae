"""Imports every feature's models so metadata (and Alembic) sees all tables."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "lti_tool.cache",
    "lti_tool.launch.models",
    "lti_tool.accounts.models",
    "lti_tool.identity.email_links",
    "lti_tool.audit",
    "lti_tool.api.keys",
    "lti_tool.jobs.models",
    "lti_tool.inbound.models",
    "lti_tool.mentoring.programmes.models",
    "lti_tool.mentoring.matching.models",
    "lti_tool.mentoring.goals.models",
    "lti_tool.grades.models",
    "lti_tool.mentoring.profiles.models",
    "lti_tool.mentoring.conversations.models",
    "lti_tool.mentoring.meetings.models",
    "lti_tool.mentoring.attachments.models",
    "lti_tool.notifications.models",
    "lti_tool.mentoring.webinars.models",
    "lti_tool.mentoring.content.models",
    "lti_tool.mentoring.support.models",
    "lti_tool.mentoring.nudges.models",
    "lti_tool.mentoring.rhythm.models",
    "lti_tool.mentoring.attention.models",
    "lti_tool.mentoring.kpis.models",
    "lti_tool.mentoring.surveys.models",
    "lti_tool.mentoring.webhooks.models",
)


def load_all() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
