"""Mentee choice: recommended mentors, a mentee's request to one, the mentor's answer, expiry.

In a mentee-choice programme a mentee asks one of their best recommended mentors at a time; the
mentor answers before the programme's deadline or the request expires and Ritmo asks the next best
mentor with room. A mentor may also pause their availability for new mentees.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool import audit, timezones
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, Forbidden, InvalidInput, NotFound
from lti_tool.i18n import language_of
from lti_tool.identity.context import LaunchContext
from lti_tool.jobs import enqueue
from lti_tool.jobs.registry import RetryLater
from lti_tool.mentoring.matching import problem as build
from lti_tool.mentoring.matching.lifecycle import activate
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchRequest, MatchStatus, RequestStatus
from lti_tool.mentoring.matching.pool import (
    capacity_of,
    forbidden_pairs,
    load_pool,
    matched_mentees,
    mentor_load,
)
from lti_tool.mentoring.matching.statuses import HOLDING_PLACES
from lti_tool.mentoring.profiles import service as profiles
from lti_tool.mentoring.programmes.models import (
    MatchingMode,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Programme,
)
from lti_tool.notifications.service import notify

EXPIRE_TASK = "matching.expire_request"
#: Default hours a mentor has to answer a mentee's request (``settings["request_deadline_hours"]``).
DEFAULT_REQUEST_DEADLINE_HOURS = 72
RECOMMENDATIONS = 3


def request_deadline(programme: Programme) -> timedelta:
    hours = int((programme.settings or {}).get("request_deadline_hours") or DEFAULT_REQUEST_DEADLINE_HOURS)
    return timedelta(hours=hours)


def _require_choice_mode(programme: Programme) -> None:
    if programme.matching_mode is not MatchingMode.MENTEE_CHOICE:
        raise Conflict(_("In this programme the coordinator proposes matches; mentees do not choose."))


def recommendations(
    programme: Programme, mentee: Participant, limit: int = RECOMMENDATIONS
) -> list[dict[str, Any]]:
    """The best mentors with room for a mentee, best first, each with the reasons."""
    if mentee.role is not ParticipantRole.MENTEE:
        raise Forbidden(_("Only mentees get mentor recommendations."))
    asked = set(
        db.session.execute(
            sa.select(MatchRequest.mentor_id).where(MatchRequest.mentee_id == mentee.id)
        ).scalars()
    )
    pool = load_pool(programme, mentee_ids=[mentee.id], keep_proposals=True, include_matched=True)
    if not pool.built.mentee_ids or not pool.built.mentor_ids:
        return []
    if mentee.id in pool.blocked:
        raise Conflict(_("You cannot choose a mentor yet: %(r)s.", r=pool.blocked[mentee.id]))
    j = np.arange(len(pool.built.mentor_ids))
    scores, ok = pool.built.model.evaluate(np.zeros_like(j), j)
    forbidden = {b for a, b in forbidden_pairs(programme.id) if a == mentee.id}
    candidates = [
        int(k)
        for k in np.argsort(-scores, kind="stable")
        if ok[k]
        and pool.built.mentor_ids[k] not in asked
        and pool.built.mentor_ids[k] not in forbidden
        and pool.room.get(pool.built.mentor_ids[k], 0) > 0
        and pool.built.mentor_ids[k] not in pool.blocked
    ][:limit]
    explanations = build.explain_pairs(pool.built, [0] * len(candidates), candidates)
    return [
        {
            "mentor": {
                "id": pool.built.mentor_ids[k],
                "name": pool.mentors[pool.built.mentor_ids[k]].user.display_name,
            },
            "score": e["score"],
            "explanation": e,
            "room": pool.room[pool.built.mentor_ids[k]],
        }
        for k, e in zip(candidates, explanations, strict=True)
    ]


def pending_request(mentee_id: int) -> MatchRequest | None:
    """The mentee's request still waiting for an answer, if any (one at a time)."""
    return db.session.execute(
        sa.select(MatchRequest).where(
            MatchRequest.mentee_id == mentee_id, MatchRequest.status == RequestStatus.PENDING
        )
    ).scalar_one_or_none()


