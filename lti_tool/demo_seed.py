"""The programme `make demo` opens on: a questionnaire, profiles, a matching run's proposed pairs and
one active pair with some activity, so every page has something to show from the first launch.

Everything is made the way the product makes it: people arrive by recorded launches (the claims the
demo LMS would send, through the launch's own steps), then the coordinator's and the members'
service calls. Seeding is idempotent: each step looks for what it would make and skips when it is
there, so a restarted demo adds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.identity.context import LaunchContext
from lti_tool.launch import targets
from lti_tool.launch.service import record_launch
from lti_tool.mentoring.conversations import chat, spaces, threads
from lti_tool.mentoring.conversations.models import Thread
from lti_tool.mentoring.goals import milestones, plan
from lti_tool.mentoring.goals.schemas import MilestoneIn
from lti_tool.mentoring.matching import edits, lifecycle, runs
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus
from lti_tool.mentoring.meetings import service as meetings
from lti_tool.mentoring.profiles import service as profiles
from lti_tool.mentoring.profiles.schemas import QuestionSchema
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme

log = logging.getLogger(__name__)

# Left without a profile, so the tour can show a learner filling one in.
NO_PROFILE = frozenset({"u-learner-29"})
# The tour's graded milestone: a mentee marks it done and the score reaches the LMS's gradebook.
MILESTONE = {
    "title": "Study plan agreed",
    "description": "You and your mentor agree a one-page plan for the term.",
    "evidence": "The plan, shared in your space",
    "graded": True,
    "points": 10,
    "completion_mode": "manual",
    "requires_confirmation": False,
}
# The pair the coordinator assigned by hand and approved (Giulia Bianchi with Marco Ferrari): it is
# active, with a thread, chat, a goal and a meeting. The matching run proposes the others.
ACTIVE_MENTEE = "u-learner-01"
ACTIVE_MENTOR = "u-mentor-01"

TOPICS = ["Career planning", "Study skills", "Research", "Public speaking", "Coding", "Wellbeing"]
LANGUAGES = ["English", "Italian"]
ZONES = ["Europe/Rome", "Europe/London", "America/New_York"]
QUESTIONS: list[dict[str, Any]] = [
    {
        "kind": "tags",
        "key": "topics",
        "label": "What would you like to talk about?",
        "help": "Mentors: what you can help with. Mentees: what you want help with.",
        "options": TOPICS,
        "weight": 3,
        "required": True,
    },
    {
        "kind": "languages",
        "key": "languages",
        "label": "Which languages do you speak?",
        "options": LANGUAGES,
        "constraint": "must_share",
        "required": True,
    },
    {"kind": "timezone", "key": "timezone", "label": "Your time zone", "weight": 1, "required": True},
    {"kind": "free_text", "key": "about", "label": "A few words about you", "weight": 0},
]


@dataclass
class Seeded:
    """What the seed made or found, for the start-up lines and the tests."""

    programme_id: int
    people: dict[str, LaunchContext]
    questions: int
    profiles: int
    proposed: int
    active_match_id: int | None


def launch_all(platform_id: int, scope: str, claims: Sequence[dict[str, Any]]) -> dict[str, LaunchContext]:
    """Record each person's launch and run the launch's steps (the programme join), by LMS user id."""
    people: dict[str, LaunchContext] = {}
    for one in claims:
        ctx = record_launch(platform_id, one, scope, None).context
        targets.run_steps(ctx, {})
        db.session.commit()
        people[str(one["sub"])] = ctx
    return people


def seed_programme(platform_id: int, scope: str, claims: Sequence[dict[str, Any]]) -> Seeded:
    """Seed the course these launches are from; the first coordinator among them runs it."""
    people = launch_all(platform_id, scope, claims)
    coordinator = next(ctx for ctx in people.values() if ctx.is_coordinator)
    if coordinator.course_id is None:
        raise ValueError("the demo's launches must come from a course")
    programme = programmes.programme_for_course(coordinator.course_id)
    if not profiles.questions(programme.id):
        programmes.configure(
            coordinator,
            programme,
            {"requires_approval": True, "default_capacity": 6, "timezone": "Europe/Rome"},
        )
        for definition in QUESTIONS:
            profiles.add_question(programme, QuestionSchema().load(definition))
        milestones.create_milestone(coordinator, MilestoneIn().load(MILESTONE))
    members = _participants(programme, people)
    filled = _profiles(members)
    active = _active_pair(programme, coordinator, members)
    if runs.latest_run(programme) is None:
        run = runs.start_run(coordinator, programme)
        runs.run_matching({"run_id": run.id})  # now, not when the runner gets to it
    if active is not None:
        _activity(active, people)
    proposed = db.session.scalar(
        sa.select(sa.func.count(Match.id)).where(
            Match.programme_id == programme.id, Match.status == MatchStatus.PROPOSED
        )
    )
    return Seeded(
        programme.id, people, len(profiles.questions(programme.id)), filled, int(proposed or 0), active
    )


def _participants(programme: Programme, people: dict[str, LaunchContext]) -> dict[str, Participant]:
    found: dict[str, Participant] = {}
    for sub, ctx in people.items():
        participant = programmes.participant_for(programme.id, ctx.user_id)
        if participant is not None and participant.role is not ParticipantRole.COORDINATOR:
            found[sub] = participant
    return found


def _answers(n: int, mentor: bool) -> dict[str, Any]:
    """Varied but deterministic answers: the matching has real choices to make."""
    topics = [TOPICS[n % len(TOPICS)], TOPICS[(n * 3 + 1) % len(TOPICS)]]
    if mentor:
        topics += [TOPICS[(n + 2) % len(TOPICS)], TOPICS[(n + 4) % len(TOPICS)]]
    languages = ["English"] if n % 3 else ["English", "Italian"]
    if mentor:
        languages = ["English", "Italian"]
    return {
        "topics": sorted(set(topics)),
        "languages": languages,
        "timezone": ZONES[n % len(ZONES)],
        "about": "Happy to share what I learned." if mentor else "Looking for advice and a sounding board.",
    }


def _profiles(members: dict[str, Participant]) -> int:
    filled = 0
    for n, (sub, participant) in enumerate(sorted(members.items())):
        if sub in NO_PROFILE:
            continue
        filled += 1
        if not profiles.answers_of(participant.id):
            profiles.save_answers(participant, _answers(n, participant.role is ParticipantRole.MENTOR))
    return filled


def _active_pair(
    programme: Programme, coordinator: LaunchContext, members: dict[str, Participant]
) -> int | None:
    """The tour's pair, assigned by hand and approved, the first time; its id."""
    mentee, mentor = members.get(ACTIVE_MENTEE), members.get(ACTIVE_MENTOR)
    if mentee is None or mentor is None:
        return None
    match = db.session.scalar(
        sa.select(Match)
        .join(MatchMentee, MatchMentee.match_id == Match.id)
        .where(MatchMentee.mentee_id == mentee.id, Match.mentor_id == mentor.id)
        .order_by(Match.id)
        .limit(1)
    )
    if match is None:
        match = edits.assign(coordinator, programme, mentee.id, mentor.id)
        db.session.commit()
    if match.status is MatchStatus.PROPOSED:
        lifecycle.approve(coordinator, programme, [match.id])
    return match.id


