"""The life of a match after it is proposed: approval, start, end, a rematch, and what members see of it.

Starting and ending are decisions: each is written to the audit trail (see :mod:`.decisions`) and
told to the people concerned, in the app and by e-mail. Every way a match ends goes through
:func:`finish`, which emits ``match.ended`` (and ``match.completed`` when it ran its course). The
later stages live beside this module: :mod:`.duration` (planned length, mid-point check-in),
:mod:`.closure` (closing and reflections, the programme's end) and :mod:`.withdrawal`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool import audit, timezones
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, InvalidInput, NotFound
from lti_tool.events import DomainEvent, emit
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.matching.access import my_matches
from lti_tool.mentoring.matching.models import EndReason, Match, MatchMentee, MatchStatus
from lti_tool.mentoring.matching.statuses import COMPLETING, CONFIRMED, HOLDING_PLACES
from lti_tool.mentoring.programmes.models import (
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Programme,
)
from lti_tool.notifications.service import notify


def get_match(programme: Programme, match_id: int) -> Match:
    match = db.session.get(Match, match_id)
    if match is None or match.programme_id != programme.id:
        raise NotFound(_("This match does not exist in the programme."))
    return match


def propose(
    programme: Programme,
    mentor_id: int,
    mentee_ids: Sequence[int],
    *,
    actor_user_id: int | None,
    why: str,
) -> Match:
    """Propose a mentor for mentees by hand (the engine's checks are :func:`.edits.assign`'s);
    the caller commits. Refuses people of another programme or part, and mentees already matched."""
    mentor = db.session.get(Participant, mentor_id)
    mentees = [db.session.get(Participant, i) for i in mentee_ids]
    if (
        mentor is None
        or mentor.programme_id != programme.id
        or mentor.role is not ParticipantRole.MENTOR
        or not mentees
        or any(
            m is None or m.programme_id != programme.id or m.role is not ParticipantRole.MENTEE
            for m in mentees
        )
        or any(p.status is ParticipantStatus.WITHDRAWN for p in [mentor, *mentees] if p is not None)
    ):
        raise InvalidInput(errors={"mentee_ids": [_("Choose a mentor and mentees of this programme.")]})
    busy = db.session.execute(
        sa.select(MatchMentee.mentee_id)
        .join(Match, Match.id == MatchMentee.match_id)
        .where(MatchMentee.mentee_id.in_(list(mentee_ids)), Match.status.in_(HOLDING_PLACES))
    ).first()
    if busy is not None:
        raise Conflict(_("This mentee already has a match; end it first."))
    match = Match(programme_id=programme.id, mentor_id=mentor_id, status=MatchStatus.PROPOSED, explanation={})
    match.members = [MatchMentee(mentee_id=i, explanation={}) for i in mentee_ids]
    db.session.add(match)
    db.session.flush()
    audit.record(
        "match.proposed",
        "match",
        match.id,
        actor_user_id=actor_user_id,
        reason=why,
        mentor_id=mentor_id,
        mentee_ids=list(mentee_ids),
    )
    return match


def approve(ctx: LaunchContext, programme: Programme, match_ids: Sequence[int] | None = None) -> int:
    """Approve proposals (all of them when ``match_ids`` is None): they become active, people are told."""
    query = sa.select(Match.id).where(
        Match.programme_id == programme.id, Match.status == MatchStatus.PROPOSED
    )
    if match_ids is not None:
        query = query.where(Match.id.in_(match_ids))
    ids = list(db.session.execute(query).scalars())
    if match_ids is not None and len(ids) != len(set(match_ids)):
        raise InvalidInput(
            errors={
                "match_ids": [
                    _("Some of these matches are not proposals of this programme; reload the list.")
                ]
            }
        )
    activate(programme, ids, actor_user_id=ctx.user_id, why=_("approved by a coordinator"))
    db.session.commit()
    return len(ids)


def programme_today(programme: Programme, now: datetime | None = None) -> date:
    """Today (or ``now``'s day) in the programme's time zone: its start and end dates are days there."""
    zone = timezones.shown_zone_name(programme.timezone)
    return timezones.in_zone(now or utcnow(), zone).date()


def activate(programme: Programme, match_ids: Sequence[int], *, actor_user_id: int | None, why: str) -> None:
    """Start the proposals among ``match_ids`` and tell their people; the caller commits.

    Before the programme's start date they are approved and wait: :func:`start_approved` starts
    them on that day.
    """
    waiting = programme.starts_on is not None and programme.starts_on > programme_today(programme)
    for match_id in match_ids:
        match = db.session.get(Match, match_id)
        if match is None or match.status is not MatchStatus.PROPOSED:
            continue
        if waiting:
            match.status = MatchStatus.APPROVED
            audit.record("match.approved", "match", match.id, actor_user_id=actor_user_id, reason=why)
            _announce(programme, match)
            continue
        _start(programme, match, actor_user_id=actor_user_id, why=why)
        _announce(programme, match)


def start_approved(programme: Programme, now: datetime | None = None) -> int:
    """Start the approved matches once the programme's start date has come; the caller commits."""
    if programme.starts_on is not None and programme.starts_on > programme_today(programme, now):
        return 0
    due = db.session.execute(
        sa.select(Match).where(Match.programme_id == programme.id, Match.status == MatchStatus.APPROVED)
    ).scalars()
    count = 0
    for match in list(due):
        _start(programme, match, actor_user_id=None, why=_("the programme started"))
        count += 1
    return count


def _start(programme: Programme, match: Match, *, actor_user_id: int | None, why: str) -> None:
    match.status, match.started_at = MatchStatus.ACTIVE, utcnow()
    audit.record(
        "match.activated",
        "match",
        match.id,
        actor_user_id=actor_user_id,
        reason=why,
        mentor_id=match.mentor_id,
        mentee_ids=[m.mentee_id for m in match.members],
    )
    emit(DomainEvent("match.activated", programme.id, match_id=match.id, actor_user_id=actor_user_id))


def _announce(programme: Programme, match: Match) -> None:
    link = f"/programmes/{programme.id}/my-match"
    mentor_user = match.mentor.user
    names = ", ".join(m.mentee.user.display_name for m in match.members)
    notify(
        mentor_user.id,
        "match.activated",
        _l("You have a new mentee in %(p)s", p=programme.title),
        _l("You now mentor %(names)s. Open Ritmo to see why you were matched and say hello.", names=names),
        link=link,
    )
    for member in match.members:
        notify(
            member.mentee.user_id,
            "match.activated",
            _l("Meet your mentor in %(p)s", p=programme.title),
            _l(
                "Your mentor is %(name)s. Open Ritmo to see why you were matched and say hello.",
                name=mentor_user.display_name,
            ),
            link=link,
        )


def _involved(ctx: LaunchContext, match: Match) -> Participant:
    me = db.session.execute(
        sa.select(Participant).where(
            Participant.programme_id == match.programme_id, Participant.user_id == ctx.user_id
        )
    ).scalar_one_or_none()
    if me is None or (me.id != match.mentor_id and me.id not in {m.mentee_id for m in match.members}):
        raise NotFound(_("This match does not exist or is not yours."))
    return me


def finish(
    programme: Programme,
    match: Match,
    reason: EndReason,
    *,
    action: str,
    actor_user_id: int | None,
    why: str = "",
    **detail: Any,
) -> None:
    """End a match with a reason, record the decision ``action`` and emit ``match.ended`` (and
    ``match.completed`` when it ran its course); the caller tells people and commits."""
    if match.status is MatchStatus.ENDED:
        raise Conflict(_("This match has already ended."))
    match.status, match.ended_at, match.end_reason = MatchStatus.ENDED, utcnow(), reason
    match.closure_proposed_by_id = match.closure_proposed_at = None
    audit.record(action, "match", match.id, actor_user_id=actor_user_id, reason=why, **detail)
    data = {"end_reason": reason.value}
    emit(DomainEvent("match.ended", programme.id, match_id=match.id, actor_user_id=actor_user_id, data=data))
    if reason in COMPLETING:
        emit(
            DomainEvent(
                "match.completed", programme.id, match_id=match.id, actor_user_id=actor_user_id, data=data
            )
        )


def end_match(ctx: LaunchContext, programme: Programme, match: Match, reason: str) -> Match:
    """A coordinator ends a match (proposed, approved or active)."""
    finish(
        programme, match, EndReason.COORDINATOR, action="match.ended", actor_user_id=ctx.user_id, why=reason
    )
    for user_id in user_ids(match):
        notify(
            user_id,
            "match.ended",
            _l("Your match in %(p)s has ended", p=programme.title),
            _l("A coordinator ended this match. Reason: %(r)s", r=reason or _l("none given")),
        )
    db.session.commit()
    return match


def request_rematch(ctx: LaunchContext, match: Match, reason: str) -> Match:
    """A participant asks for another partner: the match ends and the pair is never proposed again."""
    me = _involved(ctx, match)
    if match.status not in HOLDING_PLACES:
        raise Conflict(_("This match has already ended."))
    programme = db.session.get(Programme, match.programme_id)
    assert programme is not None
    finish(
        programme,
        match,
        EndReason.REMATCH,
        action="match.rematch_requested",
        actor_user_id=ctx.user_id,
        why=reason,
        participant_id=me.id,
    )
    for user_id in user_ids(match):
        if user_id != ctx.user_id:
            notify(
                user_id,
                "match.ended",
                _l("Your match in %(p)s has ended", p=programme.title),
                _l("Your partner asked for a new match. You will be offered someone else."),
            )
    db.session.commit()
    return match


def user_ids(match: Match) -> list[int]:
    """The users of a match's mentor and mentees, mentor first."""
    return [match.mentor.user_id, *[m.mentee.user_id for m in match.members]]


def my_match_cards(participant: Participant) -> list[dict[str, Any]]:
    """A participant's confirmed matches with the partner(s) and why they were matched.

    A mentee sees their mentor and their own pairing, not the other mentees of a group.
    """
    out = []
    for match in my_matches(participant.programme_id, participant.user_id, statuses=CONFIRMED):
        members = [
            m
            for m in match.members
            if participant.role is ParticipantRole.MENTOR or m.mentee_id == participant.id
        ]
        out.append(
            {
                "match_id": match.id,
                "status": match.status.value,
                "started_at": match.started_at,
                "mentor": {"id": match.mentor_id, "name": match.mentor.user.display_name},
                "mentees": [
                    {
                        "id": m.mentee_id,
                        "name": m.mentee.user.display_name,
                        "score": m.score,
                        "explanation": m.explanation or {},
                    }
                    for m in members
                ],
            }
        )
    return out
