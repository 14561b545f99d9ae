"""The nudge ledger: the weekly limit across kinds, dedupe, the recipient's language, real e-mail."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l

from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.identity.email_links import SignInLink
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.nudges import service
from lti_tool.mentoring.nudges.models import Nudge
from lti_tool.notifications.models import EmailMode, Notification
from lti_tool.notifications.service import set_email_mode
from tests.mentoring.conversations.factories import Mailbox, World


def nudge(world: World, user: User, kind: str, *, key: str | None = None, now=None) -> Nudge | None:
    sent = service.send_nudge(
        programme=world.programme,
        user_id=user.id,
        kind=kind,
        subject=_l("Propose a meeting"),
        text=_l("Your profile is missing required answers: %(q)s.", q="Languages"),
        action_label=_l("Propose a meeting"),
        action_link=f"/matches/{world.match.id}/meetings",
        match_id=world.match.id,
        dedupe_key=key,
        now=now,
    )
    db.session.commit()
    return sent


def test_at_most_two_a_week_across_kinds_then_room_again(app, world: World) -> None:
    start = utcnow()
    assert service.allowance(world.mentee.id, start) == service.WEEKLY_LIMIT == 2
    assert nudge(world, world.mentee, "rhythm.quiet", now=start) is not None
    assert nudge(world, world.mentee, "goal.overdue", now=start + timedelta(days=2)) is not None
    assert service.allowance(world.mentee.id, start + timedelta(days=2)) == 0
    # A third, of yet another kind, within the rolling week: refused, nothing written.
    assert nudge(world, world.mentee, "milestone.due", now=start + timedelta(days=6)) is None
    assert db.session.execute(sa.select(sa.func.count(Nudge.id))).scalar_one() == 2
    assert db.session.execute(sa.select(sa.func.count(Notification.id))).scalar_one() == 2
    # Someone else's allowance is their own.
    assert nudge(world, world.mentor, "milestone.due", now=start + timedelta(days=6)) is not None
    # Seven days after the first one, there is room for one more (rolling, not calendar, weeks).
    assert service.allowance(world.mentee.id, start + timedelta(days=7, seconds=1)) == 1
    assert nudge(world, world.mentee, "milestone.due", now=start + timedelta(days=7, seconds=1))
    assert nudge(world, world.mentee, "milestone.due", now=start + timedelta(days=8)) is None


def test_a_dedupe_key_is_sent_once_per_person(app, world: World) -> None:
    first = nudge(world, world.mentee, "goal.overdue", key="goal:1:after")
    assert first is not None and first.notification_id is not None
    assert nudge(world, world.mentee, "goal.overdue", key="goal:1:after") is None
    assert nudge(world, world.mentor, "goal.overdue", key="goal:1:after") is not None
    rows = db.session.execute(sa.select(Nudge.user_id).order_by(Nudge.id)).scalars().all()
    assert rows == [world.mentee.id, world.mentor.id]


def test_the_unique_constraint_holds_when_the_check_is_raced(app, world: World) -> None:
    db.session.add(
        Nudge(
            programme_id=world.programme.id,
            user_id=world.mentee.id,
            kind="goal.overdue",
            dedupe_key="goal:9:after",
            subject="s",
            action_link="/goals",
        )
    )
    db.session.commit()
    # Straight at the insert, as a second worker that passed the check a moment earlier would.
    try:
        with db.session.begin_nested():
            db.session.add(
                Nudge(
                    programme_id=world.programme.id,
                    user_id=world.mentee.id,
                    kind="goal.overdue",
                    dedupe_key="goal:9:after",
                    subject="s",
                    action_link="/goals",
                )
            )
        raised = False
    except sa.exc.IntegrityError:
        raised = True
    assert raised


def test_concurrent_senders_do_not_pass_the_limit(app: Flask, world: World) -> None:
    """Four workers nudge one person at once: exactly two nudges are recorded."""
    programme_id, user_id, match_id = world.programme.id, world.mentee.id, world.match.id
    results: list[object] = []
    barrier = threading.Barrier(4)

    def worker(index: int) -> None:
        with app.app_context():
            programme = db.session.get(type(world.programme), programme_id)
            barrier.wait()
            for _attempt in range(20):
                try:
                    sent = service.send_nudge(
                        programme=programme,
                        user_id=user_id,
                        kind=f"kind.{index}",
                        subject=_l("Propose a meeting"),
                        text=_l("Propose a meeting"),
                        action_label=_l("Propose a meeting"),
                        action_link="/meetings",
                        match_id=match_id,
                    )
                    db.session.commit()
                    results.append(sent)
                    break
                except sa.exc.OperationalError:  # SQLite: another writer held the lock; try again
                    db.session.rollback()
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert sum(r is not None for r in results) == 2
    assert db.session.execute(sa.select(sa.func.count(Nudge.id))).scalar_one() == 2


def test_the_nudge_is_written_in_the_recipients_language_and_mailed(
    app, world: World, mailbox: Mailbox
) -> None:
    world.mentee.locale = "it"
    db.session.commit()
    sent = nudge(world, world.mentee, "rhythm.quiet")
    assert sent is not None and sent.subject == "Proponi un incontro"
    assert sent.action_label == "Proponi un incontro"
    assert sent.text == "Nel tuo profilo mancano risposte obbligatorie: Languages."
    drain()
    [message] = mailbox.to("ben0@example.org")
    assert message["Subject"] == "Proponi un incontro"
    body = message.get_body(("plain",)).get_content()
    assert "Nel tuo profilo mancano risposte obbligatorie: Languages." in body
    assert "Proponi un incontro" in body  # the one next step
    # The e-mailed link signs the person into the programme's course at the nudge's page.
    assert "Apri in Ritmo: http://127.0.0.1:5000/signin/" in body
    [link] = db.session.execute(sa.select(SignInLink)).scalars()
    assert (link.user_id, link.course_id) == (world.mentee.id, world.programme.course_id)
    assert link.path == f"/matches/{world.match.id}/meetings"
    notification = db.session.get(Notification, sent.notification_id)
    assert notification is not None and notification.kind == "nudge.rhythm.quiet"
    assert notification.link == f"/matches/{world.match.id}/meetings"


def test_e_mail_preferences_are_respected(app, world: World, mailbox: Mailbox) -> None:
    set_email_mode(world.mentee.id, EmailMode.OFF)
    assert nudge(world, world.mentee, "rhythm.quiet") is not None
    drain()
    assert mailbox.to("ben0@example.org") == []
    # In the app it is there, and it still counts towards the limit.
    assert (
        db.session.execute(
            sa.select(sa.func.count(Notification.id)).where(Notification.user_id == world.mentee.id)
        ).scalar_one()
        == 1
    )
    assert service.allowance(world.mentee.id, utcnow()) == 1