def _activity(match_id: int, people: dict[str, LaunchContext]) -> None:
    """Some history in the active pair's space, once."""
    if db.session.scalar(sa.select(Thread.id).where(Thread.match_id == match_id).limit(1)) is None:
        _history(match_id, people[ACTIVE_MENTOR], people[ACTIVE_MENTEE])


def _history(match_id: int, mentor: LaunchContext, mentee: LaunchContext) -> None:
    space = spaces.match_space(mentor, match_id)
    threads.create_thread(
        mentor,
        space,
        title="Welcome: what do you hope to get from these months?",
        body="Hello! I am glad we were matched. Tell me a little about what you want to work on.",
    )
    chat.send_chat(mentee, match_id, "Hi! Thanks for the welcome, I just read your post.")
    chat.send_chat(mentor, match_id, "Great. Shall we meet next week? I proposed two times.")
    plan.create_goal(
        mentee,
        match_id,
        {"title": "Draft a study plan for the term", "measure": "A one-page plan we both read"},
    )
    soon = (utcnow() + timedelta(days=7)).replace(hour=16, minute=0, second=0, microsecond=0)
    meeting = meetings.propose(
        mentor,
        match_id,
        title="First conversation",
        times=[soon.isoformat(), (soon + timedelta(days=1)).isoformat()],
        timezone="Europe/Rome",
        agenda="Getting to know each other; the study plan.",
    )
    meetings.accept(mentee, meeting.id, meeting.slots[0].id)
    db.session.commit()
