"""Every feature Ritmo serves, in one list: :func:`lti_tool.create_app` calls each one's
``init_app(app)``, which declares its blueprints, background tasks, event handlers, launch targets,
deep-linking offers, timeline sources, KPI figures and process-wide listeners. Nothing registers at import.

Order matters twice: blueprints are registered in this order, and the deep-linking picker lists
what it offers in the order the features registered it (programmes, webinars, content). Every
``init_app`` is safe to call for many apps in one process: registries keep one entry per name or
handler, and process-wide listeners are installed once.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from lti_tool import health
from lti_tool.api import feature as api
from lti_tool.api import key_auth as api_keys
from lti_tool.grades import feature as grades
from lti_tool.launch import feature as launch
from lti_tool.mentoring.attachments import feature as attachments
from lti_tool.mentoring.attention import feature as attention
from lti_tool.mentoring.content import feature as content
from lti_tool.mentoring.conversations import feature as conversations
from lti_tool.mentoring.goals import feature as goals
from lti_tool.mentoring.kpis import feature as kpis
from lti_tool.mentoring.matching import feature as matching
from lti_tool.mentoring.meetings import feature as meetings
from lti_tool.mentoring.nudges import feature as nudges
from lti_tool.mentoring.profiles import feature as profiles
from lti_tool.mentoring.programmes import feature as programmes
from lti_tool.mentoring.rhythm import feature as rhythm
from lti_tool.mentoring.roster import feature as roster
from lti_tool.mentoring.support import feature as support
from lti_tool.mentoring.surveys import feature as surveys
from lti_tool.mentoring.surveys.instruments import feature as survey_instruments
from lti_tool.mentoring.webhooks import feature as webhooks
from lti_tool.mentoring.webinars import feature as webinars
from lti_tool.notifications import feature as notifications

#: Profiles, matching and roster pages nest under the programme's blueprint; their entries register
#: the rest of what they own (tasks, dashboard figures).
FEATURES: tuple[Callable[[Flask], None], ...] = (
    api.init_app,  # first: the /api/v1 rewrite and the check of ids in paths, before any feature's hooks
    health.init_app,
    launch.init_app,
    api_keys.init_app,
    programmes.init_app,
    profiles.init_app,
    matching.init_app,
    roster.init_app,
    goals.init_app,
    grades.init_app,
    webinars.init_app,
    content.init_app,
    conversations.init_app,
    meetings.init_app,
    attachments.init_app,
    support.init_app,
    nudges.init_app,
    rhythm.init_app,
    notifications.init_app,
    kpis.init_app,
    attention.init_app,
    surveys.init_app,
    survey_instruments.init_app,
    webhooks.init_app,
)


def init_app(app: Flask) -> None:
    for init_feature in FEATURES:
        init_feature(app)
