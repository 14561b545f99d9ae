"""What the LMS may do to a participant's role: one rule, for launches and roster syncs alike.

The LMS says one of three things about a person (``lms_role``): staff (coordinator), Mentor (the
LIS Mentor role, or a link carrying ``ritmo_role=mentor``), or a learner (mentee). Ritmo also
knows who set the role it holds (``RoleOrigin``). The rule, in order:

1. A role the coordinator assigned or the person chose is never changed by the LMS.
2. The LMS makes staff coordinators, and a coordinator it no longer lists as staff takes the part
   the LMS gives.
3. The LMS may add a mentor: a mentee it marks as a mentor becomes one (a mentee match they were
   in ends, and their mentor is offered a new match: ``matching/withdrawal.py``).
4. The LMS never takes back a mentor in a live (approved or started) match.
5. Otherwise it may take a mentor back to mentee only where the programme takes roles from the LMS,
   and never one who became a mentor through a mentors-only link (the roster cannot see links).

Where the LMS and Ritmo still disagree, :func:`disagrees` says so and the participants page shows
it. A plain "learner" does not contradict a mentor the LMS did not make: Moodle has no Mentor role,
so there a learner is mentor or mentee as the coordinator, the person or a link decided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.matching.models import Match, MatchMentee
from lti_tool.mentoring.matching.statuses import CONFIRMED
from lti_tool.mentoring.programmes.models import ParticipantRole, RoleOrigin, RoleSource

#: Roles the LMS never overrides (rule 1).
CHOSEN = (RoleOrigin.COORDINATOR, RoleOrigin.SELF)


def role_from_lms(coordinator: bool, mentor: bool) -> ParticipantRole:
    """The part the LMS role gives: staff coordinate; learners mentor or are mentored."""
    if coordinator:
        return ParticipantRole.COORDINATOR
    return ParticipantRole.MENTOR if mentor else ParticipantRole.MENTEE


def settle(
    *,
    current: ParticipantRole,
    origin: RoleOrigin,
    lms_says: ParticipantRole,
    source: RoleSource,
    live_match: Callable[[], bool],
) -> ParticipantRole | None:
    """The role the LMS moves a participant to, or ``None`` to keep theirs (the rule above).
    ``live_match`` is asked only when the answer depends on it (a launch pays no query otherwise)."""
    if lms_says is current or origin in CHOSEN:
        return None
    if ParticipantRole.COORDINATOR in (lms_says, current):
        return lms_says
    if lms_says is ParticipantRole.MENTOR:
        return ParticipantRole.MENTOR
    if live_match():
        return None
    if origin is RoleOrigin.LINK or source is not RoleSource.LMS:
        return None
    return lms_says


def origin_of(role: ParticipantRole, via_link: bool) -> RoleOrigin:
    """Who set a role the LMS gave: a mentors-only link, or the LMS's own roles."""
    return RoleOrigin.LINK if via_link and role is ParticipantRole.MENTOR else RoleOrigin.LMS


def disagrees(role: ParticipantRole, origin: RoleOrigin, lms_role: ParticipantRole | None) -> bool:
    """Whether the LMS says otherwise than Ritmo holds (and the rule kept Ritmo's)."""
    if lms_role is None or lms_role is role:
        return False
    # "Learner" says nothing against a mentor the LMS did not make (Moodle has no Mentor role).
    return not (
        lms_role is ParticipantRole.MENTEE and role is ParticipantRole.MENTOR and origin is not RoleOrigin.LMS
    )


def in_live_matches(programme_id: int, participant_ids: Iterable[int] | None = None) -> set[int]:
    """The programme's participants (of ``participant_ids``, if given) who mentor or are mentored
    in an approved or started match."""
    mentors = sa.select(Match.mentor_id).where(
        Match.programme_id == programme_id, Match.status.in_(CONFIRMED)
    )
    mentees = (
        sa.select(MatchMentee.mentee_id)
        .join(Match, Match.id == MatchMentee.match_id)
        .where(Match.programme_id == programme_id, Match.status.in_(CONFIRMED))
    )
    if participant_ids is not None:
        ids = list(participant_ids)
        mentors = mentors.where(Match.mentor_id.in_(ids))
        mentees = mentees.where(MatchMentee.mentee_id.in_(ids))
    return set(db.session.execute(sa.union(mentors, mentees)).scalars())
