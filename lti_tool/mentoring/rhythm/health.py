"""Pair health (public: ``pair_health``, ``programme_health``): on track, slowing, quiet or at risk,
from early signals measured against the programme's cadence, each with its reason in words.

Trouble is seen before any fixed inactivity threshold: a cadence interval 70% gone, a message left
waiting, cancellations, an overdue milestone or a partner who stopped opening Ritmo each count as a
"slowing" signal; two of them together make the pair quiet, as does one interval fully missed;
a quiet pair whose signals keep piling up (or two intervals missed) is at risk.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from lti_tool.db import db, with_transaction
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.rhythm import pair_rows, schedule
from lti_tool.mentoring.rhythm.cadence import Rhythm, cadence_for, phase_ends
from lti_tool.mentoring.rhythm.pair_rows import PairRow
from lti_tool.mentoring.rhythm.signals import PairSignals, collect, live_pairs
from lti_tool.mentoring.rhythm.writing import fold_writing


class HealthState(enum.StrEnum):
    ON_TRACK = "on_track"
    SLOWING = "slowing"
    QUIET = "quiet"
    AT_RISK = "at_risk"


SEVERITY = {HealthState.ON_TRACK: 0, HealthState.SLOWING: 1, HealthState.QUIET: 2, HealthState.AT_RISK: 3}
BY_SEVERITY = {v: k for k, v in SEVERITY.items()}
#: A share of a cadence interval gone without it being kept: an early signal.
EARLY_SHARE = 0.7
#: Meeting cadence: one interval and a quarter missed with nothing planned is a quiet signal.
MEET_QUIET_SHARE = 1.25
#: An unanswered message counts after this share of the writing interval (at least two days):
#: with the writing interval 70% gone, it makes a quiet pair quiet (two early signals).
UNANSWERED_SHARE = 0.6
CANCELLATIONS_SLOWING, CANCELLATIONS_QUIET = 2, 3
OVERDUE_QUIET = timedelta(days=14)


def state_label(state: str) -> str:
    return {
        HealthState.ON_TRACK: _("on track"),
        HealthState.SLOWING: _("slowing"),
        HealthState.QUIET: _("quiet"),
        HealthState.AT_RISK: _("at risk"),
    }[HealthState(state)]


@dataclass(frozen=True)
class Reason:
    """One signal: a code, how serious (1 slowing, 2 quiet, 3 at risk) and its numbers."""

    code: str
    severity: int
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        p = self.params
        if self.code == "writing":
            return ngettext(
                "No message for %(num)d day; the programme expects one every %(every)d days.",
                "No message for %(num)d days; the programme expects one every %(every)d days.",
                p["days"],
                every=p["every"],
            )
        if self.code == "meeting":
            return ngettext(
                "No meeting for %(num)d day and none planned; the programme suggests every %(every)d days.",
                "No meeting for %(num)d days and none planned; the programme suggests every %(every)d days.",
                p["days"],
                every=p["every"],
            )
        if self.code == "unanswered":
            return ngettext(
                "A message has waited %(num)d day for a reply.",
                "A message has waited %(num)d days for a reply.",
                p["days"],
            )
        if self.code == "cancelled":
            return _("%(count)d meetings cancelled or missed in the last six weeks.", count=p["count"])
        if self.code == "milestone":
            return ngettext(
                "%(num)d milestone is overdue (the oldest since %(due)s).",
                "%(num)d milestones are overdue (the oldest since %(due)s).",
                p["count"],
                due=p["due"],
            )
        if self.code == "absent":
            return ngettext(
                "%(name)s has not opened Ritmo for %(num)d day.",
                "%(name)s has not opened Ritmo for %(num)d days.",
                p["days"],
                name=p["name"],
            )
        if self.code == "lasting":
            return ngettext(
                "Quiet for %(num)d day despite the reminders.",
                "Quiet for %(num)d days despite the reminders.",
                p["days"],
            )
        extra = _signals.get(self.code)
        return extra.text(self.params) if extra is not None else self.code


# Signals other features add (an extension point: rhythm imports no feature for them) ----------
#: ``reasons(programme_id, now) -> {match_id: [Reason, ...]}`` for the programme's pairs (one query);
#: ``text(params) -> str`` says a reason of that code in the current language.
SignalReasons = Callable[[int, datetime], dict[int, list[Reason]]]


@dataclass(frozen=True)
class Signal:
    code: str
    reasons: SignalReasons
    text: Callable[[dict[str, Any]], str]


_signals: dict[str, Signal] = {}
log = logging.getLogger(__name__)


def register_signal(code: str, reasons: SignalReasons, text: Callable[[dict[str, Any]], str]) -> None:
    """Add (or replace) a signal another feature sees and rhythm cannot (surveys: a low
    relationship-quality answer). Its reasons join the pair's own; the pairs it names are looked at
    by the daily run even when their schedule would skip them. Members' hints never show it."""
    _signals[code] = Signal(code, reasons, text)


