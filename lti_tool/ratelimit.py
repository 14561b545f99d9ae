"""Fixed-window rate limits shared by every server process (through the shared cache)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, request

from lti_tool.errors import TooManyRequests

F = TypeVar("F", bound=Callable[..., Any])


def hit(bucket: str, per_minute: int) -> None:
    """Count one hit for ``bucket`` in the current minute; raise 429 past ``per_minute``."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    window = int(time.time() // 60)
    key = f"rl:{bucket}:{window}"
    counter = current_app.extensions["ritmo_counter"]
    if counter.incr(key, 120) > per_minute:
        retry_after = 60 - int(time.time() % 60)
        raise TooManyRequests(headers={"Retry-After": str(retry_after)})


def limit(name: str, key: Callable[[], str] | None = None) -> Callable[[F], F]:
    """Limit a view per client address (or per ``key()``, e.g. the session's user) to the
    ``RATELIMIT_<NAME>`` setting (per minute), declared in ``config/default.py``."""
    setting = f"RATELIMIT_{name.upper()}"

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            who = key() if key else (request.remote_addr or "unknown")
            hit(f"{name}:{who}", current_app.config[setting])
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


class MemoryCounter:
    """Per-process counters: good enough for one embedded server process."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, ttl: int) -> int:
        now = time.monotonic()
        count, expires = self._counts.get(key, (0, now + ttl))
        if expires < now:
            count, expires = 0, now + ttl
        self._counts[key] = (count + 1, expires)
        if len(self._counts) > 50_000:
            self._counts = {k: v for k, v in self._counts.items() if v[1] >= now}
        return count + 1


class RedisCounter:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2)

    def incr(self, key: str, ttl: int) -> int:
        pipe = self.client.pipeline()
        pipe.incr("ritmo:" + key)
        pipe.expire("ritmo:" + key, ttl)
        return int(pipe.execute()[0])


def init_ratelimit(app: Any) -> None:
    url = app.config["REDIS_URL"]
    app.extensions["ritmo_counter"] = RedisCounter(url) if url else MemoryCounter()
