"""Programme rules: one programme per course by default, and who joins it as what."""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.accounts.models import Course
from lti_tool.db import db
from lti_tool.errors import Forbidden, NotFound
from lti_tool.launch.context import LaunchContext
from lti_tool.mentoring.programmes.models import (
    Participant,
    ParticipantRole,
    Programme,
    RoleSource,
)


def programme_for_course(course_id: int) -> Programme:
    """The course's programme, created with defaults the first time anyone launches."""
    programme = db.session.execute(
        sa.select(Programme).where(Programme.course_id == course_id).order_by(Programme.id).limit(1)
    ).scalar_one_or_none()
    if programme is None:
        course = db.session.get(Course, course_id)
        if course is None:
            raise NotFound("This course is unknown to Ritmo. Open Ritmo again from the course.")
        programme = Programme(course_id=course_id, title=course.title or "Mentoring programme")
        db.session.add(programme)
        db.session.flush()
    return programme


def get_programme(ctx: LaunchContext, programme_id: int) -> Programme:
    """A programme of the caller's course; anything else is invisible to them."""
    programme = db.session.get(Programme, programme_id)
    if programme is None or programme.course_id != ctx.course_id:
        raise NotFound("This programme does not exist in your course.")
    return programme


def participant_for(programme_id: int, user_id: int) -> Participant | None:
    return db.session.execute(
        sa.select(Participant).where(
            Participant.programme_id == programme_id, Participant.user_id == user_id
        )
    ).scalar_one_or_none()


def require_participant(ctx: LaunchContext, programme: Programme) -> Participant:
    participant = participant_for(programme.id, ctx.user_id)
    if participant is None:
        raise Forbidden("You are not part of this programme. Open Ritmo from the course page first.")
    return participant


def join_from_launch(ctx: LaunchContext) -> Participant:
    """Make the launching user a participant of the course's programme.

    Staff coordinate. Learners join as mentors or mentees from the LMS role when the programme takes
    roles from the LMS; otherwise a new learner starts as a mentee until they or a coordinator
    choose. An existing participant's role is only updated from the LMS in ``RoleSource.LMS``.
    """
    assert ctx.course_id is not None
    programme = programme_for_course(ctx.course_id)
    if ctx.is_coordinator:
        wanted = ParticipantRole.COORDINATOR
    else:
        wanted = ParticipantRole.MENTOR if ctx.is_mentor else ParticipantRole.MENTEE
    participant = participant_for(programme.id, ctx.user_id)
    if participant is None:
        participant = Participant(programme_id=programme.id, user_id=ctx.user_id, role=wanted)
        db.session.add(participant)
    elif participant.role != wanted and (
        programme.role_source is RoleSource.LMS or wanted is ParticipantRole.COORDINATOR
    ):
        participant.role = wanted
    return participant


def home_overview(ctx: LaunchContext) -> dict[str, object]:
    """What the programme home shows: the programme, the caller's part in it, and head counts."""
    from lti_tool.accounts.models import User

    if ctx.course_id is None:
        raise NotFound("Ritmo was opened outside a course. Open it from a course page.")
    programme = programme_for_course(ctx.course_id)
    me = participant_for(programme.id, ctx.user_id)
    counts = dict(
        db.session.execute(
            sa.select(Participant.role, sa.func.count())
            .where(Participant.programme_id == programme.id)
            .group_by(Participant.role)
        ).all()
    )
    user = db.session.get(User, ctx.user_id)
    return {
        "programme": programme,
        "me": me,
        "user": user,
        "is_coordinator": ctx.is_coordinator,
        "mentors": counts.get(ParticipantRole.MENTOR, 0),
        "mentees": counts.get(ParticipantRole.MENTEE, 0),
        "coordinators": counts.get(ParticipantRole.COORDINATOR, 0),
    }
