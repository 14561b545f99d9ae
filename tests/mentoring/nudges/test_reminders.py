"""The daily reminders, driven by ``now``: milestones and goals before and after their due date
(once each), and profiles incomplete before matching (only then)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient

from lti_tool import timezones
from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.jobs import periodic
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus
from lti_tool.mentoring.nudges import reminders
from lti_tool.mentoring.nudges.models import Nudge
from lti_tool.mentoring.profiles import service as profiles
from lti_tool.mentoring.profiles.models import Audience, QuestionKind
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole
from tests.mentoring.conversations.factories import Mailbox, World


def today(world: World, now: datetime) -> date:
    return timezones.in_zone(now, world.programme.timezone).date()


def sent(kind: str | None = None) -> list[tuple[int, str]]:
    query = sa.select(Nudge.user_id, Nudge.kind).order_by(Nudge.id)
    if kind:
        query = query.where(Nudge.kind == kind)
    return [tuple(row) for row in db.session.execute(query).all()]  # type: ignore[misc]


def one_pair(world: World) -> None:
    """Milestones are the programme's: end the other pair so that counts are about Marta and Ben."""
    world.other_match.status = MatchStatus.ENDED
    db.session.commit()


def milestone(client: FlaskClient, world: World, due_on: date, title: str = "First meeting summary") -> int:
    response = client.post(
        "/api/goals/milestones",
        headers=world.headers(world.coordinator),
        json={"title": title, "due_on": due_on.isoformat()},
    )
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def test_a_milestone_is_reminded_before_and_after_its_due_date_once_each(client, world: World) -> None:
    one_pair(world)
    now = utcnow()
    due = today(world, now) + timedelta(days=5)
    milestone(client, world, due)
    members = {world.mentor.id, world.mentee.id}
    assert reminders.run(now) == 0  # five days ahead: too early
    assert reminders.run(now + timedelta(days=3)) == 2  # two days ahead
    assert {u for u, _k in sent("milestone.due")} == members
    assert reminders.run(now + timedelta(days=4)) == 0  # not twice
    assert reminders.run(now + timedelta(days=5)) == 0  # due today: neither before nor after
    assert reminders.run(now + timedelta(days=6)) == 2  # one day late
    assert {u for u, _k in sent("milestone.overdue")} == members
    assert reminders.run(now + timedelta(days=7)) == 0
    nudge = db.session.execute(
        sa.select(Nudge).where(Nudge.user_id == world.mentee.id, Nudge.kind == "milestone.overdue")
    ).scalar_one()
    assert nudge.match_id == world.match.id and nudge.action_link == f"/goals/matches/{world.match.id}"
    assert "First meeting summary" in nudge.subject


def test_a_completed_milestone_and_an_ended_match_get_no_reminder(client, world: World) -> None:
    now = utcnow()
    milestone_id = milestone(client, world, today(world, now) + timedelta(days=1))
    done = client.post(
        f"/api/goals/matches/{world.match.id}/milestones/{milestone_id}/done",
        headers=world.headers(world.mentor),
        json={
            "participant_id": db.session.execute(
                sa.select(MatchMentee.mentee_id).where(MatchMentee.match_id == world.match.id)
            ).scalar_one()
        },
    )
    assert done.status_code == 200, done.get_json()
    world.other_match.status = MatchStatus.ENDED
    db.session.commit()
    assert reminders.run(now) == 0
    assert reminders.run(now + timedelta(days=3)) == 0
    assert sent() == []


def test_goals_are_reminded_before_and_after_and_not_once_achieved(client, world: World) -> None:
    now = utcnow()
    headers = world.headers(world.mentee)
    url = f"/api/goals/matches/{world.match.id}/goals"
    due = (today(world, now) + timedelta(days=2)).isoformat()
    goal = client.post(
        url, headers=headers, json={"title": "Three mock interviews", "due_on": due}
    ).get_json()
    achieved = client.post(url, headers=headers, json={"title": "CV rewritten", "due_on": due}).get_json()
    patched = client.patch(f"/api/goals/goals/{achieved['id']}", headers=headers, json={"status": "achieved"})
    assert patched.status_code == 200
    assert reminders.run(now) == 2
    assert sent("goal.due") == [(world.mentor.id, "goal.due"), (world.mentee.id, "goal.due")]
    assert reminders.run(now + timedelta(days=1)) == 0
    assert reminders.run(now + timedelta(days=3)) == 2
    assert len(sent("goal.overdue")) == 2 and reminders.run(now + timedelta(days=4)) == 0
    keys = set(db.session.execute(sa.select(Nudge.dedupe_key)).scalars())
    assert all(key.startswith(f"goal:{goal['id']}:") for key in keys)


