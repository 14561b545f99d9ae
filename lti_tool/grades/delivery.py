"""Delivering the score outbox to platforms: batch claims, keep-alive HTTP, retries with backoff.

A ``grades.deliver`` job handles one platform: it claims due rows in batches (a short lease,
renewed while this process lives, makes a row claimable again soon after it dies: ``leases.py``),
resolves the line items they need, posts the scores from a small thread pool and records every
outcome. 5xx, timeouts and 429 are retried with exponential
backoff and jitter (``Retry-After`` honoured); other 4xx fail with the platform's own message. The
perpetual ``grades.sweep`` job wakes delivery for anything due that no job is looking after.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from lti_tool import http
from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.grades import line_items
from lti_tool.grades.leases import Heartbeat
from lti_tool.grades.models import DeliveryState, ScoreOutbox
from lti_tool.grades.service import DELIVER_TASK, kick, score_body
from lti_tool.jobs.models import Job, JobState
from lti_tool.jobs.registry import RetryLater
from lti_tool.launch.models import Platform
from lti_tool.lti_services import ags, tokens
from lti_tool.lti_services.errors import AccessTokenError, AgsError, ServiceError

log = logging.getLogger(__name__)

# Batch sizes, threads, leases, backoff and the sweep interval are GRADES_* settings (config/default.py).
FINISHED_JOBS_KEPT = timedelta(days=1)


@dataclass
class Claimed:
    id: int
    version: int
    line_item_id: int
    body: dict[str, Any]
    url: str | None = None


@dataclass
class Outcome:
    id: int
    version: int
    ok: bool
    error: ServiceError | None = None


def deliver_task(payload: dict[str, Any]) -> None:
    deliver_platform(int(payload["platform_id"]))


def sweep_task(payload: dict[str, Any]) -> None:
    try:
        sweep()
    except Exception:
        # The safety net must outlive any one failure (a database blip): log it and come back.
        db.session.rollback()
        log.exception("grades sweep failed; trying again at the next interval")
    # Perpetual: always comes back (RetryLater neither counts an attempt nor ends the job).
    interval = current_app.config["GRADES_SWEEP_SECONDS"]
    raise RetryLater("periodic sweep", utcnow() + timedelta(seconds=interval))


def sweep() -> int:
    """Kick delivery for every platform with due rows (new, retrying, or left by a dead worker),
    and forget finished delivery jobs (one per busy second) after a day."""
    platform_ids = list(
        db.session.execute(sa.select(ScoreOutbox.platform_id).where(_due()).distinct()).scalars()
    )
    for platform_id in platform_ids:
        kick(platform_id)
    db.session.execute(
        sa.delete(Job).where(
            Job.task == DELIVER_TASK, Job.state == JobState.DONE,
            Job.finished_at < utcnow() - FINISHED_JOBS_KEPT,
        )
    )
    db.session.commit()
    return len(platform_ids)


def _due() -> sa.ColumnElement[bool]:
    now = utcnow()
    return sa.or_(
        sa.and_(ScoreOutbox.state == DeliveryState.PENDING, ScoreOutbox.next_attempt_at <= now),
        sa.and_(ScoreOutbox.state == DeliveryState.SENDING, ScoreOutbox.lease_until < now),
    )


def deliver_platform(platform_id: int) -> int:
    """Deliver everything due for one platform; returns how many scores reached it."""
    started = time.monotonic()
    budget = current_app.config["GRADES_JOB_TIME_BUDGET_SECONDS"]
    delivered = 0
    while True:
        claimed = claim(platform_id, current_app.config["GRADES_BATCH_SIZE"])
        if not claimed:
            break
        with Heartbeat([c.id for c in claimed]):  # the batch stays ours while this process lives
            # Recorded a pool's round at a time: a worker that dies leaves at most that round
            # posted but unrecorded (sent again by whoever takes the rows over).
            step = max(1, current_app.config["GRADES_DELIVERY_THREADS"])
            for start in range(0, len(claimed), step):
                delivered += record(send(platform_id, claimed[start:start + step]))
        if time.monotonic() - started > budget:
            kick(platform_id)
            db.session.commit()
            return delivered
    _schedule_next(platform_id)
    return delivered


def claim(platform_id: int, limit: int) -> list[Claimed]:
    """Lease due rows of a platform in a short transaction of its own."""
    now = utcnow()
    query = (
        sa.select(ScoreOutbox, User.sub)
        .join(User, User.id == ScoreOutbox.user_id)
        .where(ScoreOutbox.platform_id == platform_id, _due())
        .order_by(ScoreOutbox.next_attempt_at, ScoreOutbox.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(of=ScoreOutbox, skip_locked=True)
    lease = now + timedelta(seconds=current_app.config["GRADES_LEASE_SECONDS"])
    claimed = [
        Claimed(row.id, row.version, row.line_item_id, score_body(row, sub))
        for row, sub in db.session.execute(query).all()
    ]
    if claimed:
        # One statement for the whole batch (the rows are locked on PostgreSQL, SQLite has one writer).
        db.session.execute(
            sa.update(ScoreOutbox)
            .where(ScoreOutbox.id.in_([c.id for c in claimed]))
            .values(state=DeliveryState.SENDING, lease_until=lease, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return claimed


def send(platform_id: int, claimed: list[Claimed]) -> list[Outcome]:
    """Resolve line items, then post every claimed score; never raises for a platform error."""
    platform = db.session.get(Platform, platform_id)
    if platform is None:
        error = AgsError("The platform registration was removed.", transient=False)
        return [Outcome(c.id, c.version, False, error) for c in claimed]
    try:
        token = tokens.access_token(platform, ags.DELIVERY_SCOPES)
    except ServiceError as error:
        return [Outcome(c.id, c.version, False, _token_error(error)) for c in claimed]
    urls: dict[int, str | ServiceError] = {}
    for line_item_id in sorted({c.line_item_id for c in claimed}):
        try:
            urls[line_item_id] = resolve_line_item(line_item_id, token)
        except ServiceError as error:
            urls[line_item_id] = error
    outcomes: list[Outcome] = []
    ready: list[Claimed] = []
    for c in claimed:
        found = urls[c.line_item_id]
        if isinstance(found, ServiceError):
            outcomes.append(Outcome(c.id, c.version, False, found))
        else:
            c.url = found
            ready.append(c)
    timeout = current_app.config["HTTP_TIMEOUT_SECONDS"]
    outbound = http.client()  # made here: the pool's threads have no app context

    def post(c: Claimed) -> Outcome:
        assert c.url is not None
        try:
            ags.post_score(outbound, token, c.url, c.body, timeout)
        except ServiceError as error:
            return Outcome(c.id, c.version, False, error)
        return Outcome(c.id, c.version, True)

    threads = current_app.config["GRADES_DELIVERY_THREADS"]
    if len(ready) > 1 and threads > 1:
        outcomes.extend(_pool(threads).map(post, ready))
    else:
        outcomes.extend(post(c) for c in ready)
    if any(o.error is not None and o.error.token_rejected for o in outcomes):
        # The platform forgot or revoked the token: fetch a new one for the retry.
        tokens.forget(platform_id, ags.DELIVERY_SCOPES, token=token)
    return outcomes


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(size: int) -> ThreadPoolExecutor:
    """A long-lived pool per process: its threads keep their keep-alive connections."""
    with _pools_lock:
        pool = _pools.get(size)
        if pool is None:
            pool = _pools[size] = ThreadPoolExecutor(max_workers=size, thread_name_prefix="ritmo-ags")
        return pool


def _token_error(error: ServiceError) -> ServiceError:
    if error.transient:
        return error
    return AccessTokenError(
        f"The LMS refused Ritmo's credentials ({error.message}). Check the platform registration "
        "(client id, token URL, Ritmo's keys), then retry.",
        status=error.status, transient=False,
    )


def resolve_line_item(line_item_id: int, token: str) -> str:
    """The platform URL of a line item, updated in the LMS first if it changed (``line_items``)."""
    return line_items.resolve(line_item_id, token)


def record(outcomes: list[Outcome]) -> int:
    """Write every outcome in one transaction; returns how many were delivered."""
    if not outcomes:
        return 0
    now = utcnow()
    delivered = 0
    # The common case, a row delivered at the version still wanted, in one statement per version.
    by_version: dict[int, list[int]] = {}
    for outcome in outcomes:
        if outcome.ok:
            by_version.setdefault(outcome.version, []).append(outcome.id)
    for version, ids in by_version.items():
        delivered += len(ids)
        db.session.execute(
            sa.update(ScoreOutbox)
            .where(ScoreOutbox.id.in_(ids))
            .values(
                delivered_version=sa.func.max(ScoreOutbox.delivered_version, version)
                if db.engine.dialect.name == "sqlite"
                else sa.func.greatest(ScoreOutbox.delivered_version, version),
                # A newer value written meanwhile stays pending and goes out next.
                state=sa.case(
                    (ScoreOutbox.version == version, DeliveryState.DELIVERED.name),
                    else_=DeliveryState.PENDING.name,
                ),
                attempts=0, last_error=None, last_status=200, delivered_at=now,
                next_attempt_at=now, lease_until=None, updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    failed = [o for o in outcomes if not o.ok]
    if failed:
        _record_failures(failed, now)
    db.session.commit()
    return delivered


def _record_failures(outcomes: list[Outcome], now: Any) -> None:
    rows = {
        row.id: row
        for row in db.session.execute(
            sa.select(ScoreOutbox).where(ScoreOutbox.id.in_([o.id for o in outcomes]))
        ).scalars()
    }
    base = current_app.config["GRADES_BACKOFF_BASE_SECONDS"]
    cap = current_app.config["GRADES_BACKOFF_CAP_SECONDS"]
    max_attempts = current_app.config["GRADES_MAX_ATTEMPTS"]
    for outcome in outcomes:
        row = rows.get(outcome.id)
        if row is None:
            continue
        error = outcome.error
        assert error is not None
        row.lease_until = None
        row.last_error = error.message[:2000]
        row.last_status = error.status
        if row.version > outcome.version:
            # A newer value replaced the one that failed: send that one now.
            row.state, row.attempts, row.next_attempt_at = DeliveryState.PENDING, 0, now
        elif error.transient or error.token_rejected:
            row.attempts += 1
            if row.attempts >= max_attempts:
                row.state = DeliveryState.FAILED
                row.last_error = f"Gave up after {row.attempts} attempts: {row.last_error}"
            else:
                delay = backoff(row.attempts, base, cap)
                if error.retry_after is not None:
                    delay = max(delay, error.retry_after)
                if error.token_rejected and row.attempts == 1:
                    delay = 0.0
                row.state = DeliveryState.PENDING
                row.next_attempt_at = now + timedelta(seconds=delay)
        else:
            row.state = DeliveryState.FAILED


def backoff(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with jitter: somewhere in the upper half of ``base * 2**(n-1)``."""
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


def _schedule_next(platform_id: int) -> None:
    """Wake up again when the earliest retry is due."""
    next_at = db.session.execute(
        sa.select(sa.func.min(ScoreOutbox.next_attempt_at)).where(
            ScoreOutbox.platform_id == platform_id, ScoreOutbox.state == DeliveryState.PENDING
        )
    ).scalar_one_or_none()
    if next_at is not None:
        if next_at.tzinfo is None:  # SQLite aggregates come back naive (they were written in UTC)
            next_at = next_at.replace(tzinfo=UTC)
        kick(platform_id, next_at)
    db.session.commit()
