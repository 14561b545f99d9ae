"""Core statements run straight on the driver, for the few that every launch runs.

SQLAlchemy's work around one execution (the statement's cache key, the execution context, the
result's metadata) is several times the cost of a small query's own, and a launch runs a handful:
measured inside launch flows, its read took about 0.5 ms of CPU through ``Connection.execute``
and about 0.2 ms as a :class:`DirectStatement`. So the launch and its programme step compile
their statements once per database and run them on the session's driver connection, on SQLite and
PostgreSQL alike, in the session's transaction (or its autocommit: ``db.without_transaction``).

What is kept from SQLAlchemy: the SQL it compiles for the dialect, each type's bind and result
processors, Python-side column defaults (``default=`` on INSERT, ``onupdate=`` on UPDATE), the
engine's ``before_cursor_execute`` and ``after_cursor_execute`` events (statement logs, tracing,
the tests' statement counts), and its exceptions (``IntegrityError``...; a lost connection is
invalidated as SQLAlchemy would). What is left out: ORM objects and their events, and ``IN``
lists (expanding parameters), which compile differently for each execution.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Compiled:
    """One statement compiled for one dialect (and, for INSERT and UPDATE, one set of columns)."""

    sql: str
    order: tuple[str, ...] | None  # positional drivers (SQLite): the parameters' names in order
    literals: dict[str, Any]  # values the statement carries itself (``LIMIT 1``...)
    binds: Mapping[str, Processor]
    defaults: tuple[tuple[str, Callable[[], Any]], ...]  # Python-side defaults to fill in
    row: Any  # a named tuple type for the result columns, or None
    results: tuple[Processor | None, ...]


class DirectResult:
    """What a :class:`DirectStatement` answered: its rows, already converted, and its row count."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def first(self) -> Any:
        return self.rows[0] if self.rows else None

    def one(self) -> Any:
        if len(self.rows) != 1:
            raise sa.exc.NoResultFound("no row") if not self.rows else sa.exc.MultipleResultsFound(
                "more than one row"
            )
        return self.rows[0]

    def scalar_one(self) -> Any:
        return self.one()[0]


class DirectStatement:
    """A Core statement (SELECT, or INSERT/UPDATE with or without RETURNING) run on the driver.

    Build one per statement, at first use (``functools.cache``), then run it with
    :meth:`execute` as ``Connection.execute(statement, params)`` would be. For INSERT and UPDATE,
    the columns set are the parameters' names that are columns, as with SQLAlchemy.
    """

    def __init__(self, statement: sa.ClauseElement) -> None:
        self.statement = statement
        self._dml = isinstance(statement, UpdateBase)
        self._compiled: dict[tuple[Any, ...], _Compiled] = {}

    def execute(self, connection: sa.Connection, params: Mapping[str, Any]) -> DirectResult:
        dialect = connection.dialect
        key = (dialect.name, dialect.driver, frozenset(params) if self._dml else None)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _compile(self.statement, dialect, params)
        values = {**compiled.literals, **params}
        for name, make in compiled.defaults:
            values.setdefault(name, make())
        for name, process in compiled.binds.items():
            if name in values:  # None too: a JSON column's None is JSON's null, as in SQLAlchemy
                values[name] = process(values[name])
        driver_params: Any = (
            [values[name] for name in compiled.order] if compiled.order is not None else values
        )
        raw_rows, rowcount = _run(connection, compiled.sql, driver_params)
        if compiled.row is None:
            return DirectResult([], rowcount)
        rows = [
            compiled.row._make(
                value if process is None or value is None else process(value)
                for value, process in zip(raw, compiled.results, strict=True)
            )
            for raw in raw_rows
        ]
        return DirectResult(rows, rowcount)


def _compile(statement: sa.ClauseElement, dialect: sa.Dialect, params: Iterable[str]) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=sorted(params))
    assert isinstance(compiled, SQLCompiler)
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise TypeError("a DirectStatement takes no IN lists or literal-execute parameters")
    binds = {
        name: process
        for name, bind in compiled.binds.items()
        if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    }
    defaults = tuple(
        (column.key, _default_of(column, column.default))
        for column in compiled.insert_prefetch
    ) + tuple(
        (column.key, _default_of(column, column.onupdate))
        for column in compiled.update_prefetch
    )
    columns: Sequence[Any] = list(getattr(statement, "exported_columns", ()))
    return _Compiled(
        sql=str(compiled),
        order=tuple(compiled.positiontup or ()) if compiled.positional else None,
        literals={name: value for name, value in compiled.params.items() if value is not None},
        binds=binds,
        defaults=defaults,
        row=namedtuple("DirectRow", [c.key for c in columns], rename=True) if columns else None,
        results=tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ),
    )


def _default_of(column: Any, default: Any) -> Callable[[], Any]:
    """A Python-side column default as a function of nothing (what these statements' tables use:
    a value, or a function such as ``utcnow``)."""
    if default is None or not (default.is_scalar or default.is_callable):
        raise TypeError(f"{column}: a DirectStatement fills in only value and function defaults")
    if default.is_scalar:
        return lambda: default.arg
    return lambda: default.arg(None)  # SQLAlchemy's wrapper of a function that takes no context


def _run(connection: sa.Connection, sql: str, params: Any) -> tuple[list[Any], int]:
    """Execute on the connection's driver, with the engine's cursor events around it."""
    dbapi_connection: Any = connection.connection.driver_connection
    cursor = dbapi_connection.cursor()
    try:
        for before in connection.dispatch.before_cursor_execute:
            sql, params = before(connection, cursor, sql, params, None, False)
        try:
            cursor.execute(sql, params)
            rows = cursor.fetchall() if cursor.description is not None else []
        except connection.dialect.loaded_dbapi.Error as error:
            raise _translated(connection, error, sql, params, cursor) from error
        connection.dispatch.after_cursor_execute(connection, cursor, sql, params, None, False)
        return rows, cursor.rowcount
    finally:
        cursor.close()


def _translated(
    connection: sa.Connection, error: Any, sql: str, params: Any, cursor: Any
) -> sa.exc.StatementError:
    """The driver's error as SQLAlchemy raises it; a lost connection is invalidated, so that the
    pool opens a new one rather than hand it out again."""
    lost = connection.dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(error)
    return sa.exc.DBAPIError.instance(
        sql, params, error, connection.dialect.loaded_dbapi.Error,
        dialect=connection.dialect, connection_invalidated=lost,
    )
