"""When to look at a pair again, and which pairs the daily run looks at today.

Most pairs keep their rhythm and stay on track for days: re-reading them every day would cost the
run most of its time. Every threshold of :mod:`health` is a time measured from something stored
(the last message, the last meeting, a message waiting, a launch, a due date), so the next time a
pair's state can change without new activity is known: ``PairRhythm.next_check_at``. New activity
only improves an on-track pair, except a meeting cancelled or missed, a cadence changed or a
milestone added or moved: those make their pairs (or all pairs) due at once. Pairs not on track are
looked at every day (their reasons count days, and their escalation goes on).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.goals.models import Milestone
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.matching.statuses import CONFIRMED
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus
from lti_tool.mentoring.rhythm.cadence import Rhythm
from lti_tool.mentoring.rhythm.models import Cadence, PairRhythm, RhythmScan
from lti_tool.mentoring.rhythm.signals import PairSignals

#: An on-track pair is looked at again at least this often, whatever its thresholds say.
MAX_GAP = timedelta(days=28)


def next_check(
    pair: PairSignals,
    rhythm: Rhythm,
    now: datetime,
    *,
    early: float,
    meet_quiet: float,
    overdue_quiet: timedelta,
    phase_ends: datetime | None = None,
) -> datetime:
    """The earliest time one of the health thresholds is crossed if nothing else happens (but the
    writing ones once the pair has written: :func:`due_today` asks them of the stored row)."""
    write, meet = timedelta(days=rhythm.write_every_days), timedelta(days=rhythm.meet_every_days)
    start = pair.started_at or now
    times = []
    if pair.last_written_at is None:  # once the pair writes, ``due_today`` asks the SQL
        times.extend([start + write * early, start + write, start + write * 2])
    if pair.meeting_planned:
        times.extend([pair.planned_until] if pair.planned_until else [])
    else:
        met = pair.last_met_at or start
        times.extend([met + meet, met + meet * meet_quiet, met + meet * 2])
    for seen in pair.last_seen.values():
        if seen is not None:
            times.extend([seen + write * 2, seen + write * 3])
    if pair.next_due is not None:
        times.append(_day_after(pair.next_due))
    if pair.overdue:
        times.append(_day_after(min(o.due for o in pair.overdue)) + overdue_quiet)
    if pair.troubled_meetings:
        times.append(now + timedelta(days=1))
    if phase_ends is not None:
        times.append(phase_ends)
    return min([t for t in times if t > now] + [now + MAX_GAP])


def _day_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), UTC)


def due_today(
    programme_id: int, scan: RhythmScan, now: datetime, *, early: timedelta, unanswered: timedelta
) -> Any:
    """The live matches the daily run must look at now, as a SELECT of match ids (None: all).

    The writing thresholds are asked here rather than stored: writing moves them every day, and
    only later. ``early`` and ``unanswered`` are the first writing and waiting thresholds of the
    programme's shortest writing interval (a pair in a slower phase is looked at a little early).
    """
    last_run = scan.evaluated_at
    if last_run is None or _rules_changed(programme_id, last_run):
        return None
    stored = sa.select(PairRhythm.match_id).where(PairRhythm.programme_id == programme_id)
    due = stored.where(
        sa.or_(
            PairRhythm.state != "on_track",
            PairRhythm.next_check_at.is_(None),
            PairRhythm.next_check_at <= now,
            PairRhythm.last_written_at <= now - early,
            PairRhythm.awaiting_reply_since <= now - unanswered,
        )
    )
    # What can only worsen a pair: a meeting cancelled, missed, or moved (a confirmed meeting
    # changed after it was made: it may now be later than the plan the pair was checked against).
    troubled = sa.select(Meeting.match_id).where(
        Meeting.programme_id == programme_id,
        sa.or_(
            Meeting.cancelled_at > last_run,
            sa.and_(Meeting.status == MeetingStatus.MISSED, Meeting.updated_at > last_run),
            sa.and_(
                Meeting.status == MeetingStatus.CONFIRMED,
                Meeting.updated_at > last_run,
                Meeting.created_at <= last_run,
            ),
        ),
    )
    return sa.select(Match.id).where(
        Match.programme_id == programme_id,
        Match.status.in_(list(CONFIRMED)),
        sa.or_(Match.id.in_(due), Match.id.not_in(stored), Match.id.in_(troubled)),
    )


def _rules_changed(programme_id: int, since: datetime) -> bool:
    """The cadence or a milestone changed since the last run: every pair is due."""
    cadence = sa.select(Cadence.programme_id).where(
        Cadence.programme_id == programme_id, Cadence.updated_at > since
    )
    milestones = sa.select(Milestone.id).where(
        Milestone.programme_id == programme_id,
        sa.or_(Milestone.updated_at > since, Milestone.created_at > since),
    )
    return db.session.execute(sa.select(sa.or_(sa.exists(cadence), sa.exists(milestones)))).scalar_one()
