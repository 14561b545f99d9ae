"""The early signals of every live pair of a programme, read from the features' own tables in a few
aggregate queries (never one query per pair): meetings held, planned, cancelled or missed; posts and
chat (folded incrementally into ``PairRhythm``); goal, note and milestone updates; webinar attendance;
each member's last launch (``User.last_seen_at``, which every launch refreshes); overdue milestones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.mentoring.conversations.models import ChatMessage, Post
from lti_tool.mentoring.goals.models import Goal, GoalNote, Milestone, MilestoneCompletion
from lti_tool.mentoring.matching.models import Match, MatchMentee
from lti_tool.mentoring.matching.statuses import CONFIRMED
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus
from lti_tool.mentoring.programmes.models import Participant
from lti_tool.mentoring.rhythm.models import PairRhythm, RhythmScan
from lti_tool.mentoring.webinars.models import WebinarRegistration

#: How far back meetings and updates are read: older ones only say "longer ago than this".
HORIZON = timedelta(days=90)
#: Cancellations and missed meetings count within this window.
TROUBLE_WINDOW = timedelta(days=42)
#: Writing committed a little after the last scan with an earlier timestamp is still folded in.
SCAN_OVERLAP = timedelta(minutes=15)


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
    troubled_meetings: int = 0
    last_written_at: datetime | None = None
    last_writer_user_id: int | None = None
    awaiting_reply_since: datetime | None = None
    last_goal_at: datetime | None = None
    last_webinar_at: datetime | None = None
    last_seen: dict[int, datetime | None] = field(default_factory=dict)
    overdue: list[OverdueMilestone] = field(default_factory=list)

    @property
    def member_user_ids(self) -> list[int]:
        return [self.mentor_user_id, *self.mentee_user_ids]

    @property
    def last_activity_at(self) -> datetime | None:
        times = [
            t for t in (self.last_met_at, self.last_written_at, self.last_goal_at, self.last_webinar_at) if t
        ]
        return max(times) if times else None


def live_pairs(programme_id: int, match_ids: list[int] | None = None) -> dict[int, PairSignals]:
    """The programme's confirmed matches with their people: two queries."""
    where = [Match.programme_id == programme_id, Match.status.in_(list(CONFIRMED))]
    if match_ids is not None:
        where.append(Match.id.in_(match_ids))
    pairs: dict[int, PairSignals] = {}
    for match_id, started, created, mentor_pid, mentor_uid in db.session.execute(
        sa.select(Match.id, Match.started_at, Match.created_at, Participant.id, Participant.user_id)
        .join(Participant, Participant.id == Match.mentor_id)
        .where(*where)
    ):
        pairs[match_id] = PairSignals(match_id, started or created, mentor_uid, [], [], mentor_pid)
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


def collect(programme_id: int, pairs: dict[int, PairSignals], now: datetime, meet_days: int) -> None:
    """Fill every pair's signals as of ``now`` (writing: :func:`fold_writing`)."""
    if not pairs:
        return
    _meetings(programme_id, pairs, now, meet_days)
    _goals(pairs, now)
    by_participant = {
        pid: p for p in pairs.values() for pid in (p.mentor_participant_id, *p.mentee_participant_ids)
    }
    _webinars(programme_id, by_participant, now)
    _last_seen(programme_id, pairs)
    _overdue(programme_id, pairs, now)


def _meetings(programme_id: int, pairs: dict[int, PairSignals], now: datetime, meet_days: int) -> None:
    horizon, trouble_from = now - HORIZON, now - TROUBLE_WINDOW
    held = sa.and_(
        Meeting.status.in_([MeetingStatus.HELD, MeetingStatus.CONFIRMED]), Meeting.starts_at <= now
    )
    planned = sa.or_(
        sa.and_(Meeting.status == MeetingStatus.CONFIRMED, Meeting.starts_at > now),
        sa.and_(
            Meeting.status == MeetingStatus.PROPOSED, Meeting.created_at >= now - timedelta(days=meet_days)
        ),
    )
    trouble = sa.or_(
        sa.and_(Meeting.status == MeetingStatus.CANCELLED, Meeting.cancelled_at >= trouble_from),
        sa.and_(Meeting.status == MeetingStatus.MISSED, Meeting.starts_at >= trouble_from),
    )
    rows = db.session.execute(
        sa.select(
            Meeting.match_id,
            sa.func.max(sa.case((held, Meeting.starts_at))),
            sa.func.max(sa.case((planned, 1), else_=0)),
            sa.func.sum(sa.case((trouble, 1), else_=0)),
        )
        .where(
            Meeting.programme_id == programme_id,
            Meeting.created_at <= now,
            sa.or_(
                Meeting.starts_at >= horizon,
                sa.and_(Meeting.starts_at.is_(None), Meeting.created_at >= horizon),
            ),
        )
        .group_by(Meeting.match_id)
    )
    for match_id, last_met, is_planned, troubles in rows:
        pair = pairs.get(match_id)
        if pair is not None:
            pair.last_met_at, pair.meeting_planned, pair.troubled_meetings = (
                last_met,
                bool(is_planned),
                troubles or 0,
            )


