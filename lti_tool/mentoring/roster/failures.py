"""A failed roster sync: shown with the LMS's reason, retried with growing waits, then given up.

The sync job records every failure in ``programme.settings["roster_sync"]`` (what the roster page
and the attention list show: the LMS's own words, how many tries, when the next one runs). A
transient failure (the LMS answering 5xx or 429, a timeout) is tried again after 1, 2, 4 and 8
minutes (longer if the LMS asked, with ``Retry-After``); after ``SYNC_TRIES`` failed tries in a
row, or at once when the LMS refuses for good (401, 403, 404), Ritmo stops and waits for the
coordinator to press "Sync" again. The job itself ends there: ``RetryLater`` counts no attempt,
so the bound is kept here, per programme.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lti_tool import audit
from lti_tool.db import db, utcnow
from lti_tool.lti_services.errors import ServiceError
from lti_tool.mentoring.programmes.models import Programme

#: Failed tries in a row before Ritmo stops retrying a programme's sync.
SYNC_TRIES = 5
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
#: How much of the LMS's answer is kept.
MAX_REASON = 500


def wait_after(tries: int, retry_after: float | None = None) -> timedelta:
    """The wait before the next try: doubling from ``FIRST_WAIT``, at least what the LMS asked,
    at most ``LONGEST_WAIT``."""
    wait = FIRST_WAIT * 2 ** max(0, tries - 1)
    if retry_after:
        wait = max(wait, timedelta(seconds=retry_after))
    return min(wait, LONGEST_WAIT)


def streak(last: dict[str, Any]) -> int:
    """Failed tries in a row so far (a success, or a streak given up, starts again at zero)."""
    if not last.get("error") or last.get("gave_up"):
        return 0
    return int(last.get("tries") or 1)


def record(programme_id: int, error: ServiceError) -> datetime | None:
    """Record a failed sync for the coordinator; returns when to try again, or ``None`` to stop.
    Commits."""
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        return None
    settings = dict(programme.settings or {})
    tries = streak(settings.get("roster_sync") or {}) + 1
    now = utcnow()
    entry: dict[str, Any] = {"at": now.isoformat(), "error": error.message[:MAX_REASON], "tries": tries}
    retry_at = None
    if error.transient and tries < SYNC_TRIES:
        retry_at = now + wait_after(tries, error.retry_after)
        entry["retry_at"] = retry_at.isoformat()
    else:
        entry["gave_up"] = True
    programme.settings = {**settings, "roster_sync": entry}
    audit.record("roster.sync_failed", "programme", programme.id, error=entry["error"], tries=tries)
    db.session.commit()
    return retry_at
