"""A coordinator's edits to proposals: lock, remove, assign by hand, swap.

Edits touch proposals only (a confirmed match is ended, not edited); each is recorded as a decision
on the match. Locked pairs survive the next run; removed pairs are never proposed again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import audit
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, InvalidInput, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.matching import problem as build
from lti_tool.mentoring.matching.models import EndReason, Match, MatchMentee, MatchStatus
from lti_tool.mentoring.matching.pool import (
    capacity_of,
    load_pool,
    matched_mentees,
    mentor_load,
    participant_in,
)
from lti_tool.mentoring.matching.statuses import CONFIRMED, HOLDING_PLACES
from lti_tool.mentoring.programmes.models import MatchingMode, ParticipantRole, Programme


def _pair(programme: Programme, mentee_id: int) -> tuple[MatchMentee, Match]:
    row = db.session.execute(
        sa.select(MatchMentee, Match)
        .join(Match, MatchMentee.match_id == Match.id)
        .where(
            MatchMentee.mentee_id == mentee_id,
            Match.programme_id == programme.id,
            Match.status == MatchStatus.PROPOSED,
        )
    ).first()
    if row is None:
        raise NotFound(_("This mentee has no proposed mentor; run the matching or assign one."))
    return row[0], row[1]


def set_locked(ctx: LaunchContext, programme: Programme, mentee_ids: Sequence[int], locked: bool) -> int:
    """Lock (or unlock) proposed pairs so re-runs keep them."""
    count = 0
    for mentee_id in mentee_ids:
        member, match = _pair(programme, mentee_id)
        member.locked = locked
        match.locked = locked or any(m.locked for m in match.members)
        audit.record(
            "match.locked" if locked else "match.unlocked",
            "match",
            match.id,
            actor_user_id=ctx.user_id,
            mentee_id=mentee_id,
        )
        count += 1
    db.session.commit()
    return count


def remove(ctx: LaunchContext, programme: Programme, mentee_ids: Sequence[int], reason: str = "") -> int:
    """Drop proposed pairs; re-runs will not propose those pairs again."""
    count = 0
    for mentee_id in mentee_ids:
        member, match = _pair(programme, mentee_id)
        _detach(match, member, EndReason.REMOVED)
        audit.record(
            "match.removed",
            "match",
            match.id,
            actor_user_id=ctx.user_id,
            mentee_id=mentee_id,
            mentor_id=match.mentor_id,
            reason=reason,
        )
        count += 1
    db.session.commit()
    return count


def _detach(match: Match, member: MatchMentee, why: EndReason) -> None:
    """Take one mentee out of a proposal, keeping an ended record of the pair."""
    ended = Match(
        programme_id=match.programme_id,
        mentor_id=match.mentor_id,
        status=MatchStatus.ENDED,
        score=member.score,
        explanation={},
        end_reason=why,
        ended_at=utcnow(),
        run_id=match.run_id,
    )
    ended.members.append(
        MatchMentee(mentee_id=member.mentee_id, score=member.score, explanation=member.explanation)
    )
    db.session.add(ended)
    match.members.remove(member)
    db.session.flush()
    if not match.members:
        db.session.delete(match)
    else:
        scores = [m.score for m in match.members if m.score is not None]
        match.score = sum(scores) / len(scores) if scores else None


def assign(
    ctx: LaunchContext, programme: Programme, mentee_id: int, mentor_id: int, *, force: bool = False
) -> Match:
    """Propose ``mentor`` for ``mentee`` by hand (moving the mentee if proposed elsewhere); locked."""
    mentee = participant_in(programme, mentee_id, ParticipantRole.MENTEE, "mentee_id")
    mentor = participant_in(programme, mentor_id, ParticipantRole.MENTOR, "mentor_id")
    if mentee.id in matched_mentees(programme.id, CONFIRMED):
        raise Conflict(_("This mentee already has an approved match; end it first."))
    pool = load_pool(programme, mentee_ids=[mentee.id], mentor_ids=[mentor.id], include_matched=True)
    broken = build.check_pair(pool.built, 0, 0)
    if broken and not force:
        raise Conflict(
            _(
                "The pair breaks the programme's rules: %(r)s. Confirm to assign them anyway.",
                r="; ".join(broken),
            ),
            errors={"force": [_("Set force to assign anyway.")]},
        )
    load = mentor_load(programme.id, HOLDING_PLACES).get(mentor.id, 0)
    try:
        current_member, current = _pair(programme, mentee.id)
    except NotFound:
        current_member, current = None, None
    if current is not None and current.mentor_id == mentor.id:
        current_member.locked = True  # type: ignore[union-attr]
        current.locked = True
        db.session.commit()
        return current
    if load >= capacity_of(programme, mentor) and not force:
        raise Conflict(
            _("This mentor has no room left; remove one of their mentees or confirm to go over."),
            errors={"force": [_("Set force to go over capacity.")]},
        )
    explanation = build.explain_pairs(pool.built, [0], [0])[0]
    if current is not None and current_member is not None:
        current.members.remove(current_member)
        db.session.flush()
        if not current.members:
            db.session.delete(current)
    target = None
    if programme.matching_mode is not MatchingMode.ONE_TO_ONE:
        target = db.session.execute(
            sa.select(Match)
            .where(
                Match.programme_id == programme.id,
                Match.mentor_id == mentor.id,
                Match.status == MatchStatus.PROPOSED,
            )
            .limit(1)
        ).scalar_one_or_none()
    if target is None:
        target = Match(
            programme_id=programme.id, mentor_id=mentor.id, status=MatchStatus.PROPOSED, explanation={}
        )
        db.session.add(target)
    target.members.append(
        MatchMentee(mentee_id=mentee.id, score=explanation["score"], explanation=explanation, locked=True)
    )
    target.locked = True
    db.session.flush()
    scores = [m.score for m in target.members if m.score is not None]
    target.score = sum(scores) / len(scores) if scores else None
    audit.record(
        "match.assigned",
        "match",
        target.id,
        actor_user_id=ctx.user_id,
        mentee_id=mentee.id,
        mentor_id=mentor.id,
        previous_mentor_id=current.mentor_id if current else None,
        forced=bool(force and broken),
        broken_rules=broken,
    )
    db.session.commit()
    return target


def swap(
    ctx: LaunchContext, programme: Programme, mentee_a: int, mentee_b: int, *, force: bool = False
) -> None:
    """Exchange the proposed mentors of two mentees (both pairs become locked)."""
    member_a, match_a = _pair(programme, mentee_a)
    member_b, match_b = _pair(programme, mentee_b)
    if match_a.mentor_id == match_b.mentor_id:
        raise InvalidInput(errors={"mentee_ids": [_("Both mentees have the same mentor; nothing to swap.")]})
    pool = load_pool(
        programme,
        mentee_ids=[mentee_a, mentee_b],
        mentor_ids=[match_a.mentor_id, match_b.mentor_id],
        include_matched=True,
    )
    ia, ib = pool.built.mentee_ids.index(mentee_a), pool.built.mentee_ids.index(mentee_b)
    ja, jb = pool.built.mentor_ids.index(match_a.mentor_id), pool.built.mentor_ids.index(match_b.mentor_id)
    broken = build.check_pair(pool.built, ia, jb) + build.check_pair(pool.built, ib, ja)
    if broken and not force:
        raise Conflict(
            _("The swap breaks the programme's rules: %(r)s. Confirm to swap anyway.", r="; ".join(broken)),
            errors={"force": [_("Set force to swap anyway.")]},
        )
    new_a, new_b = build.explain_pairs(pool.built, [ia, ib], [jb, ja])
    member_a.match_id, member_b.match_id = match_b.id, match_a.id
    member_a.score, member_a.explanation, member_a.locked = new_a["score"], new_a, True
    member_b.score, member_b.explanation, member_b.locked = new_b["score"], new_b, True
    db.session.flush()
    for match in (match_a, match_b):
        db.session.refresh(match)
        scores = [m.score for m in match.members if m.score is not None]
        match.score = sum(scores) / len(scores) if scores else None
        match.locked = True
    audit.record(
        "match.swapped",
        "match",
        match_a.id,
        actor_user_id=ctx.user_id,
        mentee_ids=[mentee_a, mentee_b],
        mentor_ids=[match_a.mentor_id, match_b.mentor_id],
        other_match_id=match_b.id,
    )
    db.session.commit()

