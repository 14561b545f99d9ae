"""The SQLAlchemy handle, the declarative base and column types shared by every feature."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

from lti_tool.private_files import private_sqlite_file

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite forgets the zone otherwise)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC timestamp is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), dict[str, Any]: sa.JSON()},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


db = SQLAlchemy(model_class=Base)


def init_db(app: Flask) -> None:
    """Bind ``db`` to ``app``; on SQLite, make every connection enforce foreign keys; elsewhere,
    check pooled connections that sat idle before handing them out."""
    db.init_app(app)
    _listen_to_sessions()  # whether a session holds a connection (:func:`without_transaction`)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                private_sqlite_file(engine.url)
                sa.event.listen(engine, "connect", _enforce_foreign_keys)
            else:
                _ping_after_idle(engine, float(app.config["DATABASE_PING_AFTER_IDLE_SECONDS"]))


def _ping_after_idle(engine: sa.Engine, idle_seconds: float) -> None:
    """Like ``pool_pre_ping``, but only for connections idle for ``idle_seconds`` or more.

    A ping is a round trip on every checkout; under load connections go back and forth within
    milliseconds and one that just worked is as good as pinged. One that sat idle may have been
    dropped by a restart or a firewall: ping it, and let the pool replace it if that fails.
    """

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise sa.exc.DisconnectionError(str(error)) from error
        if not alive:
            raise sa.exc.DisconnectionError("ping failed")

    sa.event.listen(engine, "checkin", checked_in)
    sa.event.listen(engine, "checkout", checked_out)


def without_transaction() -> bool:
    """Run the session's next statements outside a transaction, until it commits or closes.

    On PostgreSQL a transaction adds two round trips (BEGIN, then COMMIT or ROLLBACK) to the work
    it wraps. A unit of work that only reads, or writes a single row, is as safe without one: call
    this before it. Does nothing (and returns False) once the session is in a transaction, and on
    SQLite, where there is no round trip to save.
    """
    session = db.session()
    if session.info.get(_CONNECTED) or db.engine.dialect.name == "sqlite":
        return False
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    session.info[_AUTOCOMMIT] = True
    return True


def with_transaction() -> None:
    """End :func:`without_transaction`'s mode, so that what follows runs in a transaction (and may use
    savepoints, which PostgreSQL refuses outside one). What ran before is committed already."""
    session = db.session()
    if session.info.get(_AUTOCOMMIT):
        session.commit()


# Whether a session's transaction holds a connection yet (``in_transaction`` is also true for one
# that merely began in memory, when an object changed).
_CONNECTED = "ritmo_connected"
# Whether the session's connection runs without a transaction (:func:`without_transaction`).
_AUTOCOMMIT = "ritmo_autocommit"


def _connection_begun(session: Any, _transaction: Any, _connection: Any) -> None:
    session.info[_CONNECTED] = True


def _transaction_ended(session: Any, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_CONNECTED, None)
        session.info.pop(_AUTOCOMMIT, None)


def listen_once(target: Any, name: str, fn: Callable[..., Any]) -> None:
    """Install a process-wide SQLAlchemy listener from an init step: once, however many apps
    the process builds (tests build hundreds)."""
    if not sa.event.contains(target, name, fn):
        sa.event.listen(target, name, fn)


def _listen_to_sessions() -> None:
    listen_once(sa.orm.Session, "after_begin", _connection_begun)
    listen_once(sa.orm.Session, "after_transaction_end", _transaction_ended)


def _enforce_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ships with foreign keys off, per connection: without this, ON DELETE CASCADE and
    # every REFERENCES check silently do nothing in the embedded mode.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def commit_keeping_loaded() -> None:
    """Commit without expiring the session's objects: the rest of the request (a launch's page)
    reads the rows just written, and would otherwise load each again (a query apiece)."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def upsert_insert(bind: sa.Engine | sa.Connection, table: Any) -> Any:
    """``INSERT`` for ``table`` with ``ON CONFLICT`` clauses, in the dialect of ``bind`` (both
    PostgreSQL and SQLite have them; Core's generic insert does not)."""
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)