def _goals(pairs: dict[int, PairSignals], now: datetime) -> None:
    ids, horizon = list(pairs), now - HORIZON
    queries = (
        sa.select(Goal.match_id, sa.func.max(Goal.updated_at))
        .where(Goal.match_id.in_(ids), Goal.updated_at.between(horizon, now))
        .group_by(Goal.match_id),
        sa.select(Goal.match_id, sa.func.max(GoalNote.created_at))
        .join(Goal, Goal.id == GoalNote.goal_id)
        .where(Goal.match_id.in_(ids), GoalNote.created_at.between(horizon, now))
        .group_by(Goal.match_id),
        sa.select(MilestoneCompletion.match_id, sa.func.max(MilestoneCompletion.marked_at))
        .where(MilestoneCompletion.match_id.in_(ids), MilestoneCompletion.marked_at.between(horizon, now))
        .group_by(MilestoneCompletion.match_id),
    )
    for query in queries:
        for match_id, at in db.session.execute(query):
            pair = pairs[match_id]
            if at is not None and (pair.last_goal_at is None or at > pair.last_goal_at):
                pair.last_goal_at = at


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
        if pair is not None and (pair.last_webinar_at is None or at > pair.last_webinar_at):
            pair.last_webinar_at = at


def _last_seen(programme_id: int, pairs: dict[int, PairSignals]) -> None:
    seen: dict[int, datetime | None] = dict(
        db.session.execute(
            sa.select(User.id, User.last_seen_at)
            .join(Participant, Participant.user_id == User.id)
            .where(Participant.programme_id == programme_id)
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
            if due is None or due >= today:
                continue
            for pid in pair.mentee_participant_ids:
                if (milestone_id, pid) not in done:
                    pair.overdue.append(OverdueMilestone(title, due, pid))


def fold_writing(
    programme_id: int, pairs: dict[int, PairSignals], now: datetime, *, partial: bool = False
) -> dict[int, PairRhythm]:
    """Fold the posts and chat written since the last scan into each pair's ``PairRhythm`` (created
    when missing) and copy the result into ``pairs``. ``partial``: ``pairs`` is not every live pair,
    so only theirs is folded and the watermark stays (folding is idempotent). The caller commits."""
    rows = {
        r.match_id: r
        for r in db.session.execute(
            sa.select(PairRhythm).where(PairRhythm.programme_id == programme_id)
        ).scalars()
    }
    for match_id in pairs.keys() - rows.keys():
        rows[match_id] = PairRhythm(
            match_id=match_id,
            programme_id=programme_id,
            state="on_track",
            state_since=now,
            escalation=0,
            reasons=[],
        )
        db.session.add(rows[match_id])
    scan = db.session.get(RhythmScan, programme_id)
    since = scan.scanned_until - SCAN_OVERLAP if scan else None
    live = sa.select(Match.id).where(Match.programme_id == programme_id, Match.status.in_(list(CONFIRMED)))
    if partial:
        live = live.where(Match.id.in_(list(pairs)))
    written = sa.union_all(
        _written(ChatMessage.match_id, ChatMessage.author_user_id, ChatMessage.created_at, live, since, now),
        _written(Post.match_id, Post.author_user_id, Post.created_at, live, since, now),
    ).subquery()
    members = {p.match_id: set(p.member_user_ids) for p in pairs.values()}
    for match_id, author, at in db.session.execute(sa.select(written).order_by(written.c.at)):
        row = rows.get(match_id)
        if row is None or author not in members.get(match_id, ()):
            continue
        if row.last_written_at is not None and at <= row.last_written_at:
            continue  # already folded (the scans overlap)
        if author != row.last_writer_user_id:
            row.awaiting_reply_since = at
        row.last_written_at, row.last_writer_user_id = at, author
    if partial:
        pass
    elif scan is None:
        db.session.add(RhythmScan(programme_id=programme_id, scanned_until=now))
    elif now > scan.scanned_until:
        scan.scanned_until = now
    for match_id, pair in pairs.items():
        row = rows[match_id]
        pair.last_written_at, pair.last_writer_user_id = row.last_written_at, row.last_writer_user_id
        pair.awaiting_reply_since = row.awaiting_reply_since
    return rows


def _written(
    match_col: sa.ColumnElement[int | None],
    author_col: sa.ColumnElement[int | None],
    at_col: sa.ColumnElement[datetime],
    live: sa.Select[tuple[int]],
    since: datetime | None,
    now: datetime,
) -> sa.Select[tuple[int | None, int | None, datetime]]:
    where = [match_col.in_(live), at_col <= now]
    if since is not None:
        where.append(at_col > since)
    return sa.select(match_col.label("match_id"), author_col.label("author"), at_col.label("at")).where(
        *where
    )
