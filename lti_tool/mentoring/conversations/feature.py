"""The relationship space as part of an app: its pages, its tasks, the timeline's own sources and
replies by e-mail."""

from __future__ import annotations

from flask import Flask

from lti_tool.jobs import register_task
from lti_tool.mentoring.conversations import api, chat, history, inbound, sent_mail, threads, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    register_task(threads.ANNOUNCE_TASK, threads.fan_out_announcement)
    register_task(chat.CHAT_EMAIL_TASK, chat.chat_reminder)
    history.register_own_sources()
    sent_mail.register()  # e-mails sent about a match, in its history (MAILLINKS)
    inbound.register()
