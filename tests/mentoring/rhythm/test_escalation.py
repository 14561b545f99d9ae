"""The daily run: nudges escalate pair -> mentor -> coordinators, once per situation, at most two a
week to one person, each with one concrete step; the attention list's "pairs at risk"."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.attention.registry import source
from lti_tool.mentoring.nudges.models import Nudge
from lti_tool.mentoring.rhythm.at_risk_source import NAME, items
from lti_tool.mentoring.rhythm.escalation import run_programme
from lti_tool.mentoring.rhythm.models import PairRhythm
from tests.mentoring.conversations.factories import Mailbox, World
from tests.mentoring.rhythm.conftest import chat, days_later
from tests.session_codes import rh


def nudges_to(user_id: int) -> list[Nudge]:
    return list(
        db.session.execute(sa.select(Nudge).where(Nudge.user_id == user_id).order_by(Nudge.id)).scalars()
    )


def run_days(world: World, start, days: range) -> None:
    for day in days:
        run_programme(world.programme, days_later(day, start))
        db.session.commit()


def test_a_quiet_pair_is_nudged_then_its_mentor_then_the_coordinators(
    client, world: World, mailbox: Mailbox
) -> None:
    start = utcnow()
    chat(client, world, world.mentee, "can we meet next week?")
    run_days(world, start, range(0, 5))
    assert nudges_to(world.mentee.id) == [] and nudges_to(world.mentor.id) == []
    run_programme(world.programme, days_later(5.5, start))  # writing 70% gone, message unanswered: quiet
    db.session.commit()
    to_mentor, to_mentee = nudges_to(world.mentor.id), nudges_to(world.mentee.id)
    # The mentor is the one who should answer; the mentee is told to propose a meeting.
    assert [n.kind for n in to_mentor] == ["rhythm.unanswered"]
    assert to_mentor[0].action_link == f"/matches/{world.match.id}/space"
    assert [n.kind for n in to_mentee] == ["rhythm.quiet"]
    assert to_mentee[0].action_link == f"/matches/{world.match.id}/meetings"
    assert all(n.match_id == world.match.id for n in to_mentor + to_mentee)
    # The same situation the next days: nothing new until the next step is due.
    run_days(world, start, range(6, 9))
    assert len(nudges_to(world.mentor.id)) == 1 and len(nudges_to(world.mentee.id)) == 1
    # Four days after the pair: the mentor alone.
    run_programme(world.programme, days_later(9.6, start))
    db.session.commit()
    assert [n.kind for n in nudges_to(world.mentor.id)] == ["rhythm.unanswered", "rhythm.escalated"]
    assert len(nudges_to(world.mentee.id)) == 1
    row = db.session.get(PairRhythm, world.match.id)
    assert row is not None and row.escalation == 2
    assert items(world.programme, days_later(9.6, start)) == []
    # Still at risk four days later: the coordinators' attention list.
    run_programme(world.programme, days_later(13.7, start))
    db.session.commit()
    found = items(world.programme, days_later(13.7, start))
    assert [i.key for i in found] == [f"match:{world.match.id}"]
    item = found[0]
    assert item.severity == 2 and item.source == NAME and item.match_id == world.match.id
    assert "Marta Rossi" in item.title and "Ben Mentee0" in item.title
    assert "No message for 13 days" in item.reason
    names = {a.name: a for a in item.actions}
    assert names["message"].url == f"/matches/{world.match.id}/space"
    assert names["end"].destructive and names["end"].url and names["rematch"].url
    assert names["followed_up"].url is None
    # The e-mails went out through the notification service.
    drain()
    assert mailbox.to("marta@example.org") and mailbox.to("ben0@example.org")


def test_nobody_gets_more_than_two_nudges_a_week_and_a_recovered_pair_starts_again(
    client, world: World
) -> None:
    start = utcnow()
    chat(client, world, world.mentee, "hello?")
    run_days(world, start, range(0, 30))
    for user in (world.mentor, world.mentee):
        sent = [n.sent_at for n in nudges_to(user.id)]
        assert sent, user.name
        for at in sent:
            assert sum(1 for other in sent if at - timedelta(days=7) < other <= at) <= 2
    # Dedupe: the same day run twice sends nothing new.
    before = db.session.execute(sa.select(sa.func.count(Nudge.id))).scalar_one()
    run_programme(world.programme, days_later(29, start))
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count(Nudge.id))).scalar_one() == before
    row = db.session.get(PairRhythm, world.match.id)
    assert row is not None and row.escalation == 3 and row.state == "at_risk"


def test_a_pair_that_picks_up_again_leaves_the_episode(client, world: World) -> None:
    start = utcnow()
    chat(client, world, world.mentee, "hello?")
    run_programme(world.programme, days_later(5.5, start))
    db.session.commit()
    row = db.session.get(PairRhythm, world.match.id)
    assert row is not None and row.escalation == 1 and row.episode_since is not None
    chat(client, world, world.mentor, "sorry, yes!")
    chat(client, world, world.mentee, "great")
    run_programme(world.programme, utcnow() + timedelta(hours=1))
    db.session.commit()
    db.session.refresh(row)
    assert row.state in ("on_track", "slowing") and row.escalation == 0 and row.episode_since is None


def test_the_coordinator_marks_a_pair_followed_up_from_the_attention_list(client, world: World) -> None:
    start = utcnow()
    chat(client, world, world.mentee, "hello?")
    for day in (5.5, 9.6, 13.7):
        run_programme(world.programme, days_later(day, start))
        db.session.commit()
    assert source(NAME) is not None
    key = f"match:{world.match.id}"
    refused = client.post(
        f"/api/programmes/{world.programme.id}/attention/{NAME}/{key}/followed_up",
        headers=world.headers(world.mentor),
    )
    assert refused.status_code == 403
    done = client.post(
        f"/api/programmes/{world.programme.id}/attention/{NAME}/{key}/followed_up",
        headers=world.headers(world.coordinator),
    )
    assert done.status_code == 200, done.get_json()
    db.session.expire_all()
    row = db.session.get(PairRhythm, world.match.id)
    assert row is not None and row.followed_up_until is not None
    assert items(world.programme, utcnow()) == []
    unknown = client.post(
        f"/api/programmes/{world.programme.id}/attention/{NAME}/match:999999/followed_up",
        headers=world.headers(world.coordinator),
    )
    assert unknown.status_code == 409  # the attention list only acts on what it lists
    page = client.get(f"/programmes/{world.programme.id}/attention?rh={rh(world.token(world.coordinator))}")
    assert page.status_code == 200
