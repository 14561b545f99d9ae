"""Foreign keys hold on every backend, and SQLite migrations do not cascade through table rebuilds."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lti_tool import create_app
from lti_tool.accounts.models import Course
from lti_tool.db import db
from lti_tool.migrations_runner import upgrade
from tests.conftest import PG_URL, _config, need


def test_a_row_without_its_parent_is_refused(app):
    db.session.add(Course(platform_id=987_654, context_id="orphan"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_sqlite_connections_enforce_foreign_keys(tmp_path: Path):
    app = create_app({"DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/fk.db"})
    with app.app_context():
        for _ in range(2):  # a fresh connection each time: the pragma is per connection
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            db.engine.dispose()


_OLD_ROWS = [
    "INSERT INTO platform (id, issuer, client_id, name, auth_login_url, auth_token_url, key_set_url,"
    " status, accept_first_deployment, created_at)"
    " VALUES (1, 'https://lms.example', 'ritmo', 'LMS', 'a', 't', 'k', 'ACTIVE', 0, '2026-01-01')",
    "INSERT INTO user (id, platform_id, sub, created_at) VALUES (1, 1, 'mentor', '2026-01-01'),"
    " (2, 1, 'mentee', '2026-01-01')",
    "INSERT INTO course (id, platform_id, context_id, created_at) VALUES (1, 1, 'c', '2026-01-01')",
    "INSERT INTO programme (id, course_id, title, description, matching_mode, role_source,"
    " default_capacity, requires_approval, timezone, settings, created_at)"
    " VALUES (1, 1, 'P', '', 'ONE_TO_ONE', 'LMS', 1, 1, 'UTC', '{}', '2026-01-01')",
    "INSERT INTO participant (id, programme_id, user_id, role, status, created_at)"
    " VALUES (1, 1, 1, 'MENTOR', 'ACTIVE', '2026-01-01'), (2, 1, 2, 'MENTEE', 'ACTIVE', '2026-01-01')",
    "INSERT INTO \"match\" (id, programme_id, mentor_id, status, explanation, locked, created_at)"
    " VALUES (1, 1, 1, 'ACTIVE', '{}', 0, '2026-01-01')",
    "INSERT INTO match_mentee (id, match_id, mentee_id) VALUES (1, 1, 2)",
]


def test_sqlite_migrations_rebuild_tables_without_cascading(tmp_path: Path):
    # 0006 rebuilds "match" (a new foreign key needs a table copy on SQLite). Were foreign keys
    # enforced during the rebuild, dropping the old table would delete every match_mentee row.
    app = create_app({"DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/old.db"})
    with app.app_context():
        upgrade("0001_foundation")
        with db.engine.begin() as connection:
            for statement in _OLD_ROWS:
                connection.exec_driver_sql(statement)
        upgrade("heads")
        with db.engine.connect() as connection:
            mentees = connection.execute(sa.text("SELECT match_id, mentee_id FROM match_mentee")).all()
            assert mentees == [(1, 2)]
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def test_sqlite_migrations_tolerate_rows_orphaned_before_foreign_keys_were_on(tmp_path: Path):
    app = create_app({"DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/bad.db"})
    with app.app_context():
        upgrade("0001_foundation")
        with db.engine.begin() as connection:
            for statement in _OLD_ROWS:
                connection.exec_driver_sql(statement)
        # Embedded databases from before foreign keys were enforced may hold orphans already;
        # they do not block later migrations (only rows a migration orphans do).
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.exec_driver_sql("DELETE FROM programme")
            connection.commit()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        upgrade("heads")
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM participant").scalar() == 2
        db.engine.dispose()



def _pooled_connection_dropped_by_the_server() -> None:
    """Use a connection and return it to the pool; then the server terminates it (a restart)."""
    with db.engine.connect() as conn:
        backend = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    admin = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
    admin.dispose()


@pytest.mark.parametrize("idle_seconds, survives", [(0.0, True), (3600.0, False)])
def test_a_connection_idle_past_the_setting_is_pinged_and_replaced(
    tmp_path: Path, idle_seconds: float, survives: bool
):
    # PostgreSQL only (SQLite has no server to drop connections); no tables needed.
    url = need(PG_URL, "PostgreSQL", "LTI_TOOL_TEST_DATABASE_URL")
    app = create_app(_config(url, tmp_path, DATABASE_PING_AFTER_IDLE_SECONDS=idle_seconds))
    with app.app_context():
        try:
            _pooled_connection_dropped_by_the_server()
            if survives:  # pinged, found dead, replaced: the caller never sees it
                with db.engine.connect() as conn:
                    assert conn.exec_driver_sql("SELECT 1").scalar() == 1
            else:  # not idle long enough to be pinged: the first use finds it dead
                with pytest.raises(sa.exc.OperationalError), db.engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
        finally:
            db.engine.dispose()
