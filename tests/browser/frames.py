"""What the browser tests share about Ritmo's frame inside the demo LMS page."""

from __future__ import annotations

from typing import Any


def wait_for_ritmo(frame: Any, timeout: float) -> None:
    """Wait for ``ritmo.js``: ``main`` is parsed before that deferred script runs, and navigating
    with ``Ritmo.go`` (a one-time code per page, as a click does) needs its ``Ritmo``."""
    frame.wait_for_function("() => window.Ritmo !== undefined", timeout=timeout)
