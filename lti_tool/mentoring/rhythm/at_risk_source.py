"""The attention source "pairs_at_risk": pairs whose trouble reached the coordinators (the third
escalation step of the daily run), with what a coordinator can do: message the pair, open the
matching page to end it or rematch, or mark it followed up (hidden for a week)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool import audit
from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.attention.registry import Action, Item, register_source
from lti_tool.mentoring.matching.models import Match, MatchMentee
from lti_tool.mentoring.matching.statuses import CONFIRMED
from lti_tool.mentoring.programmes.models import Participant, Programme
from lti_tool.mentoring.rhythm.health import HealthState, Reason
from lti_tool.mentoring.rhythm.models import PairRhythm

NAME = "pairs_at_risk"
FOLLOW_UP_FOR = timedelta(days=7)
#: The escalation step at which a pair is the coordinators' to see.
COORDINATOR_STEP = 3


def items(programme: Programme, now: datetime) -> list[Item]:
    rows = (
        db.session.execute(
            sa.select(PairRhythm)
            .join(Match, Match.id == PairRhythm.match_id)
            .where(
                PairRhythm.programme_id == programme.id,
                PairRhythm.escalation >= COORDINATOR_STEP,
                PairRhythm.state.in_([HealthState.QUIET.value, HealthState.AT_RISK.value]),
                Match.status.in_(list(CONFIRMED)),
                sa.or_(PairRhythm.followed_up_until.is_(None), PairRhythm.followed_up_until <= now),
            )
            .order_by(PairRhythm.episode_since, PairRhythm.match_id)
        )
        .scalars()
        .all()
    )
    names = _names([r.match_id for r in rows])
    return [_item(programme, row, names.get(row.match_id, "")) for row in rows]


def _item(programme: Programme, row: PairRhythm, names: str) -> Item:
    reasons = [Reason(r["code"], r["severity"], r.get("params") or {}).text() for r in row.reasons or []]
    matching = f"/programmes/{programme.id}/matching#match-{row.match_id}"
    return Item(
        source=NAME,
        key=f"match:{row.match_id}",
        title=_("Pair at risk: %(names)s", names=names),
        reason=" ".join(reasons) or _("The pair has gone quiet."),
        since=row.episode_since or row.state_since,
        severity=2 if row.state == HealthState.AT_RISK.value else 1,
        actions=(
            Action("message", _("Message the pair"), url=f"/matches/{row.match_id}/space"),
            Action("followed_up", _("Mark as followed up")),
            Action("rematch", _("Rematch"), url=matching),
            Action("end", _("End the match"), destructive=True, url=matching),
        ),
        link=f"/matches/{row.match_id}/rhythm",
        match_id=row.match_id,
    )


def _names(match_ids: list[int]) -> dict[int, str]:
    if not match_ids:
        return {}
    people: dict[int, list[str]] = {m: [] for m in match_ids}
    mentors = (
        sa.select(Match.id, User.name, sa.literal(0))
        .join(Participant, Participant.id == Match.mentor_id)
        .join(User, User.id == Participant.user_id)
        .where(Match.id.in_(match_ids))
    )
    mentees = (
        sa.select(MatchMentee.match_id, User.name, sa.literal(1))
        .join(Participant, Participant.id == MatchMentee.mentee_id)
        .join(User, User.id == Participant.user_id)
        .where(MatchMentee.match_id.in_(match_ids))
    )
    for match_id, name, _order in db.session.execute(sa.union_all(mentors, mentees).order_by(sa.text("3"))):
        people[match_id].append(name or "?")
    return {m: ", ".join(n) for m, n in people.items()}


def act(ctx: LaunchContext, programme: Programme, key: str, action: str, form: Mapping[str, str]) -> str:
    missing = NotFound(_("This pair is no longer on the list. Reload the attention list."))
    prefix, _sep, raw_id = key.partition(":")
    if prefix != "match" or not raw_id.isdigit() or action != "followed_up":
        raise missing
    row = db.session.get(PairRhythm, int(raw_id))
    if row is None or row.programme_id != programme.id:
        raise missing
    row.followed_up_until = utcnow() + FOLLOW_UP_FOR
    audit.record("rhythm.followed_up", "match", row.match_id, actor_user_id=ctx.user_id)
    return _("Marked as followed up: the pair leaves the list for a week unless it is still at risk then.")


def register() -> None:
    register_source(NAME, items, act, label=_l("Pairs at risk"))
