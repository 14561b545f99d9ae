"""A person who leaves the course, or no longer plays their part, leaves their matches.

Their matches *end* (reason ``withdrawn``) rather than wait suspended: a partner left waiting for
someone who may never come back loses the programme's limited time, and a mentor's place stays
taken. Ending keeps the match as read-only history, frees the places at once, and lets the partner
be matched again; someone who comes back joins the pool like anyone else. In a group, a mentee who
leaves takes only their own pair out (kept as an ended record), and the group goes on.

The partner is told, and offered a new match: a mentee goes back to the pool and is invited to ask
for a new mentor (in mentee-choice programmes) or told the coordinator will propose one; a mentor
hears that they have room for someone new.

Roster syncs, coordinators' changes and launches that move an LMS role emit
``participant.withdrawn`` or ``participant.role_changed``; :func:`on_participant_changed` handles
both, in the emitter's transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lti_tool.db import db
from lti_tool.events import DomainEvent
from lti_tool.mentoring.matching.lifecycle import finish
from lti_tool.mentoring.matching.models import EndReason, Match, MatchMentee
from lti_tool.mentoring.matching.statuses import CONFIRMED, HOLDING_PLACES
from lti_tool.mentoring.programmes.models import (
    MatchingMode,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Programme,
)
from lti_tool.notifications.service import notify

#: The domain events after which a person may have to leave their matches.
EVENTS = ("participant.withdrawn", "participant.role_changed")


def on_participant_changed(event: DomainEvent) -> None:
    if event.participant_id is None:
        return
    db.session.flush()  # the change that raised the event is what the queries below must see
    person = db.session.get(Participant, event.participant_id)
    if person is not None:
        release(person, actor_user_id=event.actor_user_id)


def _leaves(person: Participant, as_role: ParticipantRole) -> bool:
    return person.status is ParticipantStatus.WITHDRAWN or person.role is not as_role


def release(person: Participant, *, actor_user_id: int | None = None) -> int:
    """End the matches ``person`` can no longer be part of and tell their partners; returns how
    many matches (or a group's pairs) ended. The caller commits."""
    programme = db.session.get(Programme, person.programme_id)
    assert programme is not None
    ended = 0
    if _leaves(person, ParticipantRole.MENTOR):
        for match in _matches(Match.mentor_id == person.id):
            was_confirmed = match.status in CONFIRMED
            _end(programme, match, person, actor_user_id)
            if was_confirmed:
                for member in match.members:
                    _offer_mentee(programme, member.mentee, person)
            ended += 1
    if _leaves(person, ParticipantRole.MENTEE):
        as_mentee = sa.select(MatchMentee.match_id).where(MatchMentee.mentee_id == person.id)
        for match in _matches(Match.id.in_(as_mentee)):
            was_confirmed = match.status in CONFIRMED
            if len(match.members) > 1:
                _detach(programme, match, person, actor_user_id)
            else:
                _end(programme, match, person, actor_user_id)
            if was_confirmed:
                _offer_mentor(programme, match.mentor, person)
            ended += 1
    return ended


def _matches(where: sa.ColumnElement[bool]) -> list[Match]:
    return list(db.session.execute(sa.select(Match).where(where, Match.status.in_(HOLDING_PLACES))).scalars())


def _end(programme: Programme, match: Match, person: Participant, actor_user_id: int | None) -> None:
    finish(
        programme,
        match,
        EndReason.WITHDRAWN,
        action="match.member_left",
        actor_user_id=actor_user_id,
        participant_id=person.id,
    )


def _detach(programme: Programme, match: Match, person: Participant, actor_user_id: int | None) -> None:
    """Take one mentee out of a group: their pair is kept as an ended record, the group goes on."""
    member = next(m for m in match.members if m.mentee_id == person.id)
    pair = Match(
        programme_id=match.programme_id,
        mentor_id=match.mentor_id,
        status=match.status,
        score=member.score,
        explanation={},
        started_at=match.started_at,
        run_id=match.run_id,
    )
    pair.members.append(MatchMentee(mentee_id=person.id, score=member.score, explanation=member.explanation))
    db.session.add(pair)
    match.members.remove(member)
    db.session.flush()
    _end(programme, pair, person, actor_user_id)


def _offer_mentee(programme: Programme, mentee: Participant, gone: Participant) -> None:
    if mentee.status is ParticipantStatus.WITHDRAWN:
        return
    choose = programme.matching_mode is MatchingMode.MENTEE_CHOICE
    notify(
        mentee.user_id,
        "match.partner_left",
        _l("Your mentor has left %(p)s", p=programme.title),
        _l(
            "%(name)s is no longer part of the programme, so your match has ended. "
            "Choose a new mentor from your recommendations.",
            name=gone.user.display_name,
        )
        if choose
        else _l(
            "%(name)s is no longer part of the programme, so your match has ended. "
            "You are back among the mentees to match; your coordinator will propose a new mentor.",
            name=gone.user.display_name,
        ),
        link=f"/programmes/{programme.id}/choose" if choose else f"/programmes/{programme.id}/my-match",
    )


def _offer_mentor(programme: Programme, mentor: Participant, gone: Participant) -> None:
    if mentor.status is ParticipantStatus.WITHDRAWN:
        return
    notify(
        mentor.user_id,
        "match.partner_left",
        _l("Your mentee has left %(p)s", p=programme.title),
        _l(
            "%(name)s is no longer part of the programme, so your match with them has ended. "
            "You have room for a new mentee.",
            name=gone.user.display_name,
        ),
        link=f"/programmes/{programme.id}/my-match",
    )
