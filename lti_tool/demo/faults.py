"""Fault injection for the AGS and token endpoints (outages, flaky 5xx, rate limits)."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from flask import Response, jsonify

TARGETS = ("ags", "token", "nrps")


@dataclass
class FaultSettings:
    """What to break; all zero/None means "healthy"."""

    fail_rate: float = 0.0
    status: int = 500
    down_until: float | None = None  # epoch seconds
    retry_after: int | None = None
    rate_limit_every: int = 0  # every Nth targeted request answers 429
    seed: int | None = None
    delay_seconds: float = 0.0  # every targeted request is answered this much later (a slow LMS)
    targets: list[str] = field(default_factory=lambda: ["ags", "token"])

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> FaultSettings:
        """Validate user input (config or POST /demo/faults); raises ValueError."""
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(unknown)}")
        s = cls(**data)
        if isinstance(s.fail_rate, bool) or not isinstance(s.fail_rate, int | float):
            raise ValueError("fail_rate must be a number")
        if not 0.0 <= s.fail_rate <= 1.0:
            raise ValueError("fail_rate must be between 0 and 1")
        if not isinstance(s.status, int) or not 400 <= s.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if s.down_until is not None and not isinstance(s.down_until, int | float):
            raise ValueError("down_until must be epoch seconds")
        if s.retry_after is not None and (not isinstance(s.retry_after, int) or s.retry_after < 0):
            raise ValueError("retry_after must be a non-negative integer")
        if not isinstance(s.rate_limit_every, int) or s.rate_limit_every < 0:
            raise ValueError("rate_limit_every must be a non-negative integer")
        if isinstance(s.delay_seconds, bool) or not isinstance(s.delay_seconds, int | float):
            raise ValueError("delay_seconds must be a number")
        if not 0.0 <= s.delay_seconds <= 60.0:
            raise ValueError("delay_seconds must be between 0 and 60")
        if s.seed is not None and not isinstance(s.seed, int):
            raise ValueError("seed must be an integer")
        if not isinstance(s.targets, list) or not set(s.targets) <= set(TARGETS):
            raise ValueError(f"targets must be a list drawn from {TARGETS}")
        return s


class FaultInjector:
    """Decides per request whether to fail; deterministic when a seed is set."""

    def __init__(
        self, settings: Mapping[str, Any] | None = None, clock: Callable[[], float] = time.time
    ):
        self._lock = threading.Lock()
        self._clock = clock
        self.injected = 0
        self.configure(settings or {})

    def configure(self, settings: Mapping[str, Any]) -> FaultSettings:
        """Replace all settings (missing keys fall back to healthy defaults)."""
        parsed = FaultSettings.parse(settings)
        with self._lock:
            self.settings = parsed
            # Not for security: a reproducible stream of coin flips.
            self._rng = random.Random(parsed.seed)  # noqa: S311
            self._counter = 0
        return parsed

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {**asdict(self.settings), "injected": self.injected, "now": self._clock()}

    def check(self, target: str) -> Response | None:
        """Return an error response to send instead of serving, or None (after the delay)."""
        with self._lock:
            delay = self.settings.delay_seconds if target in self.settings.targets else 0.0
        if delay:
            time.sleep(delay)  # outside the lock: concurrent requests are slow side by side
        with self._lock:
            s = self.settings
            if target not in s.targets:
                return None
            self._counter += 1
            now = self._clock()
            if s.down_until is not None and now < s.down_until:
                down_wait = math.ceil(s.down_until - now)
                wait = s.retry_after if s.retry_after is not None else down_wait
                return self._fail(503, "platform is down for maintenance", wait)
            if s.rate_limit_every and self._counter % s.rate_limit_every == 0:
                return self._fail(429, "rate limit exceeded", s.retry_after or 1)
            if s.fail_rate and self._rng.random() < s.fail_rate:
                hint = s.retry_after if s.status in (429, 503) else None
                return self._fail(s.status, "injected failure", hint)
            return None

    def _fail(self, status: int, message: str, retry_after: int | None) -> Response:
        self.injected += 1
        resp = jsonify(error="temporarily_unavailable", error_description=f"demo LMS: {message}")
        resp.status_code = status
        if retry_after is not None:
            resp.headers["Retry-After"] = str(retry_after)
        return resp
