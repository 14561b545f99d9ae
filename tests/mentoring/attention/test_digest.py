"""The daily digest: one e-mail a day to each coordinator with open items, in their language, with
a link to the list; nothing when nothing waits; nothing before the digest hour."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.jobs import periodic
from lti_tool.jobs.models import Job
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.attention import digest
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme
from lti_tool.notifications.models import Notification
from tests.mentoring.attention.conftest import Pairs
from tests.mentoring.conversations.factories import Mailbox
from tests.mentoring.programmes.factories import World, world


@pytest.fixture
def w(app) -> World:
    return world()


def morning(day: int = 7, hour: int = 8) -> datetime:
    """A time on the real clock's day (``day=7``) or the next (``day=8``). The digests written are
    stamped by the real clock, so the test's days must be the real ones: fixed dates held only on
    the day the test was written."""
    today = utcnow().date()
    return datetime.combine(today + timedelta(days=day - 7), time(hour, 5), tzinfo=UTC)


def digests() -> list[Notification]:
    return list(
        db.session.execute(sa.select(Notification).where(Notification.kind == digest.DIGEST_KIND)).scalars()
    )


def run(now: datetime) -> int:
    sent = digest.send_digests(now)
    db.session.commit()
    drain()
    return sent


def test_one_digest_a_day_only_with_items(w: World, pairs: Pairs, mailbox: Mailbox) -> None:
    assert run(morning()) == 0  # nothing waits: no e-mail
    pairs.add("p1", severity=2, days=2, now=morning())
    pairs.add("p2")
    assert run(morning(hour=6)) == 0  # before the digest hour
    assert mailbox.messages == []
    assert run(morning()) == 1
    [message] = mailbox.messages
    assert message["To"] == "cora@example.test"
    assert message["Subject"] == "Ritmo: 2 things need your attention"
    body = message.get_body(("plain",)).get_content()
    assert "Mentoring 101 (2)" in body and "- Pair p1 has gone quiet: Nobody wrote for 2 days." in body
    assert f"http://127.0.0.1:5000/programmes/{w.programme.id}/attention" in body
    assert run(morning(hour=9)) == 0 and run(morning(hour=23)) == 0  # once a day
    assert len(mailbox.messages) == 1
    assert run(morning(day=8)) == 1  # the next day, still waiting: again
    assert len(digests()) == 2


def test_a_coordinator_of_two_programmes_gets_one_digest(w: World, pairs: Pairs, mailbox: Mailbox) -> None:
    other = Programme(course_id=w.course.id, title="Leadership circle", settings={})
    db.session.add(other)
    db.session.flush()
    db.session.add(
        Participant(programme_id=other.id, user_id=w.coordinator.id, role=ParticipantRole.COORDINATOR)
    )
    db.session.commit()
    pairs.add("p1")
    assert run(morning()) == 1
    [message] = mailbox.messages
    assert message["Subject"] == "Ritmo: 2 things need your attention"
    body = message.get_body(("plain",)).get_content()
    assert "Mentoring 101 (1)" in body and "Leadership circle (1)" in body


def test_the_digest_is_written_in_the_coordinators_language(w: World, pairs: Pairs, mailbox: Mailbox) -> None:
    w.coordinator.locale = "it"
    db.session.commit()
    pairs.add("p1")
    assert run(morning()) == 1
    [message] = mailbox.messages
    assert message["Subject"] == "Ritmo: 1 cosa richiede la tua attenzione"
    assert "Apri l'elenco:" in message.get_body(("plain",)).get_content()


def test_participants_get_no_digest(w: World, pairs: Pairs, mailbox: Mailbox) -> None:
    w.person("Ada Mentor", ParticipantRole.MENTOR)
    pairs.add("p1")
    assert run(morning()) == 1
    assert [m["To"] for m in mailbox.messages] == ["cora@example.test"]


def test_the_digest_is_a_periodic_task_the_runner_runs(w: World, pairs: Pairs, mailbox: Mailbox) -> None:
    pairs.add("p1")
    period = periodic.by_task(digest.DIGEST_TASK)
    assert period.every == timedelta(hours=1)
    now = datetime.now(UTC)
    assert periodic.arm(period, now)
    db.session.commit()
    drain()
    job = db.session.execute(sa.select(Job).where(Job.task == digest.DIGEST_TASK)).scalar_one()
    assert job.state.value == "done"
    expected = 1 if now.hour >= 7 else 0
    assert len(digests()) == expected
