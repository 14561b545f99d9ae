"""Data files are Ritmo's user's alone: the data folder, the SQLite database (and the files SQLite
keeps beside it), the uploads folder and uploaded files; loose ones are tightened at start."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lti_tool import create_app
from lti_tool.db import db
from lti_tool.mentoring.content import uploads
from tests.conftest import _config

PDF = b"%PDF-1.4\n" + b"x" * 100


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most services run with: files 0644, folders 0755 unless Ritmo says otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_new_data_files_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    database = data / "ritmo.sqlite3"
    app = create_app(_config(f"sqlite:///{database}", data))
    try:
        with app.app_context():
            with db.engine.connect() as conn:
                conn.execute(sa.text("PRAGMA journal_mode=WAL"))
                conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
                conn.execute(sa.text("INSERT INTO t VALUES (1)"))
                conn.commit()
                companions = sorted(p.name for p in data.glob("ritmo.sqlite3-*"))
                assert companions == ["ritmo.sqlite3-shm", "ritmo.sqlite3-wal"]
                for path in data.glob("ritmo.sqlite3*"):
                    assert mode(path) == 0o600, path
            stored = uploads.store(io.BytesIO(PDF), "notes.pdf")
            assert mode(uploads.upload_dir()) == 0o700
            assert mode(uploads.path_for(stored.storage_name)) == 0o600
    finally:
        with app.app_context():
            db.engine.dispose()
    assert mode(data) == 0o700


def test_loose_data_files_are_tightened_at_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    database = data / "ritmo.sqlite3"
    earlier = sqlite3.connect(database)  # an older version left a world-readable WAL database
    earlier.execute("PRAGMA journal_mode=WAL")
    earlier.execute("CREATE TABLE t (x INTEGER)")
    earlier.execute("INSERT INTO t VALUES (1)")
    earlier.commit()
    upload_dir = data / "uploads"
    upload_dir.mkdir(mode=0o755)
    (upload_dir / "0123abcd").write_bytes(PDF)
    loose = [data, upload_dir, upload_dir / "0123abcd", *data.glob("ritmo.sqlite3*")]
    for path in loose:
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert len(loose) == 6  # both folders, one upload, the database and its -wal and -shm

    try:
        app = create_app(_config(f"sqlite:///{database}", data))
        with app.app_context():
            assert db.session.execute(sa.text("SELECT x FROM t")).scalar() == 1  # still readable
            db.session.remove()
            db.engine.dispose()
        assert {path.name: mode(path) for path in loose} == {
            path.name: 0o700 if path.is_dir() else 0o600 for path in loose}
    finally:
        earlier.close()


def test_a_database_elsewhere_is_made_private_but_not_its_folder(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    database = shared / "ritmo.sqlite3"
    app = create_app(_config(f"sqlite:///{database}", tmp_path / "data"))
    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        db.session.remove()
        db.engine.dispose()
    assert mode(database) == 0o600
    assert mode(shared) == 0o755  # not Ritmo's folder: left as the admin made it
