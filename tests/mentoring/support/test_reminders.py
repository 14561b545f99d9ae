"""The response-time target: a reminder when it is about to be missed and one when it is missed, each
once per wait, sent as notifications and real e-mail (SMTP), by the periodic task."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.jobs import enqueue
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.support import reminders
from lti_tool.mentoring.support.models import SupportRequest
from lti_tool.notifications.models import Notification
from tests.mentoring import mail_fixtures
from tests.mentoring.conversations.factories import Mailbox, World
from tests.mentoring.support.conftest import ask

# A real SMTP server for this module (pytest finds fixtures by name here).
smtp, mailbox, app_config = mail_fixtures.smtp, mail_fixtures.mailbox, mail_fixtures.app_config


def subjects(user_id: int) -> list[str]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Notification.subject)
        .where(Notification.user_id == user_id, Notification.kind == "support")
        .order_by(Notification.id)
    ).scalars()
    return list(rows)


def the_request(request_id: int) -> SupportRequest:
    db.session.expire_all()
    return db.session.get_one(SupportRequest, request_id)


def test_reminders_go_once_before_and_once_after_the_target(client, world: World, mailbox: Mailbox) -> None:
    request_id = ask(client, world).get_json()["id"]
    due = the_request(request_id).due_at
    assert due is not None
    drain()
    mailbox.clear()
    before = subjects(world.coordinator.id)

    # Half the target left (48 h by default): nothing yet.
    assert reminders.send_reminders(due - timedelta(hours=24)) == 0
    # A quarter left: everyone in support is reminded, since nobody has the request yet; once.
    assert reminders.send_reminders(due - timedelta(hours=11)) == 1
    assert reminders.send_reminders(due - timedelta(hours=2)) == 0
    warned = subjects(world.coordinator.id)[len(before) :]
    assert warned == ["Support request waiting: “Cannot find the goals page”"]
    # Past the target: the coordinators are told, once.
    assert reminders.send_reminders(due + timedelta(minutes=1)) == 1
    assert reminders.send_reminders(due + timedelta(hours=5)) == 0
    assert subjects(world.coordinator.id)[len(before) + 1 :] == [
        "Support request past its response time: “Cannot find the goals page”"
    ]
    drain()
    mail = mailbox.to("cora@example.org")
    assert [m["Subject"] for m in mail] == [
        "Support request waiting: “Cannot find the goals page”",
        "Support request past its response time: “Cannot find the goals page”",
    ]
    assert not mailbox.to("ben0@example.org")  # the requester gets no reminders about support


def test_an_answer_ends_the_wait_and_a_new_message_starts_another(client, world: World) -> None:
    request_id = ask(client, world).get_json()["id"]
    url = f"/api/support/requests/{request_id}/messages"
    first_due = the_request(request_id).due_at
    assert first_due is not None
    assert reminders.send_reminders(first_due + timedelta(minutes=1)) == 1
    client.post(url, headers=world.headers(world.coordinator), json={"body": "Here it is."})
    answered = the_request(request_id)
    assert (answered.due_at, answered.warned_at, answered.overdue_at) == (None, None, None)
    assert reminders.send_reminders(first_due + timedelta(days=30)) == 0

    client.post(url, headers=world.headers(world.mentee), json={"body": "Still lost."})
    second_due = the_request(request_id).due_at
    assert second_due is not None
    before = len(subjects(world.coordinator.id))
    # Now assigned (the coordinator answered first): the assignee gets the warning.
    assert reminders.send_reminders(second_due - timedelta(hours=1)) == 1
    assert subjects(world.coordinator.id)[before:] == [
        "Support request waiting: “Cannot find the goals page”"
    ]


def test_the_target_follows_the_programme_setting_and_the_task_runs_from_the_queue(
    client, world: World
) -> None:
    token = {"ritmo_session": world.token(world.coordinator)}
    assert client.post("/support/settings", data={**token, "response_hours": "4"}).status_code == 303
    refused = client.post("/support/settings", data={**token, "response_hours": "0"})
    assert refused.status_code == 422
    request_id = ask(client, world).get_json()["id"]
    request = the_request(request_id)
    assert request.due_at is not None and request.due_at - request.created_at == timedelta(hours=4)
    # Push the target into the past, then let the periodic task run as the scheduler would.
    request.due_at = request.created_at - timedelta(seconds=1)
    db.session.commit()
    enqueue(reminders.REMINDER_TASK, {})
    db.session.commit()
    drain(task_names=[reminders.REMINDER_TASK])
    assert the_request(request_id).overdue_at is not None
