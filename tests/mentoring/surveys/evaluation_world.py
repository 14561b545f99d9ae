"""People who answer ready-made instruments before and after, through the real services: pairs
matched by the matching service, instruments added in one click, invitations sent by the schedules'
``invite`` and answers given through ``submit_answers``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lti_tool.db import db, utcnow
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole
from lti_tool.mentoring.surveys import answers, invitations
from lti_tool.mentoring.surveys.builder import items_of
from lti_tool.mentoring.surveys.instruments.adding import add_instrument
from lti_tool.mentoring.surveys.models import ItemType, Survey
from tests.mentoring.conversations.factories import World
from tests.mentoring.matching import states
from tests.mentoring.surveys.schedule_world import add_person


@dataclass
class Pair:
    mentor: Participant
    mentee: Participant
    match: Match


def make_pairs(world: World, count: int, prefix: str = "ev") -> list[Pair]:
    """``count`` one-to-one pairs, matched and started by the matching service."""
    out = []
    for i in range(count):
        mentor = add_person(world, f"{prefix}mentor{i}", ParticipantRole.MENTOR)
        mentee = add_person(world, f"{prefix}mentee{i}", ParticipantRole.MENTEE)
        out.append(Pair(mentor, mentee, states.active(world.programme, mentor, [mentee])))
    states.forget_announcements()
    return out


def instrument(world: World, key: str, *, anonymous: bool = False) -> Survey:
    survey = add_instrument(states.coordinator(world.programme), world.programme, key)
    if anonymous:
        survey.anonymous = True
        db.session.commit()
    return survey


def values_for(survey: Survey, scores: dict[str, int]) -> dict[int, Any]:
    """Answers that make each sub-scale score exactly ``scores[sub-scale]`` (reversed items
    answered in reverse); text questions get a few words."""
    out: dict[int, Any] = {}
    for item in items_of(survey.id):
        if item.subscale is not None:
            points = int((item.scale or {}).get("points", 5))
            wanted = scores[item.subscale]
            out[item.id] = points + 1 - wanted if item.reverse else wanted
        elif item.type in (ItemType.SHORT_TEXT, ItemType.LONG_TEXT):
            out[item.id] = "More time together."
    return out


def answer(
    world: World,
    survey: Survey,
    person: Participant,
    occasion: str,
    scores: dict[str, int],
    *,
    match: Match | None = None,
    at: datetime | None = None,
) -> None:
    """``person`` invited to ``occasion`` and answering so that each sub-scale scores ``scores``."""
    at = at or utcnow()
    invitation = invitations.invite(
        world.programme, survey, person, occasion, at, match_id=match.id if match else None, now=at
    )
    assert invitation is not None, "not invited: outside the audience, or invited already"
    db.session.commit()
    ctx = states.context(world.programme, person.user_id)
    answers.submit_answers(ctx, invitation, values_for(survey, scores), now=at + timedelta(minutes=5))


def before_after(
    world: World,
    survey: Survey,
    person: Participant,
    before: dict[str, int],
    after: dict[str, int],
    *,
    match: Match | None = None,
    after_occasion: str = "closing",
) -> None:
    start = utcnow() - timedelta(days=120)
    answer(world, survey, person, "baseline", before, match=match, at=start)
    answer(world, survey, person, after_occasion, after, match=match, at=start + timedelta(days=90))
