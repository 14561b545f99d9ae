"""A small shared key-value cache with expiry: launch state, platform keys, access tokens.

Every server process must see the same values (a login may land on one process and its launch on
another), so the embedded mode keeps them in the database and production in Redis. ``take`` and
``claim_and_get`` are atomic: a value taken, or a key claimed, by one process is so for all others,
which makes login states (and their nonces) and deep-linking pickers single-use.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, db, upsert_insert, utcnow


class Cache(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...

    def set(self, key: str, value: dict[str, Any], ttl: int) -> None: ...

    def add(self, key: str, value: dict[str, Any], ttl: int) -> bool:
        """Store only if absent; True when stored."""
        ...

    def take(self, key: str) -> dict[str, Any] | None:
        """Return the value and delete it, atomically."""
        ...

    def claim_and_get(
        self, claim_key: str, ttl: int, *get_keys: str
    ) -> tuple[bool, list[dict[str, Any] | None]]:
        """Mark ``claim_key`` taken for ``ttl`` seconds (True if this call took it, False if it was
        taken already) and ``get`` each of ``get_keys``, in one round trip where the store allows."""
        ...

    def delete(self, key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> None:
        """Delete every key that starts with ``prefix``."""
        ...

    def note(self, key: str, field: str, value: str) -> bool:
        """Set ``field`` in the notes under ``key`` (no expiry: they wait for :meth:`take_notes`).
        False when this store keeps no notes: the caller writes what it meant to note itself."""
        ...

    def take_notes(self, key: str) -> dict[str, str]:
        """Every note under ``key``, removed in the same step (one noted meanwhile waits)."""
        ...

    def restore_notes(self, key: str, notes: dict[str, str]) -> None:
        """Put back notes taken but not used, unless the field was noted again since."""
        ...


class CacheEntry(Base):
    """A small shared cache for the embedded mode (JWKS, access tokens); Redis replaces it at scale."""

    __tablename__ = "cache_entry"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    value: Mapped[dict[str, Any]]
    expires_at: Mapped[datetime] = mapped_column(index=True)


_TABLE: sa.Table = CacheEntry.__table__  # type: ignore[assignment]


class DatabaseCache:
    """Cache rows in ``cache_entry``. Each call commits on its own connection: it must not ride on,
    or be rolled back with, the caller's unit of work."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    def _engine(self) -> sa.Engine:
        return db.engine

    def get(self, key: str) -> dict[str, Any] | None:
        with self._engine().connect() as conn:
            row = conn.execute(
                sa.select(CacheEntry.value, CacheEntry.expires_at).where(
                    CacheEntry.key == self.prefix + key
                )
            ).first()
        if row is None:
            return None
        return row[0] if _aware(row[1]) > utcnow() else None

    def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        table = _TABLE
        with self._engine().begin() as conn:
            conn.execute(table.delete().where(table.c.key == self.prefix + key))
            conn.execute(
                table.insert().values(
                    key=self.prefix + key, value=value, expires_at=utcnow() + timedelta(seconds=ttl)
                )
            )

    def add(self, key: str, value: dict[str, Any], ttl: int) -> bool:
        now = utcnow()
        engine = self._engine()
        # One statement: insert, or take over the row of an expired entry; a live one stays.
        insert = upsert_insert(engine, _TABLE).values(
            key=self.prefix + key, value=value, expires_at=now + timedelta(seconds=ttl)
        )
        statement = insert.on_conflict_do_update(
            index_elements=[_TABLE.c.key],
            set_={"value": insert.excluded.value, "expires_at": insert.excluded.expires_at},
            where=_TABLE.c.expires_at <= now,
        )
        with engine.begin() as conn:
            return conn.execute(statement.returning(_TABLE.c.key)).first() is not None

    def take(self, key: str) -> dict[str, Any] | None:
        table = _TABLE
        with self._engine().begin() as conn:
            row = conn.execute(
                table.delete()
                .where(table.c.key == self.prefix + key)
                .returning(table.c.value, table.c.expires_at)
            ).first()
        if row is None:
            return None
        return row[0] if _aware(row[1]) > utcnow() else None

    def claim_and_get(
        self, claim_key: str, ttl: int, *get_keys: str
    ) -> tuple[bool, list[dict[str, Any] | None]]:
        return self.add(claim_key, {}, ttl), [self.get(key) for key in get_keys]

    def delete(self, key: str) -> None:
        table = _TABLE
        with self._engine().begin() as conn:
            conn.execute(table.delete().where(table.c.key == self.prefix + key))

    def delete_prefix(self, prefix: str) -> None:
        table = _TABLE
        pattern = (self.prefix + prefix).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self._engine().begin() as conn:
            conn.execute(table.delete().where(table.c.key.like(pattern + "%", escape="\\")))

    # Notes are for stores shared at scale; the embedded mode writes at once.
    def note(self, key: str, field: str, value: str) -> bool:
        return False

    def take_notes(self, key: str) -> dict[str, str]:
        return {}

    def restore_notes(self, key: str, notes: dict[str, str]) -> None:
        return None

    def purge_expired(self) -> int:
        table = _TABLE
        with self._engine().begin() as conn:
            return conn.execute(table.delete().where(table.c.expires_at <= utcnow())).rowcount