def unregister_signal(code: str) -> None:
    _signals.pop(code, None)


def _signal_reasons(programme_id: int, now: datetime) -> dict[int, list[Reason]]:
    """Every registered signal's reasons; a failing signal costs its own reasons only."""
    out: dict[int, list[Reason]] = {}
    if _signals:
        with_transaction()  # savepoints need one (a page may have begun without)
    for signal in list(_signals.values()):
        try:
            with db.session.begin_nested():
                found = signal.reasons(programme_id, now)
        except Exception:  # one broken signal must not stop the pairs' health
            log.exception("rhythm signal %r failed for programme %s", signal.code, programme_id)
            continue
        for match_id, reasons in found.items():
            out.setdefault(match_id, []).extend(reasons)
    return out


# -----------------------------------------------------------------------------------------------


@dataclass
class Health:
    match_id: int
    state: HealthState
    since: datetime
    signals: list[Reason]
    pair: PairSignals | None = None
    # When to look again if nothing happens (``schedule.next_check``).
    next_check: datetime | None = None

    @property
    def reasons(self) -> list[str]:
        """The reasons in words, in the current language, most serious first."""
        return [r.text() for r in self.signals]


def _days(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 86400))


def assess(
    pair: PairSignals,
    rhythm: Rhythm,
    now: datetime,
    *,
    quiet_since: datetime | None = None,
    names: dict[int, str] | None = None,
    extra: list[Reason] | None = None,
) -> tuple[HealthState, list[Reason]]:
    """The pair's state and its reasons. ``quiet_since``: when its current trouble episode began;
    ``extra``: the reasons registered signals gave."""
    reasons: list[Reason] = []
    start = pair.started_at or now
    write_every, meet_every = rhythm.write_every_days, rhythm.meet_every_days
    written = now - (pair.last_written_at or start)
    if written >= timedelta(days=2 * write_every):
        reasons.append(Reason("writing", 3, {"days": _days(written), "every": write_every}))
    elif written >= timedelta(days=write_every):
        reasons.append(Reason("writing", 2, {"days": _days(written), "every": write_every}))
    elif written >= timedelta(days=EARLY_SHARE * write_every):
        reasons.append(Reason("writing", 1, {"days": _days(written), "every": write_every}))
    met = now - (pair.last_met_at or start)
    if not pair.meeting_planned:
        level = (
            3
            if met >= timedelta(days=2 * meet_every)
            else 2
            if met >= timedelta(days=MEET_QUIET_SHARE * meet_every)
            else 1
            if met >= timedelta(days=meet_every)
            else 0
        )
        if level:
            reasons.append(Reason("meeting", level, {"days": _days(met), "every": meet_every}))
    if pair.awaiting_reply_since is not None and len(pair.member_user_ids) > 1:
        waited = now - pair.awaiting_reply_since
        if waited >= timedelta(days=max(2.0, UNANSWERED_SHARE * write_every)):
            level = 2 if waited >= timedelta(days=write_every) else 1
            reasons.append(
                Reason("unanswered", level, {"days": _days(waited), "from": pair.last_writer_user_id})
            )
    if pair.troubled_meetings >= CANCELLATIONS_SLOWING:
        level = 2 if pair.troubled_meetings >= CANCELLATIONS_QUIET else 1
        reasons.append(Reason("cancelled", level, {"count": pair.troubled_meetings}))
    if pair.overdue:
        oldest = min(o.due for o in pair.overdue)
        level = 2 if now.date() - oldest >= OVERDUE_QUIET else 1
        reasons.append(Reason("milestone", level, {"count": len(pair.overdue), "due": oldest.isoformat()}))
    reasons.extend(_absent(pair, write_every, now, names or {}))
    reasons.extend(extra or ())
    state = _state(reasons)
    if (
        state is HealthState.QUIET
        and quiet_since is not None
        and now - quiet_since >= timedelta(days=write_every)
    ):
        reasons.append(Reason("lasting", 3, {"days": _days(now - quiet_since)}))
        state = HealthState.AT_RISK
    reasons.sort(key=lambda r: -r.severity)
    return state, reasons


