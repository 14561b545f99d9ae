"""Migrations build exactly the schema the models describe, and the server refuses to run without them."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lti_tool import create_app
from lti_tool.db import Base, db
from lti_tool.migrations_runner import pending_migrations


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], "models differ from migrations; write a migration:\n" + "\n".join(map(str, diff))


def test_migrated_database_has_no_pending_migrations(app):
    assert pending_migrations() == set()


def test_serve_on_unmigrated_database_stops_with_the_command_to_run(tmp_path: Path):
    app = create_app({"DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/empty.db"})
    result = app.test_cli_runner().invoke(args=["serve", "--port", "0"])
    assert result.exit_code == 1
    assert "lti-tool db upgrade" in result.output


def test_db_upgrade_then_check(tmp_path: Path):
    app = create_app({"DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/new.db"})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "check"]).exit_code == 1
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
