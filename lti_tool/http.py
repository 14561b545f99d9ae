"""One outbound HTTP session per process, with the headers platforms expect."""

from __future__ import annotations

import threading

import requests

USER_AGENT = "Ritmo-LTI-Tool/0.1"

_local = threading.local()


def http_session() -> requests.Session:
    """A per-thread ``requests.Session`` (connection reuse; Canvas requires a User-Agent)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
        _local.session = session
    return session
