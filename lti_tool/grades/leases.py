"""Leases on claimed scores, kept short and renewed while their worker lives (a heartbeat).

A deliverer claims a batch of outbox rows for ``GRADES_LEASE_SECONDS``. A long lease made a dead
worker's scores wait minutes before another took them over; a short lease that is never renewed
would let a live but slow worker (a slow LMS, a big batch) lose its rows to another deliverer, and
the same score would go out twice. So the lease is short and a thread of the claiming process
renews it every ``GRADES_LEASE_RENEW_SECONDS`` until the batch is recorded: while the process
lives its rows stay its own; when it dies, they are claimable again within one lease.

The renewal touches only rows still ``sending`` among those the batch claimed. Should a worker
stall for longer than its lease and another take a row over, renewing that row only lengthens the
other worker's lease: harmless, and the row is recorded once either way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from datetime import timedelta
from types import TracebackType

import sqlalchemy as sa
from flask import Flask, current_app

from lti_tool.db import db, utcnow
from lti_tool.grades.models import DeliveryState, ScoreOutbox

log = logging.getLogger(__name__)


def renew(ids: Collection[int], seconds: float) -> int:
    """Extend the lease of the rows ``ids`` still being sent; returns how many. Commits."""
    if not ids:
        return 0
    now = utcnow()
    result = db.session.execute(
        sa.update(ScoreOutbox)
        .where(ScoreOutbox.id.in_(list(ids)), ScoreOutbox.state == DeliveryState.SENDING)
        .values(lease_until=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


class Heartbeat:
    """``with Heartbeat(ids): ...`` renews the lease of ``ids`` from a daemon thread until the
    block ends. The thread has an app context, and so a database session, of its own."""

    def __init__(self, ids: Collection[int]):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        self.app: Flask = app
        self.ids = list(ids)
        self.lease = float(app.config["GRADES_LEASE_SECONDS"])
        self.every = float(app.config["GRADES_LEASE_RENEW_SECONDS"])
        self.beats = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ritmo-grades-lease", daemon=True)

    def __enter__(self) -> Heartbeat:
        if self.ids:
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with self.app.app_context():
                    renew(self.ids, self.lease)
                    db.session.remove()
                self.beats += 1
            except Exception:
                # A database blip: the next beat tries again; the lease covers a missed one or two.
                log.exception("renewing the lease of %d scores failed", len(self.ids))
