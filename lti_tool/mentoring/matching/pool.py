"""The matching pool: who can be matched in a programme right now, and the engine problem built from it.

Runs, recommendations, edits and why-not all start from :func:`load_pool`, which reads the
participants, their answers, what blocks them (unanswered questions, training not done, a paused
mentor) and each mentor's room, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.db import db
from lti_tool.errors import InvalidInput
from lti_tool.mentoring.matching import problem as build
from lti_tool.mentoring.matching.models import EndReason, Match, MatchMentee, MatchStatus
from lti_tool.mentoring.matching.statuses import CONFIRMED, HOLDING_PLACES
from lti_tool.mentoring.profiles import service as profiles
from lti_tool.mentoring.programmes.models import (
    MatchingMode,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Programme,
)
from lti_tool.mentoring.webinars import training_gates


def capacity_of(programme: Programme, mentor: Participant) -> int:
    if programme.matching_mode is MatchingMode.ONE_TO_ONE:
        return 1
    return mentor.capacity if mentor.capacity is not None else programme.default_capacity


def _participants(programme_id: int, role: ParticipantRole) -> list[Participant]:
    return list(
        db.session.execute(
            sa.select(Participant)
            .where(
                Participant.programme_id == programme_id,
                Participant.role == role,
                Participant.status != ParticipantStatus.WITHDRAWN,
            )
            .order_by(Participant.id)
        ).scalars()
    )


def mentor_load(programme_id: int, statuses: Sequence[MatchStatus]) -> dict[int, int]:
    """Mentees per mentor in matches of the given statuses."""
    rows = db.session.execute(
        sa.select(Match.mentor_id, sa.func.count(MatchMentee.id))
        .join(MatchMentee, MatchMentee.match_id == Match.id)
        .where(Match.programme_id == programme_id, Match.status.in_(statuses))
        .group_by(Match.mentor_id)
    ).all()
    return {mentor: count for mentor, count in rows}


def matched_mentees(programme_id: int, statuses: Sequence[MatchStatus]) -> set[int]:
    return set(
        db.session.execute(
            sa.select(MatchMentee.mentee_id)
            .join(Match, MatchMentee.match_id == Match.id)
            .where(Match.programme_id == programme_id, Match.status.in_(statuses))
        ).scalars()
    )


def forbidden_pairs(programme_id: int) -> list[tuple[int, int]]:
    """Pairs never proposed again: ended by a rematch request or removed by a coordinator."""
    return [
        (a, b)
        for a, b in db.session.execute(
            sa.select(MatchMentee.mentee_id, Match.mentor_id)
            .join(Match, MatchMentee.match_id == Match.id)
            .where(
                Match.programme_id == programme_id,
                Match.status == MatchStatus.ENDED,
                Match.end_reason.in_([EndReason.REMATCH, EndReason.REMOVED]),
            )
        ).all()
    ]


def _blocked(
    programme: Programme,
    people: Sequence[Participant],
    answers: dict[int, dict[int, Any]],
    by_role: dict[ParticipantRole, list[Any]],
) -> dict[int, str]:
    reasons = profiles.missing_reasons(people, by_role, answers)
    # Matching asks the training feature directly: training_gates is the webinars feature's public
    # module for "who still waits on a training" and imports nothing of matching, and a gate is one
    # of the matching rules rather than an optional plug-in, so there is nothing to register.
    for p in people:
        if p.id not in reasons:
            why = training_gates.blocked_reason(programme.id, p.id)
            if why:
                reasons[p.id] = str(why)
    for p in people:
        if p.status is ParticipantStatus.PAUSED and p.id not in reasons:
            reasons[p.id] = _("paused their availability")
    return reasons


@dataclass
class Pool:
    """Everything a run, a recommendation or a why-not needs, loaded once."""

    programme: Programme
    built: build.Built
    mentees: dict[int, Participant]
    mentors: dict[int, Participant]
    blocked: dict[int, str]
    room: dict[int, int]


def load_pool(
    programme: Programme,
    *,
    mentee_ids: Sequence[int] | None = None,
    mentor_ids: Sequence[int] | None = None,
    keep_proposals: bool = False,
    include_matched: bool = False,
) -> Pool:
    """Build the engine problem for a programme as it stands now.

    Mentees already in confirmed matches are left out (unless ``include_matched``); mentors' room is
    their capacity minus confirmed load. Locked proposals become locked pairs; with
    ``keep_proposals`` every live proposal counts as load instead (recommendations).
    """
    questions = profiles.questions(programme.id)
    by_role = {
        role: profiles.questions(programme.id, role)
        for role in (ParticipantRole.MENTEE, ParticipantRole.MENTOR)
    }
    mentees = _participants(programme.id, ParticipantRole.MENTEE)
    mentors = _participants(programme.id, ParticipantRole.MENTOR)
    if mentee_ids is not None:
        wanted = set(mentee_ids)
        mentees = [p for p in mentees if p.id in wanted]
    if mentor_ids is not None:
        wanted = set(mentor_ids)
        mentors = [p for p in mentors if p.id in wanted]
    taken = matched_mentees(programme.id, HOLDING_PLACES if keep_proposals else CONFIRMED)
    if not include_matched:
        mentees = [p for p in mentees if p.id not in taken]
    answers = profiles.answers_for([p.id for p in (*mentees, *mentors)])
    blocked = _blocked(programme, [*mentees, *mentors], answers, by_role)
    load = mentor_load(programme.id, HOLDING_PLACES if keep_proposals else CONFIRMED)
    room = {m.id: max(capacity_of(programme, m) - load.get(m.id, 0), 0) for m in mentors}
    locked: list[tuple[int, int]] = []
    if not keep_proposals:
        locked = [
            (a, b)
            for a, b in db.session.execute(
                sa.select(MatchMentee.mentee_id, Match.mentor_id)
                .join(Match, MatchMentee.match_id == Match.id)
                .where(
                    Match.programme_id == programme.id,
                    Match.status == MatchStatus.PROPOSED,
                    MatchMentee.locked.is_(True),
                )
            ).all()
        ]
    built = build.build(
        questions,
        [(p.id, answers[p.id], blocked.get(p.id)) for p in mentees],
        [(p.id, answers[p.id], blocked.get(p.id), room[p.id]) for p in mentors],
        capacity=programme.default_capacity,
        group=programme.matching_mode is not MatchingMode.ONE_TO_ONE,
        locked=locked,
        forbidden=forbidden_pairs(programme.id),
    )
    return Pool(programme, built, {p.id: p for p in mentees}, {p.id: p for p in mentors}, blocked, room)



def participant_in(
    programme: Programme, participant_id: int, role: ParticipantRole, field: str
) -> Participant:
    """A participant of ``programme`` in ``role``; bad input on ``field`` otherwise."""
    person = db.session.get(Participant, participant_id)
    if person is None or person.programme_id != programme.id or person.role is not role:
        message = (
            _("Choose a mentor of this programme.")
            if role is ParticipantRole.MENTOR
            else _("Choose a mentee of this programme.")
        )
        raise InvalidInput(errors={field: [message]})
    return person

