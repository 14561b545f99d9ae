"""Fixtures of the attention list's tests: a source the test controls, and a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from lti_tool.db import utcnow
from lti_tool.errors import Conflict
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.attention import registry
from lti_tool.mentoring.attention.registry import Action, Item
from lti_tool.mentoring.programmes.models import Programme
from tests.grades.factory import FAST_GRADES
from tests.mentoring.meetings.conftest import mailbox, smtp  # noqa: F401 - shared fixtures

TEST_SOURCE = "test_pairs"


@pytest.fixture
def app_config(smtp) -> dict[str, object]:  # noqa: F811 - the shared SMTP server
    return {
        **FAST_GRADES,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp[0].port,
        "MAIL_FROM": "Ritmo <ritmo@example.org>",
        "NOTIFICATIONS_DIGEST_HOUR_UTC": 7,
    }


@dataclass
class Pairs:
    """A source of the test's making: one item per open pair key, "end" closes a pair."""

    open: dict[str, int] = field(default_factory=dict)  # key -> severity
    since: dict[str, datetime] = field(default_factory=dict)
    acted: list[tuple[int, str, str, dict[str, str]]] = field(default_factory=list)
    broken: bool = False

    def add(self, key: str, severity: int = 1, days: int = 1, now: datetime | None = None) -> None:
        """Opens an item waiting ``days`` before ``now`` (the test's clock, else the real one)."""
        self.open[key] = severity
        self.since[key] = (now or utcnow()) - timedelta(days=days)

    def items(self, programme: Programme, now: datetime) -> list[Item]:
        if self.broken:
            raise RuntimeError("the pairs table is gone")
        return [
            Item(
                source=TEST_SOURCE,
                key=key,
                title=f"Pair {key} has gone quiet",
                reason=f"Nobody wrote for {(now - self.since[key]).days} days.",
                since=self.since[key],
                severity=severity,
                actions=(
                    Action("end", "End the match", destructive=True),
                    Action("message", "Write to the pair", url=f"/pairs/{key}/write"),
                ),
                link=f"/pairs/{key}",
            )
            for key, severity in self.open.items()
        ]

    def act(
        self, ctx: LaunchContext, programme: Programme, key: str, action: str, form: Mapping[str, str]
    ) -> str:
        if form.get("refuse"):
            raise Conflict("This pair cannot end yet.")
        self.acted.append((ctx.user_id, key, action, dict(form)))
        del self.open[key]
        return f"Pair {key} ended."


@pytest.fixture
def pairs(app) -> Iterator[Pairs]:
    source = Pairs()
    registry.register_source(TEST_SOURCE, source.items, source.act, label="Quiet pairs")
    yield source
    registry.unregister_source(TEST_SOURCE)
