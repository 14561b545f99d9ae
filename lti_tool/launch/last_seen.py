"""``User.last_seen_at`` after a launch: noted in the shared cache, written a minute later in bulk.

A launch that reads a person's rows and finds them as the claims say has nothing to write but
``last_seen_at`` (due every ``LAST_SEEN_RESOLUTION``). At scale that lone UPDATE is a fifth of
such a launch's cost, so the launch notes the time in the shared cache instead (:func:`note`),
and a periodic task (:data:`TASK`, every minute) writes every pending note with one statement
per thousand rows (:func:`flush`). The embedded mode's cache keeps no notes: there the launch
writes at once, as it does whenever it writes the person's row anyway.

A note only moves a time that is already there forward: a person never seen has theirs written
by the launch, and an erasure blanks it (``accounts.personal_data``), which a note taken before
must not undo.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from lti_tool.accounts.models import User
from lti_tool.cache import cache
from lti_tool.db import db

TASK = "launch.last_seen"
NOTES_KEY = "launch-last-seen"
BATCH = 1000


def note(user_id: int, seen_at: datetime) -> bool:
    """Note that ``user_id`` launched at ``seen_at``; False when the cache keeps no notes (the
    caller writes the row itself)."""
    return cache().note(NOTES_KEY, str(user_id), seen_at.isoformat())


@functools.cache
def _statement() -> sa.Update:
    seen_at = sa.bindparam("seen_at", type_=User.__table__.c.last_seen_at.type)
    return (
        sa.update(User)
        .where(
            User.id == sa.bindparam("user_id"),
            User.last_seen_at.is_not(None),
            User.last_seen_at < seen_at,
        )
        .values(last_seen_at=seen_at)
    )


def flush() -> int:
    """Write every pending note; returns how many rows moved. Notes that fail to be written are
    put back for the next run (unless noted again since), and the error is raised."""
    notes = cache().take_notes(NOTES_KEY)
    if not notes:
        return 0
    rows = [
        {"user_id": int(user_id), "seen_at": datetime.fromisoformat(at)}
        for user_id, at in notes.items()
    ]
    moved = 0
    try:
        with db.engine.begin() as conn:
            for start in range(0, len(rows), BATCH):
                result = conn.execute(_statement(), rows[start:start + BATCH])
                moved += max(result.rowcount, 0)
    except Exception:
        cache().restore_notes(NOTES_KEY, notes)
        raise
    return moved


def flush_task(payload: dict[str, Any]) -> None:
    """The periodic task (every minute, ``jobs/periodic.py``)."""
    flush()
