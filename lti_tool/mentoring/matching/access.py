"""Who may open a match, and the caller's own matches: the one match access check of Ritmo.

Every feature that shows or changes something inside a match (goals and milestones, the match space,
meetings) resolves the match here first, so the rule is written once: the programme's coordinators
see any match of their course's programme; its mentor and mentees see it from approval on, and
after it ends as read-only history (:data:`statuses.VISIBLE_TO_MEMBERS`); anyone else gets a 404
that does not reveal whether the match exists.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.db import db
from lti_tool.errors import NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus
from lti_tool.mentoring.matching.statuses import CONFIRMED, VISIBLE_TO_MEMBERS
from lti_tool.mentoring.programmes.models import Participant, Programme
from lti_tool.mentoring.programmes.service import participant_for, programme_for_course


@dataclass
class MatchAccess:
    """A match as one caller may see it, with its people loaded once."""

    match: Match
    programme: Programme
    me: Participant | None
    mentor: Participant
    mentees: list[Participant]
    is_coordinator: bool

    @property
    def is_mentor(self) -> bool:
        return self.me is not None and self.me.id == self.mentor.id

    @property
    def is_mentee(self) -> bool:
        return self.me is not None and any(m.id == self.me.id for m in self.mentees)

    @property
    def is_member(self) -> bool:
        return self.is_mentor or self.is_mentee

    @property
    def is_confirmed(self) -> bool:
        """The pair works together now (members may change what is inside the match)."""
        return self.match.status in CONFIRMED

    @property
    def member_user_ids(self) -> list[int]:
        """The users of the mentor and the mentees, mentor first."""
        return [self.mentor.user_id, *sorted(m.user_id for m in self.mentees)]


def current_programme(ctx: LaunchContext) -> Programme:
    """The programme of the course Ritmo was opened from; 404 when it was opened outside one."""
    if ctx.course_id is None:
        raise NotFound(_("Ritmo was opened outside a course. Open it from a course page."))
    return programme_for_course(ctx.course_id)


def match_access(ctx: LaunchContext, match_id: int) -> MatchAccess:
    """The match if the caller is one of its members or coordinates its programme; else 404."""
    programme = current_programme(ctx)
    match = db.session.get(Match, match_id)
    missing = NotFound(_("This match does not exist or is not yours. Go back to your programme page."))
    if match is None or match.programme_id != programme.id:
        raise missing
    mentees = [member.mentee for member in match.members]
    me = participant_for(programme.id, ctx.user_id)
    access = MatchAccess(match, programme, me, match.mentor, mentees, ctx.is_coordinator)
    if not access.is_coordinator and (not access.is_member or match.status not in VISIBLE_TO_MEMBERS):
        raise missing
    return access


def my_matches(
    programme_id: int, user_id: int, *, statuses: Collection[MatchStatus] = VISIBLE_TO_MEMBERS
) -> list[Match]:
    """The matches of a programme that a user belongs to, as mentor or mentee, oldest first.

    By default the ones members may see (:data:`statuses.VISIBLE_TO_MEMBERS`); a user who is not a
    participant of the programme has none. One query.
    """
    mine = sa.select(Participant.id).where(
        Participant.programme_id == programme_id, Participant.user_id == user_id
    )
    as_mentee = sa.select(MatchMentee.match_id).where(MatchMentee.mentee_id.in_(mine))
    return list(
        db.session.execute(
            sa.select(Match)
            .where(
                Match.programme_id == programme_id,
                Match.status.in_(list(statuses)),
                sa.or_(Match.mentor_id.in_(mine), Match.id.in_(as_mentee)),
            )
            .order_by(Match.id)
        ).scalars()
    )
