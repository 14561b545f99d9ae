"""The early signals of every live pair of a programme, read from the features' own tables in a few
aggregate queries (never one query per pair): meetings held, planned, cancelled or missed; goal,
note and milestone updates; webinar attendance; each member's last launch (``User.last_seen_at``,
which every launch refreshes); overdue milestones. The writing is folded in by ``writing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.mentoring.goals.models import Goal, GoalNote, Milestone, MilestoneCompletion
from lti_tool.mentoring.matching.models import Match, MatchMentee
from lti_tool.mentoring.matching.statuses import CONFIRMED
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus
from lti_tool.mentoring.programmes.models import Participant
from lti_tool.mentoring.webinars.models import WebinarRegistration

#: How far back meetings and updates are read: older ones only say "longer ago than this".
HORIZON = timedelta(days=90)
#: Cancellations and missed meetings count within this window.
TROUBLE_WINDOW = timedelta(days=42)


@dataclass
class OverdueMilestone:
    title: str
    due: date
    participant_id: int


@dataclass
class PairSignals:
    match_id: int
    started_at: datetime | None
    mentor_user_id: int
    mentee_user_ids: list[int]
    mentee_participant_ids: list[int]
    mentor_participant_id: int
    last_met_at: datetime | None = None
    meeting_planned: bool = False
    # The earliest a meeting threshold can be crossed despite the plan (``schedule.next_check``).
    planned_until: datetime | None = None
    troubled_meetings: int = 0
    last_written_at: datetime | None = None
    last_writer_user_id: int | None = None
    awaiting_reply_since: datetime | None = None
    last_goal_at: datetime | None = None
    last_webinar_at: datetime | None = None
    last_seen: dict[int, datetime | None] = field(default_factory=dict)
    overdue: list[OverdueMilestone] = field(default_factory=list)
    # The next day a milestone of this pair becomes overdue.
    next_due: date | None = None

    @property
    def member_user_ids(self) -> list[int]:
        return [self.mentor_user_id, *self.mentee_user_ids]

    @property
    def last_activity_at(self) -> datetime | None:
        times = [
            t for t in (self.last_met_at, self.last_written_at, self.last_goal_at, self.last_webinar_at) if t
        ]
        return max(times) if times else None


def live_pairs(programme_id: int, scope: Any = None) -> dict[int, PairSignals]:
    """The programme's confirmed matches (or those of ``scope``: match ids, a list or a SELECT)
    with their people: two queries."""
    where = [Match.programme_id == programme_id, Match.status.in_(list(CONFIRMED))]
    if scope is not None:
        where.append(Match.id.in_(scope))
    pairs: dict[int, PairSignals] = {}
    started = sa.func.coalesce(Match.started_at, Match.created_at, type_=Match.started_at.type)
    for match_id, started_at, mentor_pid, mentor_uid in db.session.execute(
        sa.select(Match.id, started, Participant.id, Participant.user_id)
        .join(Participant, Participant.id == Match.mentor_id)
        .where(*where)
    ):
        pairs[match_id] = PairSignals(match_id, started_at, mentor_uid, [], [], mentor_pid)
    for match_id, pid, uid in db.session.execute(
        sa.select(MatchMentee.match_id, Participant.id, Participant.user_id)
        .join(Participant, Participant.id == MatchMentee.mentee_id)
        .join(Match, Match.id == MatchMentee.match_id)
        .where(*where)
        .order_by(MatchMentee.match_id, Participant.user_id)
    ):
        pairs[match_id].mentee_user_ids.append(uid)
        pairs[match_id].mentee_participant_ids.append(pid)
    return pairs


def collect(
    programme_id: int, pairs: dict[int, PairSignals], now: datetime, meet_days: int, scope: Any = None
) -> None:
    """Fill every pair's signals as of ``now`` (writing: :func:`fold_writing`)."""
    if not pairs:
        return
    within = live_matches(programme_id) if scope is None else scope
    _meetings(programme_id, pairs, now, meet_days, within)
    _goals(pairs, now, live_matches(programme_id))
    by_participant = {
        pid: p for p in pairs.values() for pid in (p.mentor_participant_id, *p.mentee_participant_ids)
    }
    _webinars(programme_id, by_participant, now)
    _last_seen(pairs, within)
    _overdue(programme_id, pairs, now)


def _meetings(
    programme_id: int, pairs: dict[int, PairSignals], now: datetime, meet_days: int, within: Any
) -> None:
    horizon, trouble_from = now - HORIZON, now - TROUBLE_WINDOW
    fresh_proposal = now - timedelta(days=meet_days)
    held = sa.and_(
        Meeting.status.in_([MeetingStatus.HELD, MeetingStatus.CONFIRMED]), Meeting.starts_at <= now
    )
    upcoming = sa.and_(Meeting.status == MeetingStatus.CONFIRMED, Meeting.starts_at > now)
    proposed = sa.and_(Meeting.status == MeetingStatus.PROPOSED, Meeting.created_at >= fresh_proposal)
    trouble = sa.or_(
        sa.and_(Meeting.status == MeetingStatus.CANCELLED, Meeting.cancelled_at >= trouble_from),
        sa.and_(Meeting.status == MeetingStatus.MISSED, Meeting.starts_at >= trouble_from),
    )
    rows = db.session.execute(
        sa.select(
            Meeting.match_id,
            sa.func.max(sa.case((held, Meeting.starts_at))),
            sa.func.min(sa.case((upcoming, Meeting.starts_at))),
            sa.func.min(sa.case((proposed, Meeting.created_at))),
            sa.func.sum(sa.case((trouble, 1), else_=0)),
        )
        .where(
            Meeting.programme_id == programme_id,
            Meeting.match_id.in_(within),
            Meeting.created_at <= now,
            sa.or_(
                Meeting.starts_at >= horizon,
                sa.and_(Meeting.starts_at.is_(None), Meeting.created_at >= horizon),
            ),
        )
        .group_by(Meeting.match_id)
    )
    for match_id, last_met, next_start, oldest_proposal, troubles in rows:
        pair = pairs.get(match_id)
        if pair is None:
            continue
        pair.last_met_at, pair.troubled_meetings = last_met, troubles or 0
        # A confirmed meeting holds the cadence until a meeting interval after it; a proposal
        # until it goes stale.
        ends = [next_start + timedelta(days=meet_days)] if next_start else []
        if oldest_proposal is not None:
            ends.append(oldest_proposal + timedelta(days=meet_days))
        pair.meeting_planned = bool(ends)
        pair.planned_until = min(ends) if ends else None


