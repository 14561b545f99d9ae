"""Matches in a given state, made only the way the product makes them (its service functions).

Factories and tests use these instead of writing ``Match`` rows: a proposal is proposed, an active
match approved, an ended one ended by the person who can end it, with the reason that path
records. So no test relies on a state Ritmo cannot produce (an ended match without a reason, an
active one that never started).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa

from lti_tool.accounts.models import CourseRole
from lti_tool.db import db
from lti_tool.identity.context import LaunchContext
from lti_tool.jobs.models import Job
from lti_tool.mail import SEND_TASK
from lti_tool.mentoring.matching import closure, lifecycle, withdrawal
from lti_tool.mentoring.matching.models import ClosureReason, EndReason, Match, MatchStatus
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus, Programme
from lti_tool.notifications.models import Notification


def context(programme: Programme, user_id: int, *, coordinator: bool = False) -> LaunchContext:
    return LaunchContext(
        platform_id=programme.course.platform_id,
        user_id=user_id,
        course_id=programme.course_id,
        role=CourseRole.COORDINATOR if coordinator else CourseRole.PARTICIPANT,
    )


def coordinator(programme: Programme) -> LaunchContext:
    """The context of the programme's first coordinator."""
    user_id = db.session.execute(
        sa.select(Participant.user_id)
        .where(Participant.programme_id == programme.id, Participant.role == ParticipantRole.COORDINATOR)
        .order_by(Participant.id)
        .limit(1)
    ).scalar_one()
    return context(programme, user_id, coordinator=True)


def _ids(people: Sequence[Participant]) -> list[int]:
    db.session.flush()
    return [p.id for p in people]


def proposed(programme: Programme, mentor: Participant, mentees: Sequence[Participant]) -> Match:
    """A coordinator's proposal (assigned by hand), not approved yet."""
    match = lifecycle.propose(
        programme, mentor.id, _ids(mentees), actor_user_id=coordinator(programme).user_id, why="test"
    )
    db.session.commit()
    return match


def active(programme: Programme, mentor: Participant, mentees: Sequence[Participant]) -> Match:
    """Proposed, then approved by a coordinator: started now."""
    match = proposed(programme, mentor, mentees)
    lifecycle.approve(coordinator(programme), programme, [match.id])
    return match


def approved(programme: Programme, mentor: Participant, mentees: Sequence[Participant]) -> Match:
    """Approved before the programme's start date, then the start date was cleared: it waits for the
    next lifecycle round to start it."""
    starts_on = programme.starts_on
    programme.starts_on = lifecycle.programme_today(programme) + timedelta(days=30)
    match = active(programme, mentor, mentees)
    programme.starts_on = starts_on
    db.session.commit()
    return match


def in_state(
    programme: Programme, mentor: Participant, mentees: Sequence[Participant], status: MatchStatus
) -> Match:
    """A match in ``status``; an ended one was ended by a coordinator."""
    if status is MatchStatus.PROPOSED:
        return proposed(programme, mentor, mentees)
    if status is MatchStatus.APPROVED:
        return approved(programme, mentor, mentees)
    match = active(programme, mentor, mentees)
    if status is MatchStatus.ENDED:
        ended(programme, match, EndReason.COORDINATOR)
    return match


def forget_announcements() -> None:
    """Drop the notices the service sent while a factory set matches up (notifications and their
    queued e-mails), so tests that count what their own action sends start from an empty inbox."""
    db.session.execute(sa.delete(Notification))
    db.session.execute(sa.delete(Job).where(Job.task == SEND_TASK))
    db.session.commit()


def ended(programme: Programme, match: Match, reason: EndReason) -> Match:
    """End a match along the path that records ``reason``."""
    if reason is EndReason.COMPLETED:
        return closure.close(coordinator(programme), programme, match, ClosureReason.GOALS_MET)
    if reason is EndReason.COORDINATOR:
        return lifecycle.end_match(coordinator(programme), programme, match, "test")
    if reason is EndReason.REMATCH:
        mentee = match.members[0].mentee
        return lifecycle.request_rematch(context(programme, mentee.user_id), match, "test")
    raise ValueError(f"use withdrawn() or the programme's end for {reason}")


def withdrawn(person: Participant) -> None:
    """The person leaves the course (as a roster sync records it): their matches end."""
    person.status = ParticipantStatus.WITHDRAWN
    withdrawal.release(person)
    db.session.commit()
