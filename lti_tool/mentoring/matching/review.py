"""What a coordinator reviews: a programme's pairs by status, the mentees a run left out, and why not.

Read-only: lists are paginated and searchable by name or e-mail; :func:`why_not` explains in plain
words why the engine would not (or did not) pair a mentee with a mentor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.mentoring.matching import problem as build
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchRun, MatchStatus, UnmatchedMentee
from lti_tool.mentoring.matching.pool import capacity_of, forbidden_pairs, load_pool, participant_in
from lti_tool.mentoring.matching.statuses import HOLDING_PLACES
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme
from lti_tool.safety.names import clean_name


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _names() -> tuple[Any, Any, Any, Any]:
    mentee_p = sa.orm.aliased(Participant)
    mentor_p = sa.orm.aliased(Participant)
    mentee_u = sa.orm.aliased(User)
    mentor_u = sa.orm.aliased(User)
    return mentee_p, mentor_p, mentee_u, mentor_u


def _name_filter(query: Any, users: Sequence[Any], search: str | None) -> Any:
    if not search:
        return query
    like = f"%{search.strip().lower()}%"
    return query.where(
        sa.or_(*[sa.or_(sa.func.lower(u.name).like(like), sa.func.lower(u.email).like(like)) for u in users])
    )


def review(
    programme: Programme,
    *,
    status: MatchStatus = MatchStatus.PROPOSED,
    search: str | None = None,
    page: int = 1,
    per_page: int = 50,
    order: str = "score_desc",
) -> Page:
    """Pairs of a programme in one status, best score first (or worst), with names, paginated."""
    mentee_p, mentor_p, mentee_u, mentor_u = _names()
    query = (
        sa.select(MatchMentee, Match, mentee_u, mentor_u)
        .join(Match, MatchMentee.match_id == Match.id)
        .join(mentee_p, MatchMentee.mentee_id == mentee_p.id)
        .join(mentee_u, mentee_p.user_id == mentee_u.id)
        .join(mentor_p, Match.mentor_id == mentor_p.id)
        .join(mentor_u, mentor_p.user_id == mentor_u.id)
        .where(Match.programme_id == programme.id, Match.status == status)
    )
    query = _name_filter(query, (mentee_u, mentor_u), search)
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    score = sa.func.coalesce(MatchMentee.score, -1.0)
    ordering = score.asc() if order == "score_asc" else score.desc()
    rows = db.session.execute(
        query.order_by(ordering, MatchMentee.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    items = [
        {
            "match_id": match.id,
            "pair_id": member.id,
            "status": match.status.value,
            "mentee": {"id": member.mentee_id, "name": mentee.display_name},
            "mentor": {"id": match.mentor_id, "name": mentor.display_name},
            "score": member.score,
            "locked": member.locked,
            "explanation": member.explanation or {},
            "started_at": match.started_at,
        }
        for member, match, mentee, mentor in rows
    ]
    return Page(items, total, page, per_page)


def unmatched(
    programme: Programme, run: MatchRun, *, search: str | None = None, page: int = 1, per_page: int = 50
) -> Page:
    """Mentees a run left without a mentor, with the reason, paginated."""
    query = (
        sa.select(UnmatchedMentee, User)
        .join(Participant, UnmatchedMentee.participant_id == Participant.id)
        .join(User, Participant.user_id == User.id)
        .where(UnmatchedMentee.run_id == run.id)
    )
    query = _name_filter(query, (User,), search)
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(
        query.order_by(UnmatchedMentee.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    items = [
        {"mentee": {"id": u.participant_id, "name": user.display_name}, "code": u.code, "reason": u.reason}
        for u, user in rows
    ]
    return Page(items, total, page, per_page)



def why_not(programme: Programme, mentee_id: int, mentor_id: int) -> dict[str, Any]:
    """Why the engine would not (or did not) pair this mentee with this mentor, in plain words."""
    mentee = participant_in(programme, mentee_id, ParticipantRole.MENTEE, "mentee_id")
    mentor = participant_in(programme, mentor_id, ParticipantRole.MENTOR, "mentor_id")
    pool = load_pool(programme, mentee_ids=[mentee.id], mentor_ids=[mentor.id], include_matched=True)
    reasons: list[str] = []
    if mentee.id in pool.blocked:
        reasons.append(_("The mentee is not available for matching: %(r)s.", r=pool.blocked[mentee.id]))
    if mentor.id in pool.blocked:
        reasons.append(_("The mentor is not available for matching: %(r)s.", r=pool.blocked[mentor.id]))
    for text in build.check_pair(pool.built, 0, 0):
        reasons.append(_("A hard constraint rules the pair out: %(t)s.", t=text))
    if (mentee.id, mentor.id) in set(forbidden_pairs(programme.id)):
        reasons.append(
            _("This pair ended before (rematch or removed by a coordinator), so it is not proposed again.")
        )
    if pool.room.get(mentor.id, 0) <= 0:
        reasons.append(_("The mentor has no room left (capacity %(c)d).", c=capacity_of(programme, mentor)))
    explanation = build.explain_pairs(pool.built, [0], [0])[0]
    current = db.session.execute(
        sa.select(MatchMentee, Match)
        .join(Match, MatchMentee.match_id == Match.id)
        .where(MatchMentee.mentee_id == mentee.id, Match.status.in_(HOLDING_PLACES))
    ).first()
    instead = None
    if current is not None:
        member, match = current
        instead = {
            "match_id": match.id,
            "mentor_id": match.mentor_id,
            "score": member.score,
            "status": match.status.value,
        }
        if match.mentor_id == mentor.id:
            reasons.append(_("They are already paired."))
        elif member.score is not None and member.score >= explanation["score"]:
            reasons.append(
                _(
                    "The mentee's current mentor scores higher (%(a).2f against %(b).2f).",
                    a=member.score,
                    b=explanation["score"],
                )
            )
        else:
            reasons.append(
                _(
                    "Giving this mentor to the mentee would leave the programme with fewer matches "
                    "or a lower total score overall."
                )
            )
    if not reasons:
        reasons.append(_("Nothing rules the pair out; run the matching again or assign them by hand."))
    return {
        "mentee_id": mentee.id,
        "mentor_id": mentor.id,
        "allowed": not build.check_pair(pool.built, 0, 0),
        "reasons": reasons,
        "score": explanation["score"],
        "explanation": explanation,
        "current": instead,
    }



def mentor_choices(programme: Programme) -> list[tuple[int, str]]:
    return people_choices(programme, ParticipantRole.MENTOR)


def mentee_choices(programme: Programme) -> list[tuple[int, str]]:
    """Mentees by name, for "Why not this mentor?" (a person is picked by name, not by id)."""
    return people_choices(programme, ParticipantRole.MENTEE)


def people_choices(programme: Programme, role: ParticipantRole) -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(Participant.id, User.name)
        .join(User, Participant.user_id == User.id)
        .where(Participant.programme_id == programme.id, Participant.role == role)
        .order_by(User.name)
        .limit(5000)
    ).all()
    return [(pid, clean_name(name) or f"#{pid}") for pid, name in rows]


def counts(programme: Programme) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Match.status, sa.func.count(MatchMentee.id))
        .join(MatchMentee, MatchMentee.match_id == Match.id)
        .where(Match.programme_id == programme.id)
        .group_by(Match.status)
    ).all()
    return {status.value: n for status, n in rows} | {"_": 0}
