"""Closing a match: a member proposes, the other side confirms (or a coordinator closes it), each
member writes a short closing reflection; and the programme's end date closes what is still open.

A closed match is ended with the reason ``completed`` (``programme_ended`` when the programme's end
closed it): both count as completed on the dashboard (:data:`.statuses.COMPLETING`). The other side
is the mentor when a mentee proposes, and any of the mentees when the mentor does (a group's mentor
leads it; one confirmation is enough). The programme's end first sends a notice
(``settings["end_notice_days"]`` before, default 7) and closes the match only after the end date,
and never less than a day after that notice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import CursorResult

from lti_tool import audit, timezones
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, Forbidden
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.matching.access import MatchAccess
from lti_tool.mentoring.matching.duration import closing_link, summary
from lti_tool.mentoring.matching.lifecycle import finish, programme_today, user_ids
from lti_tool.mentoring.matching.models import (
    CLOSURE_REASON_LABELS,
    ClosureReason,
    EndReason,
    Match,
    MatchReflection,
    MatchStatus,
    ReflectionKind,
)
from lti_tool.mentoring.matching.reflections import dump, of_match, write
from lti_tool.mentoring.matching.statuses import COMPLETING, CONFIRMED
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.notifications.service import notify

DEFAULT_END_NOTICE_DAYS = 7
#: The least time between the end notice and the closing it announces.
MIN_NOTICE = timedelta(days=1)


def _member(access: MatchAccess) -> None:
    if not access.is_member or access.me is None:
        raise Forbidden(_("Only the members of this match can close it; coordinators close it directly."))
    if access.match.status not in CONFIRMED:
        raise Conflict(_("This match has already ended."))


def _same_side(access: MatchAccess, participant_id: int | None) -> bool:
    """Whether the caller is on the proposer's side (the mentor, or one of the mentees)."""
    mentee_ids = {m.id for m in access.mentees}
    assert access.me is not None
    if participant_id == access.mentor.id:
        return access.is_mentor
    return participant_id in mentee_ids and access.me.id in mentee_ids


def propose(access: MatchAccess, reason: ClosureReason, reflection: str = "") -> Match:
    """A member proposes closing the match; the other side is asked to confirm."""
    _member(access)
    match = access.match
    assert access.me is not None
    if match.closure_proposed_at is not None:
        raise Conflict(_("Closing this match is already proposed; wait for the answer or take it back."))
    match.closure_proposed_by_id, match.closure_proposed_at = access.me.id, utcnow()
    match.closure_reason = reason
    if reflection.strip():
        write(access, ReflectionKind.CLOSING, reflection)
    audit.record(
        "match.closure_proposed", "match", match.id, actor_user_id=access.me.user_id, closure=reason.value
    )
    name = access.me.user.display_name
    for user_id in access.member_user_ids:
        if user_id != access.me.user_id:
            notify(
                user_id,
                "match.closure_proposed",
                _l("%(name)s proposes closing your match in %(p)s", name=name, p=access.programme.title),
                _l(
                    "Reason: %(r)s. Confirm to close the match and write a short reflection, "
                    "or say it is not time yet.",
                    r=CLOSURE_REASON_LABELS[reason],
                ),
                link=closing_link(access.programme, match),
            )
    db.session.commit()
    return match


def confirm(access: MatchAccess, reflection: str = "") -> Match:
    """The other side confirms the proposal: the match is completed."""
    _member(access)
    match = access.match
    assert access.me is not None
    if match.closure_proposed_at is None:
        raise Conflict(_("Nobody has proposed closing this match yet."))
    if _same_side(access, match.closure_proposed_by_id):
        raise Conflict(_("Your partner confirms the closing you proposed; you can take it back."))
    if reflection.strip():
        write(access, ReflectionKind.CLOSING, reflection)
    reason = match.closure_reason or ClosureReason.OTHER
    finish(
        access.programme,
        match,
        EndReason.COMPLETED,
        action="match.completed",
        actor_user_id=access.me.user_id,
        closure=reason.value,
        proposed_by=match.closure_proposed_by_id,
    )
    _tell_completed(access.programme, match, by_coordinator=False)
    db.session.commit()
    return match


def keep_open(access: MatchAccess) -> Match:
    """The proposal is taken back (by its side) or declined (by the other): the match goes on."""
    _member(access)
    match = access.match
    assert access.me is not None
    if match.closure_proposed_at is None:
        raise Conflict(_("Nobody has proposed closing this match."))
    own = _same_side(access, match.closure_proposed_by_id)
    proposer = match.closure_proposed_by_id
    match.closure_proposed_by_id = match.closure_proposed_at = match.closure_reason = None
    audit.record(
        "match.closure_withdrawn" if own else "match.closure_declined",
        "match",
        match.id,
        actor_user_id=access.me.user_id,
    )
    if not own:
        for member in [access.mentor, *access.mentees]:
            if member.id == proposer:
                notify(
                    member.user_id,
                    "match.closure_declined",
                    _l("Your match in %(p)s goes on", p=access.programme.title),
                    _l("%(name)s would rather not close the match yet.", name=access.me.user.display_name),
                    link=closing_link(access.programme, match),
                )
    db.session.commit()
    return match


