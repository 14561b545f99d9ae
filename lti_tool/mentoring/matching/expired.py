"""The attention list's "expired requests": mentees whose last request to a mentor expired when no
other mentor had room, and who still have no mentor and no request waiting.

The coordinators were told when it happened (:func:`.choice.expire_request`); here the mentee stays
on their list until someone acts: assign a mentor by hand (the review page), or ask the next best
mentor with room again (after a mentor got more room or another mentee left).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool.db import db
from lti_tool.errors import Conflict, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.attention.registry import Action, Item, register_source
from lti_tool.mentoring.matching.choice import create_request, pending_request, recommendations
from lti_tool.mentoring.matching.models import MatchRequest, RequestStatus
from lti_tool.mentoring.matching.pool import matched_mentees
from lti_tool.mentoring.matching.statuses import HOLDING_PLACES
from lti_tool.mentoring.programmes.models import Participant, ParticipantStatus, Programme

SOURCE = "expired_requests"


def register() -> None:
    register_source(SOURCE, items, act, label=_l("Mentees whose request expired with no mentor left"))


def _stranded(programme: Programme) -> list[tuple[Participant, MatchRequest]]:
    """Mentees whose latest request expired and who have no mentor and no request waiting."""
    latest = (
        sa.select(sa.func.max(MatchRequest.id))
        .where(MatchRequest.programme_id == programme.id)
        .group_by(MatchRequest.mentee_id)
    )
    rows = db.session.execute(
        sa.select(Participant, MatchRequest)
        .join(MatchRequest, MatchRequest.mentee_id == Participant.id)
        .where(
            MatchRequest.id.in_(latest),
            MatchRequest.status == RequestStatus.EXPIRED,
            Participant.status != ParticipantStatus.WITHDRAWN,
        )
        .order_by(MatchRequest.answered_at, MatchRequest.id)
    ).all()
    placed = matched_mentees(programme.id, HOLDING_PLACES)
    return [(p, r) for p, r in rows if p.id not in placed]


def items(programme: Programme, now: datetime) -> list[Item]:
    assign = f"/programmes/{programme.id}/matching"
    return [
        Item(
            source=SOURCE,
            key=f"mentee:{mentee.id}",
            title=_("%(name)s has no mentor", name=mentee.user.display_name),
            reason=_("Their request expired without an answer and no other mentor had room."),
            since=req.answered_at or req.expires_at,
            severity=2,
            actions=(
                Action("assign", _("Assign a mentor by hand"), url=assign),
                Action("rematch", _("Ask the next best mentor with room")),
            ),
            link=assign,
        )
        for mentee, req in _stranded(programme)
    ]


def act(ctx: LaunchContext, programme: Programme, key: str, action: str, form: Mapping[str, str]) -> str:
    """``rematch``: ask the best mentor who has room now, on the mentee's behalf."""
    mentee = _mentee(programme, key)
    if action != "rematch":
        raise NotFound(_("This action does not exist here."))
    if pending_request(mentee.id) is not None:
        raise Conflict(_("This mentee already has a request waiting for an answer."))
    offers = recommendations(programme, mentee, limit=1)
    if not offers:
        raise Conflict(_("No mentor has room yet: assign one by hand, or give a mentor more room."))
    create_request(
        programme,
        mentee,
        offers[0]["mentor"]["id"],
        offers[0],
        _("Sent by your coordinator after your earlier request expired."),
        actor_user_id=ctx.user_id,
    )
    return _(
        "%(mentor)s was asked to mentor %(mentee)s.",
        mentor=offers[0]["mentor"]["name"],
        mentee=mentee.user.display_name,
    )


def _mentee(programme: Programme, key: str) -> Participant:
    stranded = {f"mentee:{p.id}": p for p, _r in _stranded(programme)}
    if key not in stranded:
        raise NotFound(_("This mentee has a mentor or a request again; reload the list."))
    return stranded[key]
