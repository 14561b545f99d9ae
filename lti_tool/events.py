"""One small event interface between features.

A feature emits a named event (``meeting.held``, ``webinar.attended``...) with plain values; other
features subscribe without the emitter knowing them. Handlers run synchronously inside the emitter's
transaction, so an event and everything it causes commit or roll back together. Features subscribe
from their ``init_app``; subscribing a handler twice keeps one subscription, so many apps built in
one process do not multiply handlers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lti_tool.db import utcnow


@dataclass(frozen=True)
class DomainEvent:
    name: str
    programme_id: int
    match_id: int | None = None
    participant_id: int | None = None
    actor_user_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)


Handler = Callable[[DomainEvent], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str, handler: Handler) -> None:
    """Call ``handler`` for events called ``name`` (``"*"`` receives every event); idempotent."""
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def unsubscribe(name: str, handler: Handler) -> None:
    """Stop calling ``handler`` for ``name`` (no-op when it was not subscribed)."""
    if handler in _handlers.get(name, ()):
        _handlers[name].remove(handler)


def emit(event: DomainEvent) -> None:
    for handler in (*_handlers.get(event.name, ()), *_handlers.get("*", ())):
        handler(event)
