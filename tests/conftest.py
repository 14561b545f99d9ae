"""Fixtures: the app on a real database (SQLite always, PostgreSQL when configured), a client,
and helpers to drive launches.

PostgreSQL tests run when ``LTI_TOOL_TEST_DATABASE_URL`` names a server; they skip with the reason
otherwise, except under ``CI=true`` where a missing server is an error.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool import create_app
from lti_tool.db import db
from lti_tool.demo.server import ServerHandle, serve_in_thread

IN_CI = os.environ.get("CI") == "true"
PG_URL = os.environ.get("LTI_TOOL_TEST_DATABASE_URL")


def _redis_of_this_worker(url: str | None) -> str | None:
    """Under ``pytest -n`` each worker takes the next Redis database after the one named (the
    first worker that one): Ritmo's keys are the same in every test run, and workers run at once."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + int(worker[2:])) % 16}"))


REDIS_URL = _redis_of_this_worker(os.environ.get("LTI_TOOL_TEST_REDIS_URL"))


def need(url: str | None, what: str, variable: str) -> str:
    if url:
        return url
    reason = f"{what} not configured: set {variable} to run these tests"
    if IN_CI:
        pytest.fail(reason + " (required in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'ritmo.sqlite3'}"
        return
    with scratch_postgres_database(need(PG_URL, "PostgreSQL", "LTI_TOOL_TEST_DATABASE_URL")) as url:
        yield url


@contextlib.contextmanager
def scratch_postgres_database(server_url: str) -> Iterator[str]:
    """A database of its own for this test run, so concurrent runs never share tables."""
    from lti_tool.settings import normalise_database_url

    base = sa.engine.make_url(normalise_database_url(server_url))
    name = f"ritmo_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run every migration once per database, from an empty schema."""
    from lti_tool.migrations_runner import upgrade

    app = create_app(_config(database_url, tmp_path_factory.mktemp("data")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def _config(database_url: str, data_dir: Path, **extra: object) -> dict[str, object]:
    config: dict[str, object] = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "BASE_URL": "http://127.0.0.1:5000",
        "REDIS_URL": None,
        "RATELIMIT_ENABLED": False,
        # The test LMSs listen on 127.0.0.1 over http; tests of the guarded client turn this off.
        "ALLOW_PRIVATE_URLS": True,
    }
    config.update(extra)
    return config


def clean_database() -> None:
    from lti_tool.db import Base

    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = _used_tables(conn)
            if names:
                quoted = ", ".join(f'"{name}"' for name in names)
                conn.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


# The tables holding rows, or whose id sequence was drawn from since it was last reset: TRUNCATE
# gives each table it names new files, and most tests touch few of the schema's tables, so naming
# only these makes a test's start several times quicker and leaves what truncating all would.
_DRAWN_SEQUENCES = """
SELECT t.relname FROM pg_sequences s
JOIN pg_namespace n ON n.nspname = s.schemaname
JOIN pg_class q ON q.relname = s.sequencename AND q.relnamespace = n.oid
JOIN pg_depend d ON d.objid = q.oid AND d.classid = 'pg_class'::regclass
    AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
WHERE s.schemaname = current_schema() AND s.last_value IS NOT NULL
"""


def _used_tables(conn: sa.Connection) -> list[str]:
    used = set(conn.execute(_used_tables_query()).scalars())
    return [name for name in _table_names() if name in used]


@functools.cache
def _table_names() -> tuple[str, ...]:
    from lti_tool.db import Base

    return tuple(t.name for t in Base.metadata.sorted_tables)


@functools.cache
def _used_tables_query() -> sa.TextClause:
    """Built once: the schema's tables do not change within a run."""
    holding = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in _table_names()
    )
    return sa.text(f"{holding} UNION {_DRAWN_SEQUENCES}")


@pytest.fixture
def app_config() -> dict[str, object]:
    """Override in a test module to change settings."""
    return {}


@pytest.fixture
def app(migrated: str, tmp_path: Path, app_config: dict[str, object]) -> Iterator[Flask]:
    from lti_tool.launch import keys, platform_keys

    app = create_app(_config(migrated, tmp_path, **app_config))
    with app.app_context():
        clean_database()
        keys._signing_cache.clear()
        platform_keys.forget()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def ritmo(app: Flask) -> Iterator[ServerHandle]:
    """Ritmo served over HTTP on 127.0.0.1 (``BASE_URL`` set to it), for a browser or a platform
    that must reach it over the network."""
    # Only what the server answers is kept: the test client's own requests are the test's.
    in_flight = InFlight(app)
    handle = serve_in_thread(in_flight, "127.0.0.1", 0)
    handle.app = app
    app.config["BASE_URL"] = handle.url
    yield handle
    handle.shutdown()
    # A page's background requests (a zone report, a presence beat, a chat long-poll of up to 25 s)
    # may still be answering: let them end before the app's teardown closes the database pool and
    # the next test empties the tables under them.
    assert in_flight.wait_idle(35), "requests still answering 35 s after the test"


class InFlight:
    """WSGI middleware keeping the requests being answered (until their response is closed, or the
    thread answering them has ended: werkzeug's server skips the close when the browser resets the
    connection while the rest of the request is drained)."""

    def __init__(self, wsgi_app):  # type: ignore[no-untyped-def]
        self.wsgi_app = wsgi_app
        self.answering: dict[object, threading.Thread] = {}
        self.idle = threading.Condition()

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = object()
        with self.idle:
            self.answering[request] = threading.current_thread()
        try:
            body = self.wsgi_app(environ, start_response)
        except BaseException:
            self._done(request)
            raise
        return _Closing(body, lambda: self._done(request))

    def _done(self, request: object) -> None:
        with self.idle:
            self.answering.pop(request, None)
            self.idle.notify_all()

    def wait_idle(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        with self.idle:
            while any(thread.is_alive() for thread in self.answering.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.idle.wait(min(left, 0.05))  # a thread that ends says nothing: look again
        return True


class _Closing:
    """A response body that tells when the server has closed it."""

    def __init__(self, body, done) -> None:  # type: ignore[no-untyped-def]
        self.body, self.done = body, done

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.done()
