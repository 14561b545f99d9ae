"""Folding the writing (posts and chat) into each pair's ``PairRhythm``: who wrote last, when, and
since when that person waits for an answer. Incremental: only what was written since the last scan
(the watermark, ``RhythmScan``) is read, and the pairs that wrote are updated in one executemany,
without reading their rows: the new messages alone say the answer, but for a run of messages by the
person who already waited (then the wait keeps its start, which the UPDATE keeps in SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.conversations.models import ChatMessage, Post
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole
from lti_tool.mentoring.rhythm.models import RhythmScan
from lti_tool.mentoring.rhythm.pair_rows import TABLE, PairRow, save
from lti_tool.mentoring.rhythm.signals import live_matches

#: Writing committed a little after the last scan with an earlier timestamp is still folded in.
SCAN_OVERLAP = timedelta(minutes=15)
#: The watermark of a programme whose writing was never scanned as a whole.
SINCE_EVER = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass
class _Run:
    """What one pair's new messages say: the last author, when, and when their final run began."""

    author: int
    at: datetime
    run_start: datetime
    one_run: bool = True  # every new message is by ``author``


def fold_writing(programme_id: int, now: datetime, match_ids: list[int] | None = None) -> RhythmScan:
    """Fold the posts and chat written since the last scan into the ``PairRhythm`` of the pairs that
    wrote (created when missing). With ``match_ids``, only theirs, and the watermark stays (folding
    is idempotent). Returns the programme's scan (its watermark)."""
    scan = db.session.get(RhythmScan, programme_id)
    since = scan.scanned_until - SCAN_OVERLAP if scan else None
    live = live_matches(programme_id)
    if match_ids is not None:
        live = live.where(Match.id.in_(match_ids))
    runs = _runs(programme_id, live, since, now)
    if runs:
        _store(programme_id, runs, now)
    if scan is None:
        scan = RhythmScan(programme_id=programme_id, scanned_until=now if match_ids is None else SINCE_EVER)
        db.session.add(scan)
    elif match_ids is None and now > scan.scanned_until:
        scan.scanned_until = now
    return scan


def _runs(programme_id: int, live: Any, since: datetime | None, now: datetime) -> dict[int, _Run]:
    members = sa.select(Participant.user_id).where(
        Participant.programme_id == programme_id,
        Participant.role.in_([ParticipantRole.MENTOR, ParticipantRole.MENTEE]),
    )
    written = sa.union_all(
        _written(ChatMessage.match_id, ChatMessage.author_user_id, ChatMessage.created_at, live, since, now),
        _written(Post.match_id, Post.author_user_id, Post.created_at, live, since, now),
    ).subquery()
    runs: dict[int, _Run] = {}
    for match_id, author, at in db.session.execute(
        sa.select(written).where(written.c.author.in_(members)).order_by(written.c.at)
    ):
        run = runs.get(match_id)
        if run is None:
            runs[match_id] = _Run(author, at, at)
        elif author == run.author:
            run.at = at
        else:
            runs[match_id] = _Run(author, at, at, one_run=False)
    return runs


def _store(programme_id: int, runs: dict[int, _Run], now: datetime) -> None:
    """Create the missing rows, then update the pairs whose newest message is newer than stored."""
    known = set(
        db.session.execute(sa.select(TABLE.c.match_id).where(TABLE.c.programme_id == programme_id)).scalars()
    )
    save(
        {
            m: PairRow(match_id=m, programme_id=programme_id, state_since=now, new=True)
            for m in runs.keys() - known
        }
    )
    kept = sa.and_(
        sa.bindparam("b_one_run", type_=sa.Boolean()), TABLE.c.last_writer_user_id == sa.bindparam("b_author")
    )
    statement = (
        TABLE.update()
        .where(
            TABLE.c.match_id == sa.bindparam("b_match_id"),
            sa.or_(TABLE.c.last_written_at.is_(None), TABLE.c.last_written_at < sa.bindparam("b_at")),
        )
        .values(
            last_written_at=sa.bindparam("b_at"),
            last_writer_user_id=sa.bindparam("b_author"),
            awaiting_reply_since=sa.case(
                (kept, TABLE.c.awaiting_reply_since), else_=sa.bindparam("b_run_start")
            ),
        )
    )
    db.session.execute(
        statement,
        [
            {
                "b_match_id": m,
                "b_at": r.at,
                "b_author": r.author,
                "b_run_start": r.run_start,
                "b_one_run": r.one_run,
            }
            for m, r in runs.items()
        ],
    )


def _written(
    match_col: Any, author_col: Any, at_col: Any, live: Any, since: datetime | None, now: datetime
) -> Any:
    """Who wrote when in one source (chat or posts) of the live matches, after ``since``."""
    where = [match_col.in_(live), at_col <= now]
    if since is not None:
        where.append(at_col > since)
    return sa.select(match_col.label("match_id"), author_col.label("author"), at_col.label("at")).where(
        *where
    )
