"""A programme with something on every page, made through the product's services: a
questionnaire both members answered, an active pair with posts, chat, a meeting and a milestone,
a proposed pair waiting for approval, a training module, a survey the mentee is invited to and a
support request.

The people are those the demo LMS launches (``u-instructor``, ``u-mentor-01``, ``u-learner-01``),
so they must have launched once before :func:`seed` runs; two more people come from the roster
the way a sync would add them. :func:`add_lms_admin` gives the demo LMS the platform's administrator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.demo.platform import DemoPlatform
from lti_tool.demo.roster import Person
from lti_tool.identity.lms_admin import INSTITUTION_ADMIN
from lti_tool.mentoring.content import service as content
from lti_tool.mentoring.conversations import chat, spaces, threads
from lti_tool.mentoring.goals import milestones
from lti_tool.mentoring.meetings import service as meetings
from lti_tool.mentoring.profiles import service as profiles
from lti_tool.mentoring.profiles.models import QuestionKind
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme
from lti_tool.mentoring.support import requests as support
from lti_tool.mentoring.surveys import invitations
from lti_tool.mentoring.surveys.instruments.adding import add_instrument
from tests.mentoring.matching import states
from tests.mentoring.surveys.schedule_world import add_person

LMS_ADMIN = "u-lms-admin"


def add_lms_admin(lms_app) -> str:
    """The LMS's administrator as a member of the demo course: an institution Administrator role
    and no role in the course, as an LMS sends for its site admins; answers their user id."""
    course = DemoPlatform.of(lms_app).course
    if course.member(LMS_ADMIN) is None:
        course.members.append(Person(LMS_ADMIN, "Alba", "Admin", "en", (INSTITUTION_ADMIN,)))
    return LMS_ADMIN


@dataclass(frozen=True)
class Seeded:
    programme_id: int
    match_id: int
    proposed_match_id: int


def _participant(programme: Programme, sub: str) -> Participant:
    return db.session.execute(
        sa.select(Participant)
        .join(User, User.id == Participant.user_id)
        .where(Participant.programme_id == programme.id, User.sub == sub)
    ).scalar_one()


def seed(app) -> Seeded:
    with app.app_context():
        programme = db.session.execute(sa.select(Programme)).scalar_one()
        coordinator = states.coordinator(programme)
        mentor = _participant(programme, "u-mentor-01")
        mentee = _participant(programme, "u-learner-01")

        question = profiles.add_question(
            programme,
            {
                "kind": QuestionKind.SINGLE_CHOICE,
                "label": "How would you like to meet?",
                "options": ["online", "on site"],
                "required": True,
            },
        )
        world = SimpleNamespace(
            programme=programme, platform=SimpleNamespace(id=programme.course.platform_id)
        )
        other_mentor = add_person(world, "u-walk-mentor", ParticipantRole.MENTOR)
        other_mentee = add_person(world, "u-walk-mentee", ParticipantRole.MENTEE)
        waiting = add_person(world, "u-walk-waiting", ParticipantRole.MENTEE)  # to assign by hand
        for person in (mentor, mentee, other_mentor, other_mentee, waiting):
            profiles.save_answers(person, {question.key: "online"})
        db.session.commit()

        match = states.active(programme, mentor, [mentee])
        proposed = states.proposed(programme, other_mentor, [other_mentee])
        as_mentor = states.context(programme, mentor.user_id)
        as_mentee = states.context(programme, mentee.user_id)

        space = spaces.match_space(as_mentee, match.id)
        threads.create_thread(as_mentee, space, title="Where to start", body="What should I read **first**?")
        chat.send_chat(as_mentor, match.id, "Welcome! Shall we meet next week?")
        soon = (utcnow() + timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
        meetings.propose(
            as_mentor,
            match.id,
            title="First talk",
            times=[soon.isoformat(), (soon + timedelta(days=1)).isoformat()],
            timezone="Europe/Rome",
        )
        milestones.create_milestone(
            coordinator,
            {"title": "First meeting", "graded": False, "points": 0, "requires_confirmation": False},
        )
        content.create_module(coordinator, {"title": "Getting started", "description": "Read this first."})
        survey = add_instrument(coordinator, programme, "mentoring_functions")
        invitations.invite(programme, survey, mentee, "baseline", utcnow(), match_id=match.id, now=utcnow())
        db.session.commit()
        support.open_request(as_mentee, subject="Goals page", body="Where do I set goals?", match_id=match.id)
        db.session.commit()
        return Seeded(programme_id=programme.id, match_id=match.id, proposed_match_id=proposed.id)
