"""A small programme whose every KPI can be counted by hand (see the comments for each figure)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from lti_tool.accounts.models import Course, User
from lti_tool.db import db, utcnow
from lti_tool.grades.models import DeliveryState, GradeLineItem, ScoreOutbox
from lti_tool.mentoring.conversations.models import ChatMessage, Post, Thread, ThreadKind
from lti_tool.mentoring.goals.models import (
    CompletionSource,
    CompletionState,
    Milestone,
    MilestoneCompletion,
)
from lti_tool.mentoring.matching.models import EndReason, Match, MatchRequest, RequestStatus
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus, VideoProvider
from lti_tool.mentoring.profiles.models import Answer, Question, QuestionKind
from lti_tool.mentoring.programmes.models import (
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Programme,
)
from lti_tool.mentoring.webinars.models import JoinProvider, RegistrationStatus, Webinar, WebinarRegistration
from tests.mentoring.matching import states as match_states
from tests.mentoring.programmes.factories import World, world

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
_uid = itertools.count()


@dataclass
class KpiWorld:
    world: World
    now: datetime
    other_course: Course
    other_programme: Programme
    mentee: Participant  # a matched mentee, for "learners may not look"


def build() -> KpiWorld:
    w = world()
    now = utcnow()
    since = now - 30 * DAY
    pid = w.programme.id
    MENTEE, MENTOR = ParticipantRole.MENTEE, ParticipantRole.MENTOR
    # Mentees: 7 taking part (m1-m5, m8, m9), m6 withdrawn, m7 paused. Mentors: t1, t2, t3 (paused).
    m = {i: w.person(f"Mentee {i}", MENTEE) for i in range(1, 10)}
    t = {i: w.person(f"Mentor {i}", MENTOR) for i in range(1, 4)}
    m[7].status = ParticipantStatus.PAUSED
    t[3].status = ParticipantStatus.PAUSED
    programme = w.programme

    # Every match is made through the service (lifecycle states the product produces).
    # Live: a, b (a group, approved before the start date), g, h. Matched mentees: m1, m2, m3, m8,
    # m9; unmatched: m4, m5, m7 (m6 has withdrawn). Ended: m5's completed and rematched matches,
    # and m6's, ended when m6 left the course.
    a = match_states.active(programme, t[1], [m[1]])
    b = match_states.approved(programme, t[2], [m[2], m[3]])
    c = match_states.proposed(programme, t[3], [m[4]])
    match_states.ended(programme, match_states.active(programme, t[1], [m[5]]), EndReason.COMPLETED)
    match_states.ended(programme, match_states.active(programme, t[2], [m[5]]), EndReason.REMATCH)
    match_states.active(programme, t[1], [m[6]])
    match_states.withdrawn(m[6])
    g = match_states.active(programme, t[3], [m[8]])
    h = match_states.active(programme, t[3], [m[9]])
    db.session.flush()

    forum = Thread(programme_id=pid, kind=ThreadKind.QUESTION, title="Forum")
    space_a = Thread(programme_id=pid, match_id=a.id, kind=ThreadKind.DISCUSSION, title="A")
    space_c = Thread(programme_id=pid, match_id=c.id, kind=ThreadKind.DISCUSSION, title="C")
    db.session.add_all([forum, space_a, space_c])
    db.session.flush()

    def post(thread: Thread, at: datetime) -> None:
        db.session.add(
            Post(thread_id=thread.id, match_id=thread.match_id, body="x", body_html="x", created_at=at)
        )

    def chat(row: Match, at: datetime) -> None:
        db.session.add(ChatMessage(match_id=row.id, body="x", body_html="x", created_at=at))

    def meeting(row: Match, status: MeetingStatus, at: datetime | None) -> None:
        db.session.add(
            Meeting(
                programme_id=pid,
                match_id=row.id,
                title="Talk",
                status=status,
                starts_at=at,
                video_provider=VideoProvider.JITSI,
                video_url="https://meet.example/x",
                ical_uid=f"kpi-{next(_uid)}",
            )
        )

    # Pairs: a posted exactly 30 days ago (in), b chatted yesterday, g met 2 days ago: active.
    # h only chatted 1 s before the window, had a cancelled meeting and has one upcoming: quiet.
    post(space_a, since)
    chat(b, now - DAY)
    meeting(g, MeetingStatus.CONFIRMED, now - 2 * DAY)
    chat(h, since - SECOND)
    meeting(h, MeetingStatus.CANCELLED, now - DAY)
    meeting(h, MeetingStatus.CONFIRMED, now + DAY)
    # Meetings held in 30 days: g's two (confirmed 2 days ago, held 29 days ago); not the one 1 s
    # before the window, nor the proposed one without a time. Upcoming: h's.
    meeting(g, MeetingStatus.HELD, now - 29 * DAY)
    meeting(g, MeetingStatus.CONFIRMED, since - SECOND)
    meeting(g, MeetingStatus.PROPOSED, None)
    # Posts by week (week 1 = [now - 7 days, now)): 2, 1, 0, 1. c is only proposed: its post counts
    # as a post, but c is not a pair yet.
    post(space_c, now - DAY)
    post(forum, now - 7 * DAY)
    post(forum, now - 7 * DAY - SECOND)
    post(forum, now - 28 * DAY)
    post(forum, now - 28 * DAY - SECOND)
    # Chat messages by week: 1 (b's), 0, 0, 1 (c's, just before 21 days ago).
    chat(c, now - 21 * DAY - SECOND)

    # Mentee requests: 2 pending, 1 declined.
    for status in (RequestStatus.PENDING, RequestStatus.PENDING, RequestStatus.DECLINED):
        db.session.add(
            MatchRequest(
                programme_id=pid, mentee_id=m[4].id, mentor_id=t[1].id, status=status, expires_at=now + DAY
            )
        )

    # Profiles started: m1 (two answers) and t1 (one).
    q1 = Question(programme_id=pid, key="q1", kind=QuestionKind.FREE_TEXT, label="Q1")
    q2 = Question(programme_id=pid, key="q2", kind=QuestionKind.FREE_TEXT, label="Q2")
    db.session.add_all([q1, q2])
    db.session.flush()
    db.session.add_all(
        [
            Answer(participant_id=m[1].id, question_id=q1.id, value="a"),
            Answer(participant_id=m[1].id, question_id=q2.id, value="b"),
            Answer(participant_id=t[1].id, question_id=q1.id, value="c"),
        ]
    )

    # Milestones: 3 completed (m1 twice, m8 once) by 2 mentees; m2's awaits confirmation.
    one = Milestone(programme_id=pid, title="First meeting")
    two = Milestone(programme_id=pid, title="Goal plan")
    db.session.add_all([one, two])
    db.session.flush()
    done, waiting = CompletionState.COMPLETED, CompletionState.AWAITING_CONFIRMATION
    for milestone, mentee, state in [
        (one, m[1], done),
        (two, m[1], done),
        (one, m[8], done),
        (one, m[2], waiting),
    ]:
        db.session.add(
            MilestoneCompletion(
                milestone_id=milestone.id,
                participant_id=mentee.id,
                state=state,
                source=CompletionSource.MANUAL,
            )
        )

    # Webinar registrations: 2 seats (1 attended), 1 waiting, 1 cancelled.
    webinar = Webinar(
        programme_id=pid,
        title="Kick-off",
        starts_at=now - DAY,
        timezone="UTC",
        duration_minutes=60,
        join_provider=JoinProvider.JITSI,
        join_url="https://meet.example/w",
    )
    db.session.add(webinar)
    db.session.flush()
    for mentee, status, attended in [
        (m[1], RegistrationStatus.REGISTERED, now - DAY),
        (m[2], RegistrationStatus.REGISTERED, None),
        (m[3], RegistrationStatus.WAITLISTED, None),
        (m[4], RegistrationStatus.CANCELLED, None),
    ]:
        db.session.add(
            WebinarRegistration(
                webinar_id=webinar.id, participant_id=mentee.id, status=status, attended_at=attended
            )
        )

    # Another course: its programme, posts and scores never count here.
    other_course = Course(platform_id=w.platform.id, context_id="CourseB", title="Other")
    db.session.add(other_course)
    db.session.flush()
    other = Programme(course_id=other_course.id, title="Other programme")
    db.session.add(other)
    db.session.flush()
    other_forum = Thread(programme_id=other.id, kind=ThreadKind.QUESTION, title="Elsewhere")
    db.session.add(other_forum)
    db.session.flush()
    post(other_forum, now - DAY)

    # Gradebook: 1 delivered, 2 waiting (pending, sending), 1 failed; another course's one is not ours.
    item, elsewhere = (
        GradeLineItem(course_id=course_id, resource_id="m1", tag="t", label="M1", score_maximum=1)
        for course_id in (w.course.id, other_course.id)
    )
    db.session.add_all([item, elsewhere])
    db.session.flush()
    users = [User(platform_id=w.platform.id, sub=f"g{n}", name=f"Graded {n}") for n in range(5)]
    db.session.add_all(users)
    db.session.flush()
    states = [DeliveryState.DELIVERED, DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.FAILED]
    rows = [(item, s) for s in states] + [(elsewhere, DeliveryState.DELIVERED)]
    for user, (line, state) in zip(users, rows, strict=True):
        db.session.add(
            ScoreOutbox(
                platform_id=w.platform.id,
                line_item_id=line.id,
                user_id=user.id,
                score_maximum=1,
                activity_progress="Completed",
                grading_progress="FullyGraded",
                score_timestamp=now,
                state=state,
            )
        )
    db.session.commit()
    return KpiWorld(w, now, other_course, other, m[1])