def _goals(pairs: dict[int, PairSignals], now: datetime, within: Any) -> None:
    span = (now - HORIZON, now)
    if not _any_goal_activity(within, span):
        return  # many programmes set no goals: three queries saved every day
    queries = (
        sa.select(Goal.match_id, sa.func.max(Goal.updated_at))
        .where(Goal.match_id.in_(within), Goal.updated_at.between(*span))
        .group_by(Goal.match_id),
        sa.select(Goal.match_id, sa.func.max(GoalNote.created_at))
        .join(Goal, Goal.id == GoalNote.goal_id)
        .where(Goal.match_id.in_(within), GoalNote.created_at.between(*span))
        .group_by(Goal.match_id),
        sa.select(MilestoneCompletion.match_id, sa.func.max(MilestoneCompletion.marked_at))
        .where(MilestoneCompletion.match_id.in_(within), MilestoneCompletion.marked_at.between(*span))
        .group_by(MilestoneCompletion.match_id),
    )
    for query in queries:
        for match_id, at in db.session.execute(query):
            pair = pairs.get(match_id or 0)
            if pair is not None and at is not None and (pair.last_goal_at is None or at > pair.last_goal_at):
                pair.last_goal_at = at


def _any_goal_activity(within: Any, span: tuple[datetime, datetime]) -> bool:
    goals = sa.select(Goal.id).where(Goal.match_id.in_(within), Goal.updated_at.between(*span))
    notes = (
        sa.select(GoalNote.id)
        .join(Goal, Goal.id == GoalNote.goal_id)
        .where(Goal.match_id.in_(within), GoalNote.created_at.between(*span))
    )
    done = sa.select(MilestoneCompletion.id).where(
        MilestoneCompletion.match_id.in_(within), MilestoneCompletion.marked_at.between(*span)
    )
    found = sa.select(sa.or_(sa.exists(goals), sa.exists(notes), sa.exists(done)))
    return bool(db.session.execute(found).scalar_one())


def live_matches(programme_id: int) -> sa.Select[Any]:
    """The ids of the programme's confirmed matches, as a SELECT."""
    return sa.select(Match.id).where(Match.programme_id == programme_id, Match.status.in_(list(CONFIRMED)))


def _webinars(programme_id: int, by_participant: dict[int, PairSignals], now: datetime) -> None:
    rows = db.session.execute(
        sa.select(WebinarRegistration.participant_id, sa.func.max(WebinarRegistration.attended_at))
        .join(Participant, Participant.id == WebinarRegistration.participant_id)
        .where(
            Participant.programme_id == programme_id,
            WebinarRegistration.attended_at.between(now - HORIZON, now),
        )
        .group_by(WebinarRegistration.participant_id)
    )
    for participant_id, at in rows:
        pair = by_participant.get(participant_id)
        if (
            pair is not None
            and at is not None
            and (pair.last_webinar_at is None or at > pair.last_webinar_at)
        ):
            pair.last_webinar_at = at


def _last_seen(pairs: dict[int, PairSignals], within: Any) -> None:
    people = sa.union(
        sa.select(Match.mentor_id).where(Match.id.in_(within)),
        sa.select(MatchMentee.mentee_id).where(MatchMentee.match_id.in_(within)),
    )
    seen: dict[int, datetime | None] = dict(
        db.session.execute(
            sa.select(User.id, User.last_seen_at)
            .join(Participant, Participant.user_id == User.id)
            .where(Participant.id.in_(people))
        ).all()
    )
    for pair in pairs.values():
        pair.last_seen = {uid: seen.get(uid) for uid in pair.member_user_ids}


def _overdue(programme_id: int, pairs: dict[int, PairSignals], now: datetime) -> None:
    milestones = list(
        db.session.execute(
            sa.select(Milestone.id, Milestone.title, Milestone.due_on, Milestone.due_offset_days).where(
                Milestone.programme_id == programme_id,
                sa.or_(Milestone.due_on.is_not(None), Milestone.due_offset_days.is_not(None)),
            )
        )
    )
    if not milestones:
        return
    done: set[tuple[int, int]] = set(
        db.session.execute(
            sa.select(MilestoneCompletion.milestone_id, MilestoneCompletion.participant_id).where(
                MilestoneCompletion.milestone_id.in_([m.id for m in milestones])
            )
        ).all()
    )
    today = now.date()
    for pair in pairs.values():
        for milestone_id, title, due_on, offset in milestones:
            due = due_on
            if due is None and pair.started_at is not None and offset is not None:
                due = (pair.started_at + timedelta(days=offset)).date()
            if due is None:
                continue
            for pid in pair.mentee_participant_ids:
                if (milestone_id, pid) in done:
                    continue
                if due < today:
                    pair.overdue.append(OverdueMilestone(title, due, pid))
                elif pair.next_due is None or due < pair.next_due:
                    pair.next_due = due
