"""Alembic, driven from code: ``lti-tool db upgrade`` and the check that the schema is current."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from lti_tool.db import db

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url",
        current_app.config["SQLALCHEMY_DATABASE_URI"].replace("%", "%%"),
    )
    return config


def upgrade(revision: str = "heads") -> None:
    _on_app_engine(command.upgrade, revision)


def downgrade(revision: str) -> None:
    _on_app_engine(command.downgrade, revision)


def _on_app_engine(step: Callable[[Config, str], None], revision: str) -> None:
    """Migrate through the app's own engine (its connect options and SQLite pragmas); the
    environment switches SQLite's foreign keys off for the run and checks them afterwards."""
    config = alembic_config()
    with db.engine.connect() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


def pending_migrations() -> set[str]:
    """Heads of the migration scripts that the database has not reached."""
    script = ScriptDirectory.from_config(alembic_config())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    wanted = set(script.get_heads())
    if current == wanted:
        return set()
    reached: set[str] = set()
    for head in current:
        reached.update(rev.revision for rev in script.iterate_revisions(head, "base"))
    return wanted - reached