def _absent(pair: PairSignals, write_every: int, now: datetime, names: dict[int, str]) -> list[Reason]:
    """A member who stopped launching while the pair is expected to write: never-launched people
    (no ``last_seen_at``) are left to the writing signal."""
    out = []
    for uid, seen in pair.last_seen.items():
        if seen is None:
            continue
        away = now - seen
        if away >= timedelta(days=2 * write_every):
            level = 2 if away >= timedelta(days=3 * write_every) else 1
            out.append(
                Reason("absent", level, {"days": _days(away), "user": uid, "name": names.get(uid, "")})
            )
    return out


def _state(reasons: list[Reason]) -> HealthState:
    if not reasons:
        return HealthState.ON_TRACK
    top = max(r.severity for r in reasons)
    serious = sum(1 for r in reasons if r.severity >= 2)
    if top >= 3 or serious >= 3:
        return HealthState.AT_RISK
    if top == 2 or len(reasons) >= 2:
        return HealthState.QUIET
    return HealthState.SLOWING


def evaluate(programme: Programme, now: datetime, match_ids: list[int] | None = None) -> list[Health]:
    """Health of the programme's live pairs (or of ``match_ids``) as of ``now``; folds new writing
    into ``PairRhythm`` (the caller commits) but leaves states and nudges to ``escalation``."""
    return [health for health, _row in evaluate_rows(programme, now, match_ids)]


def evaluate_rows(
    programme: Programme, now: datetime, match_ids: list[int] | None = None, *, due_only: bool = False
) -> list[tuple[Health, PairRow]]:
    """:func:`evaluate` with each pair's stored row. ``due_only`` (the daily run): only the pairs
    whose state may have changed since the last run (``schedule.due_today``)."""
    cadence = cadence_for(programme.id)
    scan = fold_writing(programme.id, now, match_ids)
    scope: Any = match_ids
    if due_only and match_ids is None:
        shortest = min(
            [cadence.write_every_days, *(p.get("write_every_days", 99) for p in cadence.phases.values())]
        )
        scope = schedule.due_today(
            programme.id,
            scan,
            now,
            early=timedelta(days=EARLY_SHARE * shortest),
            unanswered=timedelta(days=max(2.0, UNANSWERED_SHARE * shortest)),
        )
        if scope is not None:  # read once: each query below filters on it
            scope = list(db.session.execute(scope).scalars())
        scan.evaluated_at = now
    extra = _signal_reasons(programme.id, now)
    if due_only and scope is not None and extra:
        scope = sorted(set(scope) | extra.keys())
    pairs = live_pairs(programme.id, scope)
    rows = pair_rows.load(programme.id, scope)
    for match_id in pairs.keys() - rows.keys():
        rows[match_id] = PairRow(match_id=match_id, programme_id=programme.id, state_since=now, new=True)
    longest = max([cadence.meet_every_days, *(p.get("meet_every_days", 0) for p in cadence.phases.values())])
    collect(programme.id, pairs, now, longest, scope)
    out = []
    for match_id, pair in pairs.items():
        row = rows[match_id]
        pair.last_written_at, pair.last_writer_user_id = row.last_written_at, row.last_writer_user_id
        pair.awaiting_reply_since = row.awaiting_reply_since
        rhythm = cadence.for_match(programme, pair.started_at, now)
        state, reasons = assess(pair, rhythm, now, quiet_since=row.episode_since, extra=extra.get(match_id))
        since = row.state_since if row.state == state.value else now
        health = Health(match_id, state, since, reasons, pair)
        health.next_check = schedule.next_check(
            pair,
            rhythm,
            now,
            early=EARLY_SHARE,
            meet_quiet=MEET_QUIET_SHARE,
            overdue_quiet=OVERDUE_QUIET,
            phase_ends=phase_ends(programme, pair.started_at, now) if cadence.phases else None,
        )
        out.append((health, row))
    return out


def programme_health(programme: Programme, now: datetime) -> list[Health]:
    """Every live pair of the programme, worst first."""
    return sorted(evaluate(programme, now), key=lambda h: (-SEVERITY[h.state], h.since, h.match_id))


def pair_health(match_id: int, now: datetime) -> Health | None:
    """One live pair's health (None when the match is not live)."""
    match = db.session.get(Match, match_id)
    if match is None:
        return None
    found = evaluate(db.session.get_one(Programme, match.programme_id), now, [match_id])
    return found[0] if found else None
