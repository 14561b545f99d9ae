"""What people read about rhythm: the coordinator's programme overview (counts per state, each pair
with its reasons) and a member's gentle version of their own pair (what to do next, no blame)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.errors import Forbidden
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.matching.access import match_access
from lti_tool.mentoring.programmes.models import Participant, Programme
from lti_tool.mentoring.rhythm.health import Health, HealthState, Reason, pair_health, programme_health
from lti_tool.mentoring.rhythm.models import PairRhythm


@dataclass(frozen=True)
class PairRow:
    match_id: int
    names: str
    state: str
    since: datetime
    reasons: list[str]


@dataclass(frozen=True)
class ProgrammeRhythm:
    counts: dict[str, int]
    pairs: list[PairRow]


@dataclass(frozen=True)
class Hint:
    """One gentle observation for a member, with the one step that helps."""

    text: str
    action_label: str
    link: str


def programme_rhythm(
    ctx: LaunchContext, programme: Programme, now: datetime, state: str | None
) -> ProgrammeRhythm:
    """Every live pair's health now (folding new writing in: committed here)."""
    if not ctx.is_coordinator:
        raise Forbidden()
    healths = programme_health(programme, now)
    db.session.commit()
    counts = Counter(h.state.value for h in healths)
    names = _names(programme.id)
    shown = [h for h in healths if state is None or h.state.value == state]
    rows = [
        PairRow(h.match_id, _pair_names(h, names), h.state.value, h.since, h.reasons)
        for h in shown
        if h.pair is not None
    ]
    return ProgrammeRhythm({s.value: counts.get(s.value, 0) for s in HealthState}, rows)


def pair_view(ctx: LaunchContext, match_id: int, now: datetime) -> tuple[Health | None, list[Hint], bool]:
    """A pair's health for a member (hints only) or a coordinator (the reasons too)."""
    access = match_access(ctx, match_id)
    health = pair_health(match_id, now)
    db.session.commit()
    if health is None:
        return None, [], access.is_coordinator
    return (
        health,
        hints_for(match_id, health.signals, ctx.user_id, _names(access.programme.id)),
        access.is_coordinator,
    )


def stored_hints(match_id: int, user_id: int) -> list[Hint]:
    """The member's hints from the last daily evaluation: one query, for the space page."""
    row = db.session.get(PairRhythm, match_id)
    if row is None or row.state == HealthState.ON_TRACK:
        return []
    reasons = [Reason(r["code"], r["severity"], r.get("params") or {}) for r in row.reasons or []]
    return hints_for(match_id, reasons, user_id, {})


def hints_for(match_id: int, reasons: list[Reason], user_id: int, names: dict[int, str]) -> list[Hint]:
    """Gentle, actionable, never about the partner's absence or the cancellations."""
    hints = []
    by_code = {r.code: r for r in reasons}
    waiting = by_code.get("unanswered")
    if waiting is not None and waiting.params.get("from") not in (None, user_id):
        name = names.get(waiting.params["from"]) or _("your partner")
        hints.append(
            Hint(
                _(
                    "A message from %(name)s has waited %(days)d days for your reply.",
                    name=name,
                    days=waiting.params["days"],
                ),
                _("Answer the message"),
                f"/matches/{match_id}/space",
            )
        )
    met = by_code.get("meeting")
    if met is not None:
        hints.append(
            Hint(
                _(
                    "It has been %(days)d days since you last met; "
                    "your programme suggests every %(every)d days.",
                    days=met.params["days"],
                    every=met.params["every"],
                ),
                _("Propose a meeting"),
                f"/matches/{match_id}/meetings",
            )
        )
    wrote = by_code.get("writing")
    if wrote is not None and waiting is None:
        hints.append(
            Hint(
                _(
                    "You have not written to each other for %(days)d days; "
                    "your programme suggests every %(every)d days.",
                    days=wrote.params["days"],
                    every=wrote.params["every"],
                ),
                _("Write a message"),
                f"/matches/{match_id}/space",
            )
        )
    late = by_code.get("milestone")
    if late is not None:
        hints.append(
            Hint(
                _("Some milestones are past their date (%(count)d).", count=late.params["count"]),
                _("Update a goal"),
                f"/goals/matches/{match_id}",
            )
        )
    return hints


def _names(programme_id: int) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(User.id, User.name)
        .join(Participant, Participant.user_id == User.id)
        .where(Participant.programme_id == programme_id)
    )
    return {uid: name or "" for uid, name in rows}


def _pair_names(health: Health, names: dict[int, str]) -> str:
    assert health.pair is not None
    return _(
        "%(mentor)s with %(mentees)s",
        mentor=names.get(health.pair.mentor_user_id, "?"),
        mentees=", ".join(names.get(u, "?") for u in health.pair.mentee_user_ids),
    )


def health_json(health: Health) -> dict[str, Any]:
    """The health as the API shows it to coordinators (``schemas.RhythmHealthOut``)."""
    return {
        "match_id": health.match_id,
        "state": health.state.value,
        "since": health.since,
        "reasons": health.reasons,
        "codes": [r.code for r in health.signals],
    }