def ask_mentor(
    ctx: LaunchContext | None, programme: Programme, mentee: Participant, mentor_id: int, message: str = ""
) -> MatchRequest:
    """A mentee asks one of their recommended mentors; the mentor has until the deadline to answer."""
    _require_choice_mode(programme)
    if pending_request(mentee.id) is not None:
        raise Conflict(_("You already asked a mentor; wait for their answer or withdraw the request."))
    if mentee.id in matched_mentees(programme.id, HOLDING_PLACES):
        raise Conflict(_("You already have a mentor."))
    offered = {r["mentor"]["id"]: r for r in recommendations(programme, mentee, limit=RECOMMENDATIONS)}
    if mentor_id not in offered:
        raise InvalidInput(errors={"mentor_id": [_("Choose one of the mentors recommended to you.")]})
    req = create_request(
        programme, mentee, mentor_id, offered[mentor_id], message, actor_user_id=ctx.user_id if ctx else None
    )
    db.session.commit()
    return req


def create_request(
    programme: Programme,
    mentee: Participant,
    mentor_id: int,
    offer: dict[str, Any],
    message: str,
    *,
    actor_user_id: int | None,
) -> MatchRequest:
    """Ask ``mentor_id`` on the mentee's behalf and schedule the expiry; the caller commits."""
    expires = utcnow() + request_deadline(programme)
    req = MatchRequest(
        programme_id=programme.id,
        mentee_id=mentee.id,
        mentor_id=mentor_id,
        score=offer["score"],
        explanation=offer["explanation"],
        message=profiles._clean_text(message)[:2000],
        expires_at=expires,
    )
    db.session.add(req)
    db.session.flush()
    enqueue(EXPIRE_TASK, {"request_id": req.id}, run_at=expires, dedupe_key=f"match-request-expire:{req.id}")
    audit.record(
        "match_request.created",
        "match_request",
        req.id,
        actor_user_id=actor_user_id,
        mentee_id=mentee.id,
        mentor_id=mentor_id,
    )
    mentor = db.session.get(Participant, mentor_id)
    assert mentor is not None
    when = timezones.moment_text(
        expires,
        timezones.reader_zone_name(mentor.user.timezone, None, programme.timezone),
        locale=language_of(mentor.user.locale),
    )
    notify(
        mentor.user_id,
        "match.requested",
        _l("A mentee asks you to mentor them in %(p)s", p=programme.title),
        _l(
            "%(name)s would like you as their mentor. Answer before %(when)s, or the request expires.",
            name=mentee.user.display_name,
            when=when,
        ),
        link=f"/programmes/{programme.id}/requests",
    )
    return req


def get_request(programme: Programme, request_id: int) -> MatchRequest:
    req = db.session.get(MatchRequest, request_id)
    if req is None or req.programme_id != programme.id:
        raise NotFound(_("This request does not exist."))
    return req


def answer_request(
    ctx: LaunchContext, programme: Programme, me: Participant, req: MatchRequest, accept: bool, note: str = ""
) -> MatchRequest:
    """The asked mentor accepts (a match starts, or waits for approval) or declines."""
    if req.mentor_id != me.id:
        raise NotFound(_("This request does not exist."))
    if req.status is not RequestStatus.PENDING:
        raise Conflict(_("This request was already answered or has expired."))
    if accept:
        load = mentor_load(programme.id, HOLDING_PLACES).get(me.id, 0)
        if load >= capacity_of(programme, me):
            raise Conflict(
                _("You have no room for another mentee; decline or ask the coordinator for more capacity.")
            )
    req.status = RequestStatus.ACCEPTED if accept else RequestStatus.DECLINED
    req.answered_at = utcnow()
    audit.record(
        "match_request.accepted" if accept else "match_request.declined",
        "match_request",
        req.id,
        actor_user_id=ctx.user_id,
        note=note,
    )
    if accept:
        match = Match(
            programme_id=programme.id,
            mentor_id=me.id,
            status=MatchStatus.PROPOSED,
            score=req.score,
            explanation={},
        )
        match.members.append(
            MatchMentee(mentee_id=req.mentee_id, score=req.score, explanation=req.explanation)
        )
        db.session.add(match)
        db.session.flush()
        audit.record(
            "match.accepted_request", "match", match.id, actor_user_id=ctx.user_id, request_id=req.id
        )
        if not programme.requires_approval:
            activate(programme, [match.id], actor_user_id=ctx.user_id, why=_("mentor accepted the request"))
    else:
        notify(
            req.mentee.user_id,
            "match.declined",
            _l("Your mentor request in %(p)s", p=programme.title),
            _l(
                "%(name)s cannot take you on. Choose another recommended mentor in Ritmo.",
                name=me.user.display_name,
            ),
            link=f"/programmes/{programme.id}/choose",
        )
    db.session.commit()
    return req