def _aware(value: datetime) -> datetime:
    # Core (non-ORM) rows from SQLite come back naive; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# KEYS[1] is claimed for ARGV[1] seconds unless it is already; the other keys are read.
_CLAIM_AND_GET = """
local claimed = redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) and 1 or 0
if #KEYS == 1 then return {claimed, {}} end
return {claimed, redis.call('MGET', unpack(KEYS, 2))}
"""


class RedisCache:
    def __init__(self, url: str, prefix: str = "ritmo:") -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30)
        self.prefix = prefix
        self._claim_and_get = self.client.register_script(_CLAIM_AND_GET)

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self.client.get(self.prefix + key)
        return json.loads(raw) if raw else None

    def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        self.client.set(self.prefix + key, json.dumps(value), ex=ttl)

    def add(self, key: str, value: dict[str, Any], ttl: int) -> bool:
        return bool(self.client.set(self.prefix + key, json.dumps(value), ex=ttl, nx=True))

    def take(self, key: str) -> dict[str, Any] | None:
        raw = self.client.getdel(self.prefix + key)
        return json.loads(raw) if raw else None

    def claim_and_get(
        self, claim_key: str, ttl: int, *get_keys: str
    ) -> tuple[bool, list[dict[str, Any] | None]]:
        # One command (a script) rather than a pipeline: every launch makes this call.
        claimed, got = self._claim_and_get(
            keys=[self.prefix + claim_key, *(self.prefix + key for key in get_keys)], args=[ttl]
        )
        return bool(claimed), [json.loads(v) if v else None for v in got]

    def delete(self, key: str) -> None:
        self.client.delete(self.prefix + key)

    def delete_prefix(self, prefix: str) -> None:
        pattern = "".join("\\" + c if c in "*?[]\\" else c for c in self.prefix + prefix) + "*"
        batch: list[bytes] = []
        for key in self.client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) == 1000:
                self.client.delete(*batch)
                batch.clear()
        if batch:
            self.client.delete(*batch)

    def note(self, key: str, field: str, value: str) -> bool:
        self.client.hset(self.prefix + key, field, value)
        return True

    def take_notes(self, key: str) -> dict[str, str]:
        pipe = self.client.pipeline(transaction=True)  # MULTI: nothing lands between the two
        pipe.hgetall(self.prefix + key)
        pipe.delete(self.prefix + key)
        notes, _deleted = pipe.execute()
        return {k.decode(): v.decode() for k, v in notes.items()}

    def restore_notes(self, key: str, notes: dict[str, str]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for field, value in notes.items():
            pipe.hsetnx(self.prefix + key, field, value)
        pipe.execute()


def init_cache(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    app.extensions["ritmo_cache"] = RedisCache(url) if url else DatabaseCache()


def cache() -> Cache:
    return current_app.extensions["ritmo_cache"]
