"""One-time session codes for tests that open a page by its URL, as ritmo.js does for a link."""

from __future__ import annotations

from lti_tool.db import db
from lti_tool.identity import handoff


def rh(token: str) -> str:
    """A fresh code for ``token`` (``?rh=``), spent by the first request that shows it.

    The code is written on the cache's own connection; the test's rows (flushed, not committed)
    are committed first, as a request would have, so SQLite's writer lock is free."""
    db.session.commit()
    return handoff.mint(token)
