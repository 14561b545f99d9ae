"""Which sites may frame Ritmo: the origins of the platforms registered and active, plus settings.

An LMS shows Ritmo in an iframe of its own pages, so ``frame-ancestors`` lists each active
platform's issuer origin and the origin of its login URL (where the issuer is shared by many
schools, as Canvas's ``https://canvas.instructure.com``, the school's own host goes into
``FRAME_ANCESTORS_EXTRA``, e.g. ``https://*.instructure.com``). Every response carries the header,
so each process keeps the list for ``REGISTRY_CACHE_SECONDS`` and drops it at once when this
process changes a platform; another process's change arrives within that time.
"""

from __future__ import annotations

import re
import threading
import time
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session, object_session

from lti_tool.db import db, listen_once
from lti_tool.launch.models import Platform, PlatformStatus

# A host as CSP writes it: DNS labels (a leading "*." in settings only) or an IPv6 address.
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_HOST = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*|[0-9a-f:.]*:[0-9a-f:.]*")
_DEFAULT_PORTS = {"http": 80, "https": 443}

_lock = threading.Lock()
_generation = 0  # counts the commits of this process that changed a platform row


def origin(url: str, *, wildcard: bool = False) -> str | None:
    """``scheme://host[:port]`` of ``url``, or None when it is not a plain http(s) URL.

    Rebuilt from the parsed parts, never copied, so no stored URL can add words to the policy."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in _DEFAULT_PORTS or not host or not _HOST.fullmatch(host):
        return None
    if host.startswith("*.") and not wildcard:
        return None
    if ":" in host:
        host = f"[{host}]"  # urlsplit drops the brackets of an IPv6 literal
    suffix = f":{port}" if port and port != _DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{suffix}"


def check_extra(app: Flask) -> None:
    """Refuse to start with an ``FRAME_ANCESTORS_EXTRA`` entry that is not a bare origin."""
    for entry in app.config.get("FRAME_ANCESTORS_EXTRA") or []:
        parts = urlsplit(entry.strip()) if isinstance(entry, str) else None
        bare = parts is not None and parts.path in ("", "/") and not (parts.query or parts.fragment)
        if not bare or "@" in entry or origin(entry, wildcard=True) is None:
            raise ValueError(
                f"FRAME_ANCESTORS_EXTRA must list origins such as https://lms.example.edu or "
                f"https://*.instructure.com (scheme, host, optional port; no path), not {entry!r}."
            )


def frame_ancestors() -> list[str]:
    """The sources of the ``frame-ancestors`` directive, ``'self'`` first."""
    config = current_app.config
    extra = tuple(origin(e, wildcard=True) or "" for e in config.get("FRAME_ANCESTORS_EXTRA") or [])
    memo = current_app.extensions.get("ritmo_frame_ancestors")
    now = time.monotonic()
    if memo is None or memo[0] != _generation or now - memo[1] >= config["REGISTRY_CACHE_SECONDS"]:
        generation = _generation
        try:
            memo = (generation, now, _platform_origins())
        except sa.exc.SQLAlchemyError:
            # The database is away (``/health`` says so) or not migrated: keep what was known and
            # try again on the next request; the header must not turn the answer into a 500.
            memo = (-1, now, memo[2] if memo else ())
        current_app.extensions["ritmo_frame_ancestors"] = memo
    sources = ["'self'"]
    for source in (*memo[2], *extra):
        if source and source not in sources:
            sources.append(source)
    return sources


def _platform_origins() -> tuple[str, ...]:
    query = sa.select(Platform.issuer, Platform.auth_login_url).where(
        Platform.status == PlatformStatus.ACTIVE
    )
    # Its own connection: the header is added after the view, whatever state its session is in.
    with db.engine.connect() as conn:
        rows = conn.execute(query).all()
    found = (origin(url) for row in rows for url in row)
    return tuple(sorted({o for o in found if o}))


def _changed(_mapper: object, _connection: object, target: Platform) -> None:
    session = object_session(target)
    if session is not None:
        session.info[_CHANGED] = True


def _committed(session: Session) -> None:
    # Counted at commit, not at flush: a list read before the commit would miss the change.
    global _generation
    if session.info.pop(_CHANGED, False):
        with _lock:
            _generation += 1


_CHANGED = "ritmo_platforms_changed"


def listen() -> None:
    """Count committed changes to platforms, so every process rebuilds its origin list (once)."""
    for name in ("after_insert", "after_update", "after_delete"):
        listen_once(Platform, name, _changed)
    listen_once(Session, "after_commit", _committed)
