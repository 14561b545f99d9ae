"""Automatic milestones: events counted per match or per mentee, completing a milestone at its count.

Features emit events (``meeting.held``, ``webinar.attended``...) without knowing goals;
:func:`subscribe_rules` makes :func:`on_event` count the ones a rule may use (:data:`RULE_EVENTS`)
in :class:`EventTally` and complete every automatic milestone whose count is reached, in the
emitter's transaction.
"""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool import audit
from lti_tool.db import db, upsert_insert, utcnow
from lti_tool.events import DomainEvent, subscribe
from lti_tool.mentoring.goals.completion import complete, completion_of
from lti_tool.mentoring.goals.models import (
    MATCH_EVENTS,
    RULE_EVENTS,
    CompletionMode,
    CompletionSource,
    CompletionState,
    EventTally,
    Milestone,
    MilestoneCompletion,
)
from lti_tool.mentoring.matching.models import Match, MatchMentee
from lti_tool.mentoring.matching.statuses import CONFIRMED
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme


def subscribe_rules() -> None:
    """Count every event a milestone rule may use (idempotent: subscribing twice changes nothing)."""
    for name in RULE_EVENTS:
        subscribe(name, on_event)


def on_event(event: DomainEvent) -> None:
    """Count the event and complete every automatic milestone whose rule it satisfies."""
    milestones = list(
        db.session.execute(
            sa.select(Milestone).where(
                Milestone.programme_id == event.programme_id,
                Milestone.completion_mode == CompletionMode.AUTOMATIC,
                Milestone.rule_event == event.name,
            )
        ).scalars()
    )
    if not milestones:
        return
    affected = _affected_mentees(event)
    if not affected:
        return
    step = int(event.data.get("count", 1) or 1)
    if event.name in MATCH_EVENTS:
        counts = {mentee.id: _tally(event.programme_id, f"m:{event.match_id}", event.name, step)
                  for mentee, _match_id in affected}
    else:
        counts = {mentee.id: _tally(event.programme_id, f"p:{mentee.id}", event.name, step)
                  for mentee, _match_id in affected}
    programme = db.session.get_one(Programme, event.programme_id)
    for milestone in milestones:
        for mentee, match_id in affected:
            if counts[mentee.id] < milestone.rule_count:
                continue
            existing = completion_of(milestone.id, mentee.id)
            if existing is not None and existing.state is CompletionState.COMPLETED:
                continue
            completion = existing or MilestoneCompletion(
                milestone_id=milestone.id, participant_id=mentee.id, match_id=match_id,
                source=CompletionSource.RULE, marked_by_user_id=event.actor_user_id,
                marked_at=utcnow(), state=CompletionState.COMPLETED,
            )
            if existing is None:
                db.session.add(completion)
            complete(completion, milestone, mentee, programme, event.actor_user_id)
            audit.record("milestone.auto_complete", "milestone_completion",
                         f"{milestone.id}:{mentee.id}", actor_user_id=event.actor_user_id,
                         event=event.name, count=counts[mentee.id])


def _affected_mentees(event: DomainEvent) -> list[tuple[Participant, int | None]]:
    """Match events count for all the match's mentees; personal events only for that mentee."""
    if event.name in MATCH_EVENTS:
        match = db.session.get(Match, event.match_id) if event.match_id else None
        if match is None or match.programme_id != event.programme_id:
            return []
        return [(member.mentee, match.id) for member in match.members]
    if event.participant_id is None:
        return []
    person = db.session.get(Participant, event.participant_id)
    if (
        person is None or person.programme_id != event.programme_id
        or person.role is not ParticipantRole.MENTEE
    ):
        return []
    match_id = event.match_id or db.session.execute(
        sa.select(Match.id)
        .join(MatchMentee, MatchMentee.match_id == Match.id)
        .where(MatchMentee.mentee_id == person.id, Match.status.in_(CONFIRMED))
        .order_by(Match.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return [(person, match_id)]


def _tally(programme_id: int, scope_key: str, name: str, step: int) -> int:
    """Add ``step`` to a tally and return the new count, in one upsert statement."""
    now = utcnow()
    statement = upsert_insert(db.session.get_bind(), EventTally).values(
        programme_id=programme_id, scope_key=scope_key, event_name=name, count=step, updated_at=now
    )
    upsert = statement.on_conflict_do_update(
        index_elements=["programme_id", "scope_key", "event_name"],
        set_={"count": EventTally.count + step, "updated_at": now},
    ).returning(EventTally.count)
    return int(db.session.execute(upsert).scalar_one())
