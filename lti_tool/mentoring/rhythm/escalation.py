"""The daily rhythm run: evaluate every live pair, remember its state, and escalate a pair's
trouble one step at a time: first both members (one concrete next step each), then the mentor,
then the coordinators (the pair joins the attention list "pairs at risk").

Nudges go through ``nudges.service.send_nudge`` (the weekly limit across kinds, the person's
language, preferences and quiet hours). A dedupe key names the pair, the episode (when its current
trouble began) and the step, so the same situation is never nudged twice; a pair that recovers
ends its episode and starts from the pair again next time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.events import DomainEvent, emit
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.matching.statuses import CONFIRMED
from lti_tool.mentoring.nudges.service import send_nudge
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.rhythm import pair_rows
from lti_tool.mentoring.rhythm.health import Health, HealthState, Reason, evaluate_rows
from lti_tool.mentoring.rhythm.pair_rows import PairRow

TASK = "rhythm.daily"
TROUBLE = (HealthState.QUIET, HealthState.AT_RISK)
#: Days between two escalation steps while the trouble lasts.
STEP_AFTER = timedelta(days=4)


@dataclass
class RunStats:
    pairs: int = 0
    nudges: int = 0
    escalated_to_coordinator: int = 0


def daily_task(payload: dict[str, Any]) -> None:
    """The periodic job: every programme with live pairs, one transaction each."""
    now = utcnow()
    ids = db.session.execute(
        sa.select(Match.programme_id).where(Match.status.in_(list(CONFIRMED))).distinct()
    ).scalars()
    for programme_id in list(ids):
        run_programme(db.session.get_one(Programme, programme_id), now)
        db.session.commit()


def run_programme(programme: Programme, now: datetime) -> RunStats:
    """Evaluate the programme's pairs as of ``now``, store their states and send the nudges due.
    The caller commits."""
    stats = RunStats()
    evaluated = evaluate_rows(programme, now, due_only=True)
    for health, row in evaluated:
        stats.pairs += 1
        entered_risk = health.state is HealthState.AT_RISK and row.state != health.state.value
        _remember(row, health, now)
        if entered_risk:
            emit(DomainEvent("pair.at_risk", programme.id, match_id=row.match_id, at=now,
                             data={"reasons": [r.code for r in health.signals]}))
    rows = {row.match_id: row for _health, row in evaluated}
    pair_rows.save(rows)  # the states first: the nudges' own statements then flush nothing else
    due = [
        (health, row)
        for health, row in evaluated
        if health.state in TROUBLE and (row.escalated_at is None or now - row.escalated_at >= STEP_AFTER)
    ]
    names = _names([uid for health, _row in due if health.pair for uid in health.pair.member_user_ids])
    for health, row in due:
        stats.nudges += _escalate(programme, row, health, now, names, stats)
    pair_rows.save(rows)
    return stats


def _remember(row: PairRow, health: Health, now: datetime) -> None:
    """Change only what changed: most pairs are on track and stay so, day after day."""
    reasons = [{"code": r.code, "severity": r.severity, "params": r.params} for r in health.signals]
    if row.state != health.state.value:
        row.set(state=health.state.value, state_since=now)
    row.set(reasons=reasons)
    if health.state in TROUBLE:
        if row.episode_since is None:
            row.set(episode_since=now, escalation=0, escalated_at=None)
    elif row.episode_since is not None:
        row.set(episode_since=None, escalation=0, escalated_at=None)
    if row.changed:
        row.set(evaluated_at=now)
    row.set(next_check_at=health.next_check)


def _escalate(
    programme: Programme,
    row: PairRow,
    health: Health,
    now: datetime,
    names: dict[int, str],
    stats: RunStats,
) -> int:
    pair = health.pair
    assert pair is not None and row.episode_since is not None
    episode = f"rhythm:{row.match_id}:{row.episode_since:%Y%m%d%H%M}"
    sent = 0
    if row.escalation == 0:
        for user_id in pair.member_user_ids:
            sent += _nudge_member(programme, row.match_id, user_id, health, names, f"{episode}:pair", now)
        row.set(escalation=1)
    elif row.escalation == 1:
        mentees = ", ".join(names.get(u, "") for u in pair.mentee_user_ids)
        days = max(1, int((now - (pair.last_activity_at or row.episode_since)).total_seconds() // 86400))
        sent += _send(
            programme,
            row.match_id,
            pair.mentor_user_id,
            "rhythm.escalated",
            f"{episode}:mentor",
            now,
            _l("Your mentoring pair needs you"),
            _l(
                "You and %(names)s have been quiet for %(days)d days. A short message or a meeting "
                "proposal from you is often all it takes to restart.",
                names=mentees,
                days=days,
            ),
            _l("Propose a meeting"),
            f"/matches/{row.match_id}/meetings",
        )
        row.set(escalation=2)
    elif row.escalation == 2 and health.state is HealthState.AT_RISK:
        row.set(escalation=3)  # the coordinators: the attention list shows it from now on
        stats.escalated_to_coordinator += 1
    else:
        return 0
    row.set(escalated_at=now)
    return sent


def _nudge_member(
    programme: Programme,
    match_id: int,
    user_id: int,
    health: Health,
    names: dict[int, str],
    key: str,
    now: datetime,
) -> int:
    """One concrete next step for this member, chosen from the pair's main reason."""
    reasons = {r.code: r for r in health.signals}
    waiting = reasons.get("unanswered")
    if waiting is not None and waiting.params.get("from") not in (None, user_id):
        return _send(
            programme,
            match_id,
            user_id,
            "rhythm.unanswered",
            key,
            now,
            _l("A message is waiting for your reply"),
            _l(
                "%(name)s wrote to you %(days)d days ago and is waiting for your answer.",
                name=names.get(waiting.params["from"], ""),
                days=waiting.params["days"],
            ),
            _l("Answer the message"),
            f"/matches/{match_id}/space",
        )
    main = health.signals[0] if health.signals else Reason("writing", 2, {"days": 0, "every": 7})
    if main.code == "milestone":
        return _send(
            programme,
            match_id,
            user_id,
            "rhythm.goals",
            key,
            now,
            _l("Your plan has fallen behind"),
            lazy_ngettext(
                "%(num)d milestone of your match is overdue. Update your goals so your partner "
                "and your coordinator know where you are.",
                "%(num)d milestones of your match are overdue. Update your goals so your partner "
                "and your coordinator know where you are.",
                main.params["count"],
            ),
            _l("Update a goal"),
            f"/goals/matches/{match_id}",
        )
    met = reasons.get("meeting")
    if met is not None:
        text = _l(
            "It has been %(days)d days since you last met; your programme suggests meeting every "
            "%(every)d days.",
            days=met.params["days"],
            every=met.params["every"],
        )
    else:
        wrote = reasons.get("writing")
        days = wrote.params["days"] if wrote else 0
        text = _l(
            "Your pair has been quiet for %(days)d days. A meeting is a good way to pick up again.", days=days
        )
    return _send(
        programme,
        match_id,
        user_id,
        "rhythm.quiet",
        key,
        now,
        _l("Time to catch up with your mentoring partner"),
        text,
        _l("Propose a meeting"),
        f"/matches/{match_id}/meetings",
    )


def _send(
    programme: Programme,
    match_id: int,
    user_id: int,
    kind: str,
    key: str,
    now: datetime,
    subject: Any,
    text: Any,
    label: Any,
    link: str,
) -> int:
    nudge = send_nudge(
        programme=programme,
        user_id=user_id,
        kind=kind,
        subject=subject,
        text=text,
        action_label=label,
        action_link=link,
        match_id=match_id,
        dedupe_key=key,
        now=now,
    )
    return 0 if nudge is None else 1


def _names(user_ids: list[int]) -> dict[int, str]:
    """The names of the people nudged today (nudges say who is waiting)."""
    if not user_ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.name).where(User.id.in_(sorted(set(user_ids)))))
    return {uid: name or "" for uid, name in rows}
