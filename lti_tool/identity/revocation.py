"""Ending a person's sessions at once: a per-person stamp that their session tokens must postdate.

A session token says when it was issued (``session.issue_token``). ``User.sessions_valid_after`` is
set when the person is erased, or when their course role or enrolment changes (a later launch,
roster sync, a coordinator's change, a withdrawal): every token issued before it is refused on its
next request. Every request reads the stamp from the shared cache (one read); a miss reads the user
row and fills the cache without overwriting a newer value. A change is written in the caller's
transaction and published to the cache once committed, so every process sees it at once. Where the
shared cache is the database itself (the embedded mode), the user row is read instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy.orm import Session

from lti_tool.accounts.models import User
from lti_tool.cache import DatabaseCache, cache
from lti_tool.db import db, listen_once

PREFIX = "session-valid-after:"
# How long a stamp stays in the cache; a miss costs one read of the user row.
CACHE_SECONDS = 3600
_PENDING = "ritmo_session_revocations"
log = logging.getLogger("lti_tool.launch")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NO_ONE = 2**62  # later than any token


def now_ms() -> int:
    """The issue time a token carries (milliseconds since the epoch)."""
    return time.time_ns() // 1_000_000


def _key(user_id: int) -> str:
    return f"{PREFIX}{user_id}"


def valid_after(user_id: int) -> int:
    """Milliseconds since the epoch before which the person's tokens are refused (0: none are);
    a person who no longer exists refuses every token."""
    store = cache()
    if isinstance(store, DatabaseCache):
        # The cache is this database: the user row is one read away, like a cache entry, and a
        # cache write here could wait on the request's own SQLite transaction.
        return _from_row(user_id)
    entry = store.get(_key(user_id))
    if entry is not None:
        return int(entry["v"])
    value = _from_row(user_id)
    # ``add``, not ``set``: a revocation published meanwhile must not be overwritten by this read.
    store.add(_key(user_id), {"v": value}, CACHE_SECONDS)
    return value


def _from_row(user_id: int) -> int:
    users: sa.Table = User.__table__  # type: ignore[assignment]
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(users.c.sessions_valid_after).where(users.c.id == user_id)).first()
    if row is None:
        return _NO_ONE
    return _ms(row[0]) if row[0] is not None else 0


def _ms(stamp: datetime) -> int:
    stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return (stamp - _EPOCH) // timedelta(milliseconds=1)


def revoke(user_ids: Iterable[int]) -> None:
    """End every session of these people issued until now. Joins the caller's transaction; the
    cache learns it when that commits (a rollback revokes nothing)."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    stamp_ms = now_ms()
    stamp = _EPOCH + timedelta(milliseconds=stamp_ms)
    users: sa.Table = User.__table__  # type: ignore[assignment]
    db.session.connection().execute(
        users.update().where(users.c.id.in_(ids)).values(sessions_valid_after=stamp)
    )
    pending = db.session().info.setdefault(_PENDING, {})
    pending.update(dict.fromkeys(ids, stamp_ms))


def _publish(session: Session) -> None:
    pending: dict[int, int] | None = session.info.pop(_PENDING, None)
    if not pending or not has_app_context() or isinstance(cache(), DatabaseCache):
        return
    try:
        for user_id, stamp_ms in pending.items():
            cache().set(_key(user_id), {"v": stamp_ms}, CACHE_SECONDS)
    except Exception:
        # The stamp is committed; a cached older one may still be read until it expires.
        log.exception("sessions revoked in the database but not in the cache for %d people", len(pending))


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)


def listen() -> None:
    """Publish committed revocations from every session of the process (idempotent)."""
    listen_once(Session, "after_commit", _publish)
    listen_once(Session, "after_rollback", _forget)
