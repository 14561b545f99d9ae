"""Every blueprint Ritmo serves. A feature adds its blueprint here and nowhere else."""

from __future__ import annotations

from flask import Blueprint


def BLUEPRINTS() -> list[Blueprint]:
    from lti_tool.grades.views import bp as grades
    from lti_tool.health import bp as health
    from lti_tool.launch.api import bp as launch_api
    from lti_tool.launch.setup_views import bp as lti_setup
    from lti_tool.launch.views import bp as lti
    from lti_tool.mentoring.content.views import bp as content
    from lti_tool.mentoring.conversations.views import bp as conversations
    from lti_tool.mentoring.goals.views import bp as goals
    from lti_tool.mentoring.kpis.views import bp as kpis
    from lti_tool.mentoring.meetings.views import bp as meetings
    from lti_tool.mentoring.programmes.views import bp as programmes
    from lti_tool.mentoring.webinars.views import bp as webinars
    from lti_tool.notifications.views import bp as notifications

    return [
        health, lti, lti_setup, launch_api, programmes, goals, grades, webinars, content,
        conversations, meetings, notifications, kpis,
    ]
