"""Files only Ritmo's own user may read: the data folder, the SQLite database, uploads.

They hold personal data and secrets, so folders are made ``0700`` and files ``0600`` when created,
whatever the process umask; ones left readable by others (by an older version, a copy, a restore)
are tightened when Ritmo starts.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from sqlalchemy.engine import URL

log = logging.getLogger("lti_tool.security")

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
#: the files SQLite keeps beside a database (it gives new ones the database file's mode)
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_dir(path: Path, *, with_files: bool = False) -> Path:
    """Create ``path`` (and missing parents) as a private folder, or tighten it; with
    ``with_files``, also tighten the files directly inside it."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _tighten(path, PRIVATE_DIR)
    if with_files:
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    _tighten(Path(entry.path), PRIVATE_FILE)
    return path


def create_private_file(path: Path) -> int:
    """Open a new file for writing, readable by this user alone; fails if it exists."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)


def private_sqlite_file(url: URL) -> None:
    """Create a file database empty and private before SQLite does (SQLite would follow the
    umask), and tighten an existing one and the journal files beside it."""
    name = url.database
    if url.get_backend_name() != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        return
    database = Path(name)
    try:
        # SQLite takes an empty file as a new database.
        os.close(create_private_file(database))
    except FileExistsError:
        pass  # an existing database is tightened below
    except FileNotFoundError:
        return  # its folder does not exist: SQLite will say so on connect
    for path in (database, *(Path(name + suffix) for suffix in SQLITE_COMPANIONS)):
        if path.exists():
            _tighten(path, PRIVATE_FILE)


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        try:
            path.chmod(mode)
        except PermissionError:  # another user's file: say so, and let the admin fix it
            log.warning("%s is readable by others (mode %o) and not ours to change; chmod %o it.",
                        path, current, mode)
