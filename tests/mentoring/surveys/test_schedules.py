"""Scheduled surveys: each occasion invites its audience once, within a window; one reminder goes
before the window closes, within the weekly limit on nudges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lti_tool.db import db, utcnow
from lti_tool.mentoring.goals.models import CompletionState, MilestoneCompletion
from lti_tool.mentoring.matching.models import EndReason
from lti_tool.mentoring.meetings.models import Meeting
from lti_tool.mentoring.nudges.service import send_nudge
from lti_tool.mentoring.programmes.models import ParticipantRole, ParticipantStatus
from lti_tool.mentoring.surveys import occasions
from lti_tool.mentoring.surveys.models import Audience, SurveyInvitation, SurveyItem, SurveyResponse
from tests.mentoring.conversations.factories import World, make_world
from tests.mentoring.matching import states
from tests.mentoring.surveys.schedule_world import (
    add_person,
    add_survey,
    invited,
    notifications,
    nudges,
    participant,
)
from tests.session_codes import rh

WINDOW = {"window_days": 14, "remind_days_before": 3}


@pytest.fixture
def world(app) -> World:
    return make_world()


def everyone(world: World) -> list[int]:
    """The active mentors and mentees of the world (the coordinator is never asked)."""
    return sorted([world.mentor.id, world.mentee.id, world.outsider.id, world.other_match.mentor.user_id])


def test_baseline_on_joining_invites_the_audience_once(app, world: World) -> None:
    survey = add_survey(world, {"baseline": "joined", **WINDOW})
    now = utcnow()
    assert occasions.run(now) == {"invited": 4, "reminded": 0}
    assert invited(survey) == sorted((uid, "baseline") for uid in everyone(world))
    assert occasions.run(now + timedelta(hours=1)) == {"invited": 0, "reminded": 0}
    [row] = db.session.execute(
        sa.select(SurveyInvitation).where(SurveyInvitation.user_id == world.mentee.id)
    ).scalars()
    assert row.closes_at - row.opens_at == timedelta(days=14)
    # Each was told once, with a link to the answering page, signed in to the programme's course.
    told = notifications("survey.invited")
    assert sorted(n.user_id for n in told) == everyone(world)
    mine = next(n for n in told if n.user_id == world.mentee.id)
    assert mine.link == f"/surveys/{survey.id}/answer?invitation={row.id}"
    assert mine.course_id == world.course.id
    assert "How is it going?" in mine.subject
    # Someone who joins later is asked at the next run; a withdrawn person is not.
    late = add_person(world, "lena", ParticipantRole.MENTEE)
    gone = add_person(world, "gina", ParticipantRole.MENTEE)
    gone.status = ParticipantStatus.WITHDRAWN
    db.session.commit()
    assert occasions.run(now + timedelta(days=1))["invited"] == 1
    assert (late.user_id, "baseline") in invited(survey)
    assert (gone.user_id, "baseline") not in invited(survey)


@pytest.mark.parametrize(
    ("audience", "who"),
    [(Audience.MENTEES, "mentees"), (Audience.MENTORS, "mentors"), (Audience.EVERYONE, "both")],
)
def test_the_audience_is_chosen_by_role(app, world: World, audience: Audience, who: str) -> None:
    survey = add_survey(world, {"baseline": "joined", **WINDOW}, audience=audience)
    occasions.run(utcnow())
    mentees = {world.mentee.id, world.outsider.id}
    mentors = {world.mentor.id, world.other_match.mentor.user_id}
    expected = {"mentees": mentees, "mentors": mentors, "both": mentees | mentors}[who]
    assert {uid for uid, _ in invited(survey)} == expected


def test_baseline_when_the_first_match_starts(app, world: World) -> None:
    survey = add_survey(world, {"baseline": "match_started", **WINDOW})
    # Matches that started before the survey existed: the periodic run catches up, within the window.
    assert occasions.run(utcnow())["invited"] == 4
    mentor = add_person(world, "maria", ParticipantRole.MENTOR)
    mentee = add_person(world, "marco", ParticipantRole.MENTEE)
    lonely = add_person(world, "luca", ParticipantRole.MENTEE)
    # The start itself invites the new pair, at once, about that match.
    match = states.active(world.programme, mentor, [mentee])
    rows = db.session.execute(
        sa.select(SurveyInvitation.user_id, SurveyInvitation.match_id).where(
            SurveyInvitation.user_id.in_([mentor.user_id, mentee.user_id])
        )
    ).all()
    assert sorted(rows) == sorted([(mentor.user_id, match.id), (mentee.user_id, match.id)])
    assert (lonely.user_id, "baseline") not in invited(survey)
    # A match started longer ago than the window is no longer a baseline.
    later = utcnow() + timedelta(days=15)
    other = add_person(world, "olivia", ParticipantRole.MENTEE)
    assert occasions.run(later)["invited"] == 0
    assert (other.user_id, "baseline") not in invited(survey)


def test_pulses_n_days_after_the_start_then_every_m_days(app, world: World) -> None:
    survey = add_survey(world, {"pulse_after_days": 30, "pulse_every_days": 60, **WINDOW})
    start = world.match.started_at
    assert start is not None
    assert occasions.run(start + timedelta(days=29))["invited"] == 0
    assert occasions.run(start + timedelta(days=30, hours=1))["invited"] == 4
    first = f"pulse:{world.match.id}:1"
    assert invited(survey, first) == sorted([(world.mentor.id, first), (world.mentee.id, first)])
    assert occasions.run(start + timedelta(days=31))["invited"] == 0  # once
    assert occasions.run(start + timedelta(days=60))["invited"] == 0  # between pulses
    assert occasions.run(start + timedelta(days=90, hours=1))["invited"] == 4
    second = f"pulse:{world.match.id}:2"
    [invitation] = db.session.execute(
        sa.select(SurveyInvitation).where(
            SurveyInvitation.occasion == second, SurveyInvitation.user_id == world.mentee.id
        )
    ).scalars()
    assert invitation.opens_at == start + timedelta(days=90)
    assert invitation.closes_at == start + timedelta(days=104)
    assert invitation.match_id == world.match.id


def test_a_pulse_whose_window_closed_is_not_sent_late(app, world: World) -> None:
    add_survey(world, {"pulse_after_days": 30, **WINDOW})
    start = world.match.started_at
    assert start is not None
    # The runner was down for the whole window: nobody is asked to answer a survey already closed.
    assert occasions.run(start + timedelta(days=44, hours=1))["invited"] == 0
    # Without "every", one pulse only.
    assert occasions.run(start + timedelta(days=400))["invited"] == 0


def test_a_survey_after_each_meeting_held(client, app, world: World) -> None:
    survey = add_survey(world, {"after_meeting": True, **WINDOW}, audience=Audience.MENTEES)
    proposed = client.post(
        f"/api/matches/{world.match.id}/meetings",
        headers=world.headers(world.mentor),
        json={"title": "First meeting", "times": ["2027-03-27T09:00"], "timezone": "Europe/Rome"},
    ).get_json()
    accepted = client.post(
        f"/api/meetings/{proposed['id']}/accept",
        headers=world.headers(world.mentee),
        json={"slot_id": proposed["slots"][0]["id"]},
    )
    assert accepted.status_code == 200
    db.session.get(Meeting, proposed["id"]).starts_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    url = f"/api/meetings/{proposed['id']}/outcome"
    assert client.post(url, headers=world.headers(world.mentor), json={"outcome": "held"}).status_code == 200
    occasion = f"meeting:{proposed['id']}"
    assert invited(survey) == [(world.mentee.id, occasion)]  # the audience: mentees only
    # Recording it again (the mentee confirms) asks nobody twice.
    assert client.post(url, headers=world.headers(world.mentee), json={"outcome": "held"}).status_code == 200
    assert invited(survey) == [(world.mentee.id, occasion)]


def test_closing_when_a_match_completes_not_when_it_ends_early(app, world: World) -> None:
    survey = add_survey(world, {"closing": True, **WINDOW})
    states.ended(world.programme, world.other_match, EndReason.COORDINATOR)
    assert invited(survey) == []
    states.ended(world.programme, world.match, EndReason.COMPLETED)
    assert invited(survey) == sorted([(world.mentor.id, "closing"), (world.mentee.id, "closing")])
    [row] = db.session.execute(
        sa.select(SurveyInvitation).where(SurveyInvitation.user_id == world.mentee.id)
    ).scalars()
    assert row.match_id == world.match.id


def test_at_the_programmes_end_date(app, world: World) -> None:
    survey = add_survey(world, {"programme_end": True, **WINDOW})
    world.programme.ends_on = date(2027, 6, 30)
    db.session.commit()
    # Midnight in Rome (the programme's zone) is 22:00 UTC the day before, in summer.
    opens = datetime(2027, 6, 29, 22, 0, tzinfo=UTC)
    assert occasions.run(opens - timedelta(minutes=1))["invited"] == 0
    assert occasions.run(opens + timedelta(hours=2))["invited"] == 4
    assert {o for _, o in invited(survey)} == {"programme_end"}
    assert occasions.run(opens + timedelta(days=1))["invited"] == 0
    [row] = db.session.execute(
        sa.select(SurveyInvitation).where(SurveyInvitation.user_id == world.mentor.id)
    ).scalars()
    assert (row.opens_at, row.closes_at) == (opens, opens + timedelta(days=14))


def test_archived_and_empty_schedules_send_nothing(app, world: World) -> None:
    add_survey(world, {})
    archived = add_survey(world, {"baseline": "joined", **WINDOW})
    archived.archived_at = utcnow()
    db.session.commit()
    assert occasions.run(utcnow()) == {"invited": 0, "reminded": 0}


def test_one_reminder_before_the_window_closes(app, world: World) -> None:
    survey = add_survey(world, {"baseline": "joined", **WINDOW}, audience=Audience.MENTEES)
    start = utcnow()
    occasions.run(start)
    assert occasions.run(start + timedelta(days=10))["reminded"] == 0  # not yet: 4 days left
    # The outsider answered: only the mentee is reminded.
    outsider = db.session.execute(
        sa.select(SurveyInvitation).where(SurveyInvitation.user_id == world.outsider.id)
    ).scalar_one()
    db.session.add(
        SurveyResponse(
            survey_id=survey.id,
            invitation_id=outsider.id,
            occasion=outsider.occasion,
            user_id=world.outsider.id,
            participant_role="mentee",
        )
    )
    db.session.commit()
    at = start + timedelta(days=11, hours=1)
    assert occasions.run(at)["reminded"] == 1
    [reminder] = nudges("survey.reminder")
    assert reminder.user_id == world.mentee.id
    assert reminder.action_link.startswith(f"/surveys/{survey.id}/answer?invitation=")
    assert "How is it going?" in reminder.subject
    mine = db.session.execute(
        sa.select(SurveyInvitation).where(SurveyInvitation.user_id == world.mentee.id)
    ).scalar_one()
    assert mine.reminded_at == at
    assert occasions.run(at + timedelta(days=1))["reminded"] == 0  # one reminder only
    assert occasions.run(start + timedelta(days=20))["reminded"] == 0  # closed


def test_reminders_respect_the_weekly_limit_on_nudges(app, world: World) -> None:
    add_survey(world, {"baseline": "joined", **WINDOW}, audience=Audience.MENTEES)
    start = utcnow()
    occasions.run(start)
    busy = start + timedelta(days=10)
    for kind in ("rhythm.quiet", "goal.overdue"):  # two other nudges this week: the limit is reached
        assert send_nudge(
            programme=world.programme,
            user_id=world.mentee.id,
            kind=kind,
            subject=_l("Propose a meeting"),
            text=_l("Propose a meeting"),
            action_label=_l("Propose a meeting"),
            action_link="/programme",
            now=busy,
        )
    db.session.commit()
    at = start + timedelta(days=11, hours=1)
    assert occasions.run(at)["reminded"] == 1  # the outsider only
    assert [n.user_id for n in nudges("survey.reminder")] == [world.outsider.id]
    # The mentee's week is still full until the day the window closes: no reminder after all.
    assert occasions.run(start + timedelta(days=13, hours=23))["reminded"] == 0
    mine = db.session.execute(
        sa.select(SurveyInvitation).where(SurveyInvitation.user_id == world.mentee.id)
    ).scalar_one()
    assert mine.reminded_at is None


def test_a_reminder_held_back_by_the_limit_goes_when_room_frees_up(app, world: World) -> None:
    add_survey(world, {"baseline": "joined", "window_days": 20, "remind_days_before": 10})
    start = utcnow()
    occasions.run(start)
    for kind in ("rhythm.quiet", "goal.overdue"):
        send_nudge(
            programme=world.programme,
            user_id=world.mentee.id,
            kind=kind,
            subject=_l("Propose a meeting"),
            text=_l("Propose a meeting"),
            action_label=_l("Propose a meeting"),
            action_link="/programme",
            now=start + timedelta(days=5),
        )
    db.session.commit()
    occasions.run(start + timedelta(days=10, hours=1))
    assert world.mentee.id not in [n.user_id for n in nudges("survey.reminder")]
    occasions.run(start + timedelta(days=12, hours=2))  # a week after the other nudges
    assert world.mentee.id in [n.user_id for n in nudges("survey.reminder")]


def test_a_withdrawn_person_is_not_reminded(app, world: World) -> None:
    add_survey(world, {"baseline": "joined", **WINDOW}, audience=Audience.MENTEES)
    start = utcnow()
    occasions.run(start)
    participant(world, world.outsider).status = ParticipantStatus.WITHDRAWN
    db.session.commit()
    occasions.run(start + timedelta(days=12))
    assert [n.user_id for n in nudges("survey.reminder")] == [world.mentee.id]


def test_a_survey_without_questions_is_not_sent(app, world: World) -> None:
    survey = add_survey(world, {"baseline": "joined", **WINDOW})
    db.session.execute(sa.delete(SurveyItem).where(SurveyItem.survey_id == survey.id))
    db.session.commit()
    assert occasions.run(utcnow())["invited"] == 0


def test_answering_a_scheduled_survey_completes_a_survey_milestone(client, app, world: World) -> None:
    made = client.post(
        "/api/goals/milestones",
        headers=world.headers(world.coordinator),
        json={
            "title": "Baseline survey",
            "completion_mode": "automatic",
            "rule_event": "survey.answered",
            "graded": False,
            "points": 0,
        },
    )
    assert made.status_code == 201, made.get_json()
    survey = add_survey(world, {"baseline": "joined", **WINDOW}, audience=Audience.MENTEES)
    [item_id] = db.session.execute(
        sa.select(SurveyItem.id).where(SurveyItem.survey_id == survey.id)
    ).scalars()
    occasions.run(utcnow())
    invitation = db.session.execute(
        sa.select(SurveyInvitation).where(SurveyInvitation.user_id == world.mentee.id)
    ).scalar_one()
    mentee = participant(world, world.mentee)

    def completed() -> set[int]:
        return set(
            db.session.execute(
                sa.select(MilestoneCompletion.participant_id).where(
                    MilestoneCompletion.milestone_id == made.get_json()["id"],
                    MilestoneCompletion.state == CompletionState.COMPLETED,
                )
            ).scalars()
        )

    assert completed() == set()
    # The mentee answers through the answering page the invitation links to, as the form posts it.
    page = f"/surveys/{survey.id}/answer?invitation={invitation.id}&rh={rh(world.token(world.mentee))}"
    answered = client.post(page, data={f"item-{item_id}": "4"})
    assert answered.status_code in (302, 303), answered.get_data(as_text=True)
    assert completed() == {mentee.id}
    response = db.session.execute(
        sa.select(SurveyResponse).where(SurveyResponse.invitation_id == invitation.id)
    ).scalar_one()
    assert response.occasion == "baseline" and response.participant_role == "mentee"
    # A reminder is no longer due for an answered invitation.
    occasions.run(invitation.closes_at - timedelta(days=1))
    assert [n.user_id for n in nudges("survey.reminder")] == [world.outsider.id]


def test_a_reminder_about_a_match_stays_out_of_the_pairs_history(app, world: World) -> None:
    add_survey(world, {"closing": True, **WINDOW}, audience=Audience.MENTEES)
    states.ended(world.programme, world.match, EndReason.COMPLETED)
    invitation = db.session.execute(sa.select(SurveyInvitation)).scalar_one()
    assert invitation.match_id == world.match.id
    assert occasions.run(invitation.closes_at - timedelta(days=2))["reminded"] == 1
    # Whether the mentee has answered a survey about their relationship is not the mentor's to see.
    [reminder] = nudges("survey.reminder")
    assert (reminder.user_id, reminder.match_id) == (world.mentee.id, None)