def withdraw_request(ctx: LaunchContext, mentee: Participant, req: MatchRequest) -> MatchRequest:
    if req.mentee_id != mentee.id:
        raise NotFound(_("This request does not exist."))
    if req.status is not RequestStatus.PENDING:
        raise Conflict(_("This request was already answered or has expired."))
    req.status, req.answered_at = RequestStatus.WITHDRAWN, utcnow()
    audit.record("match_request.withdrawn", "match_request", req.id, actor_user_id=ctx.user_id)
    db.session.commit()
    return req


def requests_for(participant: Participant, *, pending_only: bool = False) -> list[MatchRequest]:
    column = MatchRequest.mentor_id if participant.role is ParticipantRole.MENTOR else MatchRequest.mentee_id
    query = sa.select(MatchRequest).where(column == participant.id)
    if pending_only:
        query = query.where(MatchRequest.status == RequestStatus.PENDING)
    return list(db.session.execute(query.order_by(MatchRequest.id.desc()).limit(100)).scalars())


def expire_request(payload: dict[str, Any]) -> None:
    """An unanswered request expires; the mentee is offered the next best mentor with room."""
    req = db.session.get(MatchRequest, int(payload["request_id"]))
    if req is None or req.status is not RequestStatus.PENDING:
        return
    if req.expires_at > utcnow():  # deadline moved: run again then
        raise RetryLater("not yet due", req.expires_at)
    req.status, req.answered_at = RequestStatus.EXPIRED, utcnow()
    audit.record("match_request.expired", "match_request", req.id)
    programme = db.session.get(Programme, req.programme_id)
    mentee = db.session.get(Participant, req.mentee_id)
    assert programme is not None and mentee is not None
    db.session.flush()
    offers = recommendations(programme, mentee, limit=1)
    if offers:
        create_request(
            programme,
            mentee,
            offers[0]["mentor"]["id"],
            offers[0],
            _("Sent automatically after an earlier request expired."),
            actor_user_id=None,
        )
        notify(
            mentee.user_id,
            "match.request_expired",
            _l("Your mentor request in %(p)s", p=programme.title),
            _l(
                "Your request expired without an answer, so Ritmo asked %(name)s, "
                "the next best mentor with room.",
                name=offers[0]["mentor"]["name"],
            ),
            link=f"/programmes/{programme.id}/choose",
        )
    else:
        notify(
            mentee.user_id,
            "match.request_expired",
            _l("Your mentor request in %(p)s", p=programme.title),
            _l(
                "Your request expired without an answer and no other mentor has room now. "
                "Your coordinator has been told."
            ),
            link=f"/programmes/{programme.id}/choose",
        )
        _tell_coordinators(programme, mentee)
    db.session.commit()


def _tell_coordinators(programme: Programme, mentee: Participant) -> None:
    """A mentee has no mentor left to ask: the coordinators hear it (and see it on their attention
    list, :mod:`.expired`)."""
    audit.record("match_request.no_mentor_left", "participant", mentee.id)
    coordinators = db.session.execute(
        sa.select(Participant.user_id).where(
            Participant.programme_id == programme.id,
            Participant.role == ParticipantRole.COORDINATOR,
            Participant.status != ParticipantStatus.WITHDRAWN,
        )
    ).scalars()
    for user_id in list(coordinators):
        notify(
            user_id,
            "match.no_mentor_left",
            _l("A mentee has no mentor left to ask in %(p)s", p=programme.title),
            _l(
                "The request of %(name)s expired and no other mentor has room. Assign a mentor by "
                "hand, or give a mentor more room and ask again.",
                name=mentee.user.display_name,
            ),
            link=f"/programmes/{programme.id}/attention",
        )


def set_paused(ctx: LaunchContext, me: Participant, paused: bool) -> Participant:
    """A mentor pauses (or resumes) their availability for new mentees."""
    if me.role is not ParticipantRole.MENTOR:
        raise Forbidden(_("Only mentors can pause their availability."))
    if me.status is ParticipantStatus.WITHDRAWN:
        raise Conflict(_("You have left this programme."))
    me.status = ParticipantStatus.PAUSED if paused else ParticipantStatus.ACTIVE
    audit.record(
        "participant.paused" if paused else "participant.resumed",
        "participant",
        me.id,
        actor_user_id=ctx.user_id,
    )
    db.session.commit()
    return me