def test_the_weekly_limit_holds_a_reminder_back_and_it_comes_the_next_day(client, world: World) -> None:
    one_pair(world)
    now = utcnow()
    for n in range(3):
        milestone(client, world, today(world, now) + timedelta(days=1), title=f"Step {n}")
    assert reminders.run(now) == 4  # two each for Marta and Ben
    assert len([u for u, _k in sent() if u == world.mentee.id]) == 2
    assert reminders.run(now + timedelta(days=1)) == 0  # due today; and the week is full anyway
    # The third one is overdue from the next day; the limit frees up a week after the first two.
    assert reminders.run(now + timedelta(days=7, minutes=1)) == 4
    assert len([u for u, _k in sent() if u == world.mentee.id]) == 4


def test_reminders_are_written_in_each_members_language(client, world: World, mailbox: Mailbox) -> None:
    world.mentee.locale = "it"
    db.session.commit()
    now = utcnow()
    due = today(world, now) + timedelta(days=2)
    milestone(client, world, due, title="Primo incontro")
    reminders.run(now)
    drain()
    [italian] = mailbox.to("ben0@example.org")
    [english] = mailbox.to("marta@example.org")
    assert english["Subject"] == "Milestone due soon: Primo incontro"
    italian_text = italian.get_body(("plain",)).get_content()
    months = [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ]
    assert f"{due.day} {months[due.month - 1]} {due.year}" in italian_text  # the date, in Italian
    assert "Apri in Ritmo:" in italian_text
    assert due.strftime("%B") in english.get_body(("plain",)).get_content()
    # The reminder's own words (their Italian is in the catalogue from this feature's translations).
    assert italian["Subject"] == "Tappa in scadenza: Primo incontro"
    assert "Prossimo passo: Apri le tappe" in italian_text


def _required_question(world: World) -> None:
    profiles.add_question(
        world.programme,
        {
            "kind": QuestionKind.FREE_TEXT,
            "label": "What do you hope to learn?",
            "required": True,
            "audience": Audience.MENTEES,
        },
    )


def _newcomer(world: World, name: str, days_ago: float) -> Participant:
    user = User(platform_id=world.platform.id, sub=name, name=name, email=f"{name}@example.org")
    db.session.add(user)
    db.session.flush()
    participant = Participant(
        programme_id=world.programme.id,
        user_id=user.id,
        role=ParticipantRole.MENTEE,
        created_at=utcnow() - timedelta(days=days_ago),
    )
    db.session.add(participant)
    db.session.commit()
    return participant


def test_incomplete_profiles_are_reminded_only_before_matching(app, world: World) -> None:
    _required_question(world)
    waiting = _newcomer(world, "wendy", days_ago=3)
    fresh = _newcomer(world, "fred", days_ago=0.1)
    answered = _newcomer(world, "anna", days_ago=3)
    profiles.save_answers(answered, {"what_do_you_hope_to_learn": "Public speaking"})
    now = utcnow()
    # Ben and Olga have no answers either, but they are matched already.
    assert reminders.run(now) == 1
    [nudge] = db.session.execute(sa.select(Nudge)).scalars().all()
    assert nudge.user_id == waiting.user_id and nudge.kind == "profile.incomplete"
    assert nudge.action_link == f"/programmes/{world.programme.id}/profile" and nudge.match_id is None
    assert reminders.run(now + timedelta(hours=5)) == 0  # once a week at most
    # A proposal is not a match yet; an approved one is.
    proposal = Match(
        programme_id=world.programme.id, mentor_id=world.match.mentor_id, status=MatchStatus.PROPOSED
    )
    proposal.members = [MatchMentee(mentee_id=waiting.id)]
    db.session.add(proposal)
    db.session.commit()
    later = now + timedelta(days=8)
    assert sorted(u for u, _k in sent()) == [waiting.user_id]
    assert reminders.run(later) == 2  # Wendy again, and Fred now that his grace period is over
    assert sorted(u for u, _k in sent()) == sorted([waiting.user_id, waiting.user_id, fresh.user_id])
    proposal.status = MatchStatus.APPROVED
    db.session.commit()
    assert reminders.run(later + timedelta(days=8)) == 1  # Fred only
    assert sent()[-1][0] == fresh.user_id


def test_the_daily_task_is_scheduled_and_runs(app, world: World) -> None:
    assert periodic.by_task(reminders.DAILY_TASK).every == timedelta(days=1)
    _required_question(world)
    _newcomer(world, "wendy", days_ago=3)
    assert periodic.arm(periodic.by_task(reminders.DAILY_TASK))
    db.session.commit()
    drain(task_names=[reminders.DAILY_TASK])
    assert [k for _u, k in sent()] == ["profile.incomplete"]
