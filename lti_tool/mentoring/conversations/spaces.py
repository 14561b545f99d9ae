"""Who may open a relationship space, and as what: the rule of access shared by everything in one.

Two kinds of space share one set of rules:

* a **match space** (``match:<id>``): private to the match's mentor and mentees; the programme's
  coordinators can read it (and the page says so); written only by the members while the match is
  approved or active, read-only once it ended;
* the **programme forum** (``forum:<programme id>``): everyone in the programme reads it and asks
  questions; only coordinators announce.

Every function of the space's services takes the caller's :class:`LaunchContext` and resolves the
space here first, raising domain errors before writing anything, so a refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.errors import Forbidden, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.conversations.models import (
    Thread,
)
from lti_tool.mentoring.matching.access import my_matches
from lti_tool.mentoring.matching.models import Match, MatchMentee
from lti_tool.mentoring.matching.statuses import CONFIRMED, VISIBLE_TO_MEMBERS
from lti_tool.mentoring.programmes.models import (
    Participant,
    ParticipantStatus,
    Programme,
)
from lti_tool.mentoring.programmes.service import programme_for_course


@dataclass
class Space:
    """A space as one caller sees it: what it is and what they may do there."""

    key: str
    programme: Programme
    match: Match | None
    member_user_ids: list[int] = field(default_factory=list)
    is_member: bool = False
    is_coordinator: bool = False
    can_write: bool = False
    read_only_reason: str | None = None

    @property
    def match_id(self) -> int | None:
        return self.match.id if self.match else None

    @property
    def is_forum(self) -> bool:
        return self.match is None


# -- access ----------------------------------------------------------------------------------------


def member_user_ids(match: Match) -> list[int]:
    """The users of the match's mentor and mentees (mentor first), in one query."""
    mentee_ids = sa.select(MatchMentee.mentee_id).where(MatchMentee.match_id == match.id)
    rows = db.session.execute(
        sa.select(Participant.id, Participant.user_id).where(
            sa.or_(Participant.id == match.mentor_id, Participant.id.in_(mentee_ids))
        )
    ).all()
    by_participant = dict(rows)
    mentor = by_participant.pop(match.mentor_id, None)
    return ([mentor] if mentor is not None else []) + sorted(by_participant.values())


def match_space(ctx: LaunchContext, match_id: int) -> Space:
    """The space of a match the caller belongs to or coordinates; 404 for anyone else."""
    row = db.session.execute(
        sa.select(Match, Programme)
        .join(Programme, Programme.id == Match.programme_id)
        .where(Match.id == match_id)
    ).first()
    match, programme = (row[0], row[1]) if row else (None, None)
    if (
        match is None
        or programme is None
        or programme.course_id != ctx.course_id
        or match.status not in VISIBLE_TO_MEMBERS
    ):
        raise NotFound(
            _("This match space does not exist, or it is not yours. Open your match from the programme home.")
        )
    members = member_user_ids(match)
    is_member = ctx.user_id in members
    if not is_member and not ctx.is_coordinator:
        raise NotFound(
            _("This match space does not exist, or it is not yours. Open your match from the programme home.")
        )
    space = Space(
        key=f"match:{match.id}",
        programme=programme,
        match=match,
        member_user_ids=members,
        is_member=is_member,
        is_coordinator=ctx.is_coordinator,
    )
    if match.status not in CONFIRMED:
        space.read_only_reason = _(
            "This match has ended: its space stays readable but closed for new messages."
        )
    elif not is_member:
        space.read_only_reason = _(
            "Coordinators can read match spaces but only the match's members write in them."
        )
    else:
        space.can_write = True
    return space


def forum_space(ctx: LaunchContext) -> Space:
    """The programme forum of the caller's course."""
    if ctx.course_id is None:
        raise NotFound(_("Ritmo was opened outside a course. Open it from a course page."))
    programme = programme_for_course(ctx.course_id)
    participant = db.session.execute(
        sa.select(Participant).where(
            Participant.programme_id == programme.id, Participant.user_id == ctx.user_id
        )
    ).scalar_one_or_none()
    is_member = participant is not None and participant.status is not ParticipantStatus.WITHDRAWN
    if not is_member and not ctx.is_coordinator:
        raise Forbidden(_("You are not part of this programme. Open Ritmo from the course page first."))
    return Space(
        key=f"forum:{programme.id}",
        programme=programme,
        match=None,
        is_member=is_member,
        is_coordinator=ctx.is_coordinator,
        can_write=True,
    )


def require_write(space: Space) -> None:
    if not space.can_write:
        raise Forbidden(space.read_only_reason or _("You cannot write in this space."))


def _space_of_thread(ctx: LaunchContext, thread: Thread) -> Space:
    if thread.match_id is not None:
        return match_space(ctx, thread.match_id)
    space = forum_space(ctx)
    if space.programme.id != thread.programme_id:
        raise NotFound(_("This thread does not exist in your programme."))
    return space


def get_thread(ctx: LaunchContext, thread_id: int) -> tuple[Thread, Space]:
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        raise NotFound(_("This thread does not exist or was removed."))
    return thread, _space_of_thread(ctx, thread)


def members_of(matches: Iterable[Match]) -> dict[int, list[User]]:
    """Each match's people, mentor first: two queries for any number of matches (the spaces list)."""
    ids = [m.id for m in matches]
    if not ids:
        return {}
    mentors = db.session.execute(
        sa.select(Match.id, User)
        .join(Participant, Participant.id == Match.mentor_id)
        .join(User, User.id == Participant.user_id)
        .where(Match.id.in_(ids))
    ).all()
    mentees = db.session.execute(
        sa.select(MatchMentee.match_id, User)
        .join(Participant, Participant.id == MatchMentee.mentee_id)
        .join(User, User.id == Participant.user_id)
        .where(MatchMentee.match_id.in_(ids))
        .order_by(MatchMentee.id)
    ).all()
    people: dict[int, list[User]] = {i: [] for i in ids}
    for match_id, user in [*mentors, *mentees]:
        people[match_id].append(user)
    return people


def users_by_id(ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in db.session.execute(sa.select(User).where(User.id.in_(wanted))).scalars()}


def participant_id(programme_id: int, user_id: int) -> int | None:
    return db.session.execute(
        sa.select(Participant.id).where(
            Participant.programme_id == programme_id, Participant.user_id == user_id
        )
    ).scalar_one_or_none()


def my_spaces(ctx: LaunchContext) -> list[Match]:
    """The matches whose space the caller may open: their own, or all of the course's for coordinators."""
    if ctx.course_id is None:
        return []
    programme = programme_for_course(ctx.course_id)
    if not ctx.is_coordinator:
        return my_matches(programme.id, ctx.user_id)
    query = sa.select(Match).where(Match.programme_id == programme.id, Match.status.in_(VISIBLE_TO_MEMBERS))
    return list(db.session.execute(query.order_by(Match.id)).scalars())