def close(
    ctx: LaunchContext, programme: Programme, match: Match, reason: ClosureReason, note: str = ""
) -> Match:
    """A coordinator closes a match directly: it is completed, and the members asked to reflect."""
    if match.status not in CONFIRMED:
        raise Conflict(_("Only a match that has started can be closed; end a proposal instead."))
    finish(
        programme,
        match,
        EndReason.COMPLETED,
        action="match.completed",
        actor_user_id=ctx.user_id,
        why=note[:500],
        closure=reason.value,
    )
    match.closure_reason = reason
    _tell_completed(programme, match, by_coordinator=True)
    db.session.commit()
    return match


def reflect(access: MatchAccess, text: str) -> MatchReflection:
    """A member writes (or rewrites) their closing reflection, once closing is on the way."""
    match = access.match
    closing = match.status in CONFIRMED and match.closure_proposed_at is not None
    closed = match.status is MatchStatus.ENDED and match.end_reason in COMPLETING
    if access.is_member and not (closing or closed):
        raise Conflict(_("Propose closing the match first; the reflection comes with the closing."))
    row = write(access, ReflectionKind.CLOSING, text)
    db.session.commit()
    return row


def _tell_completed(programme: Programme, match: Match, *, by_coordinator: bool) -> None:
    text = (
        _l("A coordinator closed your match. Thank you! Write a few words about what you take away.")
        if by_coordinator
        else _l("Your match is complete. Thank you! Write a few words about what you take away.")
    )
    for user_id in user_ids(match):
        notify(
            user_id,
            "match.completed",
            _l("Your match in %(p)s is complete", p=programme.title),
            text,
            link=closing_link(programme, match),
        )


# -- the programme's end -------------------------------------------------------------------------


def notice_days(programme: Programme) -> int:
    return int((programme.settings or {}).get("end_notice_days") or DEFAULT_END_NOTICE_DAYS)


def programme_end(programme: Programme, now: datetime | None = None) -> dict[str, int]:
    """Send the end notice to open matches within the notice period, and close those the notice
    reached at least :data:`MIN_NOTICE` ago once the end date is over. Idempotent; the caller commits."""
    counts = {"noticed": 0, "closed": 0}
    if programme.ends_on is None:
        return counts
    now = now or utcnow()
    today = programme_today(programme, now)
    if (programme.ends_on - today).days > notice_days(programme):
        return counts
    open_matches = list(
        db.session.execute(
            sa.select(Match).where(Match.programme_id == programme.id, Match.status.in_(CONFIRMED))
        ).scalars()
    )
    for match in open_matches:
        if match.end_notice_sent_at is None:
            counts["noticed"] += _notice(programme, match, now)
        elif today > programme.ends_on and match.end_notice_sent_at <= now - MIN_NOTICE:
            finish(
                programme,
                match,
                EndReason.PROGRAMME_ENDED,
                action="match.closed_at_programme_end",
                actor_user_id=None,
                ends_on=programme.ends_on.isoformat(),
            )
            _tell_completed(programme, match, by_coordinator=False)
            counts["closed"] += 1
    return counts


def _notice(programme: Programme, match: Match, now: datetime) -> int:
    claimed = db.session.execute(
        sa.update(Match)
        .where(Match.id == match.id, Match.end_notice_sent_at.is_(None))
        .values(end_notice_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(claimed, CursorResult)
    if not claimed.rowcount:
        return 0
    db.session.refresh(match)
    assert programme.ends_on is not None
    audit.record("match.end_notice_sent", "match", match.id, ends_on=programme.ends_on.isoformat())
    for user_id in user_ids(match):
        notify(
            user_id,
            "match.end_notice",
            _l("%(p)s is coming to an end", p=programme.title),
            _l(
                "The programme ends on %(d)s and your match closes then. Plan a last meeting, and "
                "write a few words about what you take away.",
                d=timezones.day_text(programme.ends_on),
            ),
            link=closing_link(programme, match),
        )
    return 1


# -- what the pages show -------------------------------------------------------------------------


def state(access: MatchAccess) -> dict[str, Any]:
    """A match's life as its members and coordinators see it: planned length, closing, writings."""
    match = access.match
    proposer = next(
        (p for p in [access.mentor, *access.mentees] if p.id == match.closure_proposed_by_id), None
    )
    mine = access.me is not None and proposer is not None and _same_side(access, proposer.id)
    writings = [dump(row) for row in of_match(match.id)]
    return {
        "match_id": match.id,
        "status": match.status.value,
        "end_reason": match.end_reason.value if match.end_reason else None,
        "completed": match.status is MatchStatus.ENDED and match.end_reason in COMPLETING,
        "started_at": match.started_at,
        "ended_at": match.ended_at,
        **summary(access.programme, match),
        "closure": {
            "proposed_by": proposer.user.display_name if proposer else None,
            "proposed_at": match.closure_proposed_at,
            "reason": match.closure_reason.value if match.closure_reason else None,
            "reason_label": str(CLOSURE_REASON_LABELS[match.closure_reason])
            if match.closure_reason
            else None,
            "mine": mine,
            "can_confirm": access.is_member and proposer is not None and not mine,
        },
        "checkins": [w for w in writings if w["kind"] == ReflectionKind.MIDPOINT.value],
        "reflections": [w for w in writings if w["kind"] == ReflectionKind.CLOSING.value],
    }
