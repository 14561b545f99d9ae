"""People who leave the course leave their matches; their partners are told and offered a new match."""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.accounts.models import CourseRole
from lti_tool.db import db
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.matching.models import EndReason, Match, MatchMentee, MatchStatus
from lti_tool.mentoring.matching.pool import matched_mentees
from lti_tool.mentoring.matching.statuses import HOLDING_PLACES
from lti_tool.mentoring.programmes import home
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import MatchingMode, ParticipantRole, ParticipantStatus
from lti_tool.mentoring.roster.service import apply_members
from lti_tool.notifications.models import Notification
from tests.mentoring.matching import states
from tests.mentoring.programmes.factories import world

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def _told(user_id: int) -> list[tuple[str, str | None]]:
    return list(
        db.session.execute(
            sa.select(Notification.kind, Notification.link).where(
                Notification.user_id == user_id, Notification.kind == "match.partner_left"
            )
        ).all()
    )


def test_a_mentee_dropped_by_the_roster_sync_ends_the_match_and_frees_the_mentor(app):
    w = world()
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    mentee = w.person("Max Mentee", ParticipantRole.MENTEE)
    match = states.active(w.programme, mentor, [mentee])
    sub = mentee.user.sub
    roster = [  # a whole roster: whoever takes part and is absent from it would be withdrawn too
        {"user_id": w.coordinator.sub, "roles": ["Instructor"]},
        {"user_id": mentor.user.sub, "roles": [LEARNER], "status": "Active"},
        {"user_id": sub, "roles": [LEARNER], "status": "Inactive"},
    ]
    counts = apply_members(w.programme, roster)
    assert counts["withdrawn"] == 1
    db.session.expire_all()
    ended = db.session.get(Match, match.id)
    assert ended.status is MatchStatus.ENDED and ended.end_reason is EndReason.WITHDRAWN
    assert _told(mentor.user_id) == [("match.partner_left", f"/programmes/{w.programme.id}/my-match")]
    assert _told(mentee.user_id) == []  # the one who left is not the partner
    # Syncing again changes nothing more.
    apply_members(w.programme, [{"user_id": sub, "roles": [LEARNER], "status": "Inactive"}])
    assert len(_told(mentor.user_id)) == 1


def test_a_mentor_withdrawn_by_a_coordinator_sends_mentees_back_to_choose(app):
    w = world(MatchingMode.MENTEE_CHOICE, requires_approval=False)
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    mentee = w.person("Max Mentee", ParticipantRole.MENTEE)
    match = states.active(w.programme, mentor, [mentee])
    coordinator = states.coordinator(w.programme)
    programmes.set_participant(coordinator, w.programme, mentor, {"status": ParticipantStatus.WITHDRAWN})
    db.session.expire_all()
    assert db.session.get(Match, match.id).end_reason is EndReason.WITHDRAWN
    assert mentee.id not in matched_mentees(w.programme.id, HOLDING_PLACES)  # back in the pool
    assert _told(mentee.user_id) == [("match.partner_left", f"/programmes/{w.programme.id}/choose")]


def test_a_mentee_leaving_a_group_leaves_the_group_running(app):
    w = world(MatchingMode.GROUP)
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    stays = w.person("Sam Stays", ParticipantRole.MENTEE)
    leaves = w.person("Lea Leaves", ParticipantRole.MENTEE)
    group = states.active(w.programme, mentor, [stays, leaves])
    states.withdrawn(leaves)
    db.session.expire_all()
    group = db.session.get(Match, group.id)
    assert group.status is MatchStatus.ACTIVE and [m.mentee_id for m in group.members] == [stays.id]
    pair = db.session.execute(
        sa.select(Match).join(MatchMentee).where(MatchMentee.mentee_id == leaves.id)
    ).scalar_one()
    assert pair.status is MatchStatus.ENDED and pair.end_reason is EndReason.WITHDRAWN
    assert pair.mentor_id == mentor.id and pair.started_at == group.started_at
    assert len(_told(mentor.user_id)) == 1 and _told(stays.user_id) == []


def test_a_mentee_who_becomes_a_mentor_leaves_their_mentee_match(app):
    w = world()
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    mentee = w.person("Max Mentee", ParticipantRole.MENTEE)
    match = states.active(w.programme, mentor, [mentee])
    coordinator = states.coordinator(w.programme)
    programmes.set_participant(coordinator, w.programme, mentee, {"role": ParticipantRole.MENTOR})
    db.session.expire_all()
    assert db.session.get(Match, match.id).end_reason is EndReason.WITHDRAWN
    assert len(_told(mentor.user_id)) == 1
    # A change that keeps the part (capacity) ends nothing.
    other = w.person("Ola Mentee", ParticipantRole.MENTEE)
    kept = states.active(w.programme, mentor, [other])
    programmes.set_participant(coordinator, w.programme, mentor, {"capacity": 5})
    db.session.expire_all()
    assert db.session.get(Match, kept.id).status is MatchStatus.ACTIVE


def test_a_launch_that_makes_a_mentee_a_mentor_ends_their_mentee_match(app):
    """The LMS role arrives with a launch (the programme takes roles from the LMS)."""
    w = world()
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    mentee = w.person("Max Mentee", ParticipantRole.MENTEE)
    match = states.active(w.programme, mentor, [mentee])
    ctx = LaunchContext(
        platform_id=w.platform.id,
        user_id=mentee.user_id,
        course_id=w.course.id,
        role=CourseRole.PARTICIPANT,
        is_mentor=True,
    )
    with app.test_request_context("/"):
        home.join(ctx)
    db.session.expire_all()
    assert db.session.get(Match, match.id).end_reason is EndReason.WITHDRAWN
    assert len(_told(mentor.user_id)) == 1
