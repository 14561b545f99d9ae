"""``PairRhythm`` rows as plain values: the daily run reads every live pair of a programme and
writes back only the pairs that changed, in bulk (tens of thousands of pairs a day, no ORM objects).
"""

from __future__ import annotations

from collections import defaultdict
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
    # The columns changed since the row was read (written back by :func:`save`, and only those).
    changed: set[str] = field(default_factory=set)

    def set(self, **values: Any) -> None:
        """Change columns, remembering which ones really changed."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)
                self.changed.add(name)


COLUMNS = tuple(f.name for f in fields(PairRow) if f.name not in ("new", "changed"))


def load(programme_id: int, scope: Any = None) -> dict[int, PairRow]:
    """The rows of the programme's pairs, or of ``scope`` (match ids: a list or a SELECT)."""
    query = sa.select(*(TABLE.c[name] for name in COLUMNS)).where(TABLE.c.programme_id == programme_id)
    if scope is not None:
        query = query.where(TABLE.c.match_id.in_(scope))
    return {row[0]: PairRow(*row) for row in db.session.execute(query)}


def save(rows: dict[int, PairRow]) -> None:
    """Insert the new rows; update, in the changed rows, only the changed columns (one executemany
    per set of columns: most pairs change only when they are looked at next)."""
    new = [_values(r, COLUMNS) for r in rows.values() if r.new]
    if new:
        db.session.execute(TABLE.insert(), new)
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows.values():
        if row.changed and not row.new:
            names = tuple(sorted(row.changed))
            by_columns[names].append({"b_match_id": row.match_id, **_values(row, names)})
    for names, params in by_columns.items():
        statement = (
            TABLE.update()
            .where(TABLE.c.match_id == sa.bindparam("b_match_id"))
            .values({name: sa.bindparam(name) for name in names})
        )
        db.session.execute(statement, params)
    for row in rows.values():
        row.new = False
        row.changed.clear()


def _values(row: PairRow, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}
