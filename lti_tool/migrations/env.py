"""Alembic environment: the URL comes from Ritmo's settings, the metadata from every feature."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from lti_tool.db import Base
from lti_tool.models import load_all

load_all()
config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        _run_on(given)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        _run_on(connection)


def _run_on(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(connection, on=False)
        orphans_before = _orphans(connection)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        new = _orphans(connection) - orphans_before
        _sqlite_foreign_keys(connection, on=True)
        if new:
            listed = ", ".join(f"{table} row {rowid} -> {parent}" for table, rowid, parent in sorted(new)[:5])
            raise RuntimeError(f"the migration left {len(new)} rows without their parent: {listed}")


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    """Batch operations rebuild a table (copy, drop, rename): with foreign keys enforced, dropping
    the old table would cascade-delete the rows that refer to it. So they are off while migrating
    and checked afterwards. The pragma is ignored inside a transaction, hence the commits."""
    connection.commit()
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    connection.commit()


def _orphans(connection: Connection) -> set[tuple[str, int, str]]:
    """Rows whose parent is missing. Databases from before foreign keys were enforced may hold
    some already; only those a migration adds are an error."""
    rows = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    connection.commit()
    return {(row[0], row[1], row[2]) for row in rows}


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
