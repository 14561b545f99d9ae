"""Rate limits shared by every server process (through the shared cache).

Each budget is a sliding window of one minute, estimated from two fixed windows: the hits of the
current minute plus the previous minute's, weighted by how much of it still lies within the last
60 seconds. A fixed window alone would let a burst of twice the budget through across a minute's
boundary.

Anonymous requests are counted per client address: ``request.remote_addr``, which is the peer's
address, or the one ``ProxyFix`` took from ``X-Forwarded-For`` when ``PROXY_FIX`` trusts that
many proxies (``lti_tool.proxy``); a forwarded header is never read otherwise. Signed-in people
are counted per person (:func:`per_person`), wherever they connect from.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, request

from lti_tool.errors import TooManyRequests
from lti_tool.identity.session import current_context

F = TypeVar("F", bound=Callable[..., Any])
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def hit(bucket: str, per_minute: int, now: float | None = None) -> None:
    """Count one hit for ``bucket`` (at ``now``, a Unix time, else the clock's); raise 429 past
    ``per_minute`` in the last 60 seconds."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    now = time.time() if now is None else now
    window, into = divmod(now, 60)
    counter = current_app.extensions["ritmo_counter"]
    current, previous = counter.incr(f"rl:{bucket}:{int(window)}", f"rl:{bucket}:{int(window) - 1}", 120)
    if current + previous * (1 - into / 60) > per_minute:
        # Refused hits count too, so a client that keeps trying keeps waiting.
        raise TooManyRequests(headers={"Retry-After": str(max(1, 60 - int(into)))})


def per_person() -> str:
    """The signed-in person (their platform and user), for :func:`limit`'s ``key``."""
    ctx = current_context()
    return f"{ctx.platform_id}:{ctx.user_id}"


def limit(
    name: str, key: Callable[[], str] | None = None, methods: frozenset[str] | None = None
) -> Callable[[F], F]:
    """Limit a view per client address (or per ``key()``, e.g. :func:`per_person`) to the
    ``RATELIMIT_<NAME>`` setting (per minute), declared in ``config/default.py``; only requests
    with one of ``methods`` count, when given (a page that shows on GET and acts on POST)."""
    setting = f"RATELIMIT_{name.upper()}"

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if methods is None or request.method in methods:
                who = key() if key else (request.remote_addr or "unknown")
                hit(f"{name}:{who}", current_app.config[setting])
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


class MemoryCounter:
    """Per-process counters: good enough for one embedded server process."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, previous: str, ttl: int) -> tuple[int, int]:
        """Count one on ``key``; the counts of ``key`` and ``previous``."""
        now = time.monotonic()
        count, expires = self._counts.get(key, (0, now + ttl))
        if expires < now:
            count, expires = 0, now + ttl
        self._counts[key] = (count + 1, expires)
        before, before_expires = self._counts.get(previous, (0, now))
        if len(self._counts) > 50_000:
            self._counts = {k: v for k, v in self._counts.items() if v[1] >= now}
        return count + 1, before if before_expires >= now else 0


class RedisCounter:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2)

    def incr(self, key: str, previous: str, ttl: int) -> tuple[int, int]:
        """Count one on ``key``; the counts of ``key`` and ``previous``, in one round trip."""
        pipe = self.client.pipeline()
        pipe.incr("ritmo:" + key)
        pipe.expire("ritmo:" + key, ttl)
        pipe.get("ritmo:" + previous)
        count, _, before = pipe.execute()
        return int(count), int(before or 0)


def init_ratelimit(app: Any) -> None:
    url = app.config["REDIS_URL"]
    app.extensions["ritmo_counter"] = RedisCounter(url) if url else MemoryCounter()
