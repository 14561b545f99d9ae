"""``PairRhythm`` rows as plain values: the daily run reads every live pair of a programme and
writes back only the pairs that changed, in bulk (tens of thousands of pairs a day, no ORM objects).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.rhythm.models import PairRhythm

TABLE: sa.Table = PairRhythm.__table__  # type: ignore[assignment]


@dataclass(slots=True)
class PairRow:
    match_id: int
    programme_id: int
    state_since: datetime
    last_written_at: datetime | None = None
    last_writer_user_id: int | None = None
    awaiting_reply_since: datetime | None = None
    state: str = "on_track"
    reasons: list[dict[str, Any]] = field(default_factory=list)
    episode_since: datetime | None = None
    escalation: int = 0
    escalated_at: datetime | None = None
    followed_up_until: datetime | None = None
    evaluated_at: datetime | None = None
    next_check_at: datetime | None = None
    new: bool = False
    dirty: bool = False


COLUMNS = tuple(f.name for f in fields(PairRow) if f.name not in ("new", "dirty"))


def load(programme_id: int, scope: Any = None) -> dict[int, PairRow]:
    """The rows of the programme's pairs, or of ``scope`` (match ids: a list or a SELECT)."""
    query = sa.select(*(TABLE.c[name] for name in COLUMNS)).where(TABLE.c.programme_id == programme_id)
    if scope is not None:
        query = query.where(TABLE.c.match_id.in_(scope))
    return {row.match_id: PairRow(**row._mapping) for row in db.session.execute(query)}


def save(rows: dict[int, PairRow]) -> None:
    """Insert the new rows and update the changed ones (two statements, executemany)."""
    new = [_values(r) for r in rows.values() if r.new]
    changed = [{"b_match_id": r.match_id, **_values(r)} for r in rows.values() if r.dirty and not r.new]
    if new:
        db.session.execute(TABLE.insert(), new)
    if changed:
        columns = [name for name in COLUMNS if name != "match_id"]
        statement = (
            TABLE.update()
            .where(TABLE.c.match_id == sa.bindparam("b_match_id"))
            .values({name: sa.bindparam(name) for name in columns})
        )
        db.session.execute(statement, [{k: v for k, v in c.items() if k != "match_id"} for c in changed])
    for row in rows.values():
        row.new = row.dirty = False


def _values(row: PairRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in COLUMNS}
