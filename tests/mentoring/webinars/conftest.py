from __future__ import annotations

from collections.abc import Iterator

import pytest

from lti_tool.events import DomainEvent, subscribe, unsubscribe
from tests.launch.test_deep_linking import demo  # noqa: F401 - the demo LMS (Ritmo over HTTP: ``ritmo``)
from tests.mentoring.webinars.factory import Mailbox, World, make_world


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
def app_config(mailbox: Mailbox) -> dict[str, object]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": mailbox.port, "MAIL_FROM": "Ritmo <ritmo@example.edu>"}


@pytest.fixture
def world(app, mailbox: Mailbox) -> World:
    mailbox.messages.clear()
    return make_world()


@pytest.fixture
def events() -> Iterator[list[DomainEvent]]:
    """Every domain event emitted during the test."""
    seen: list[DomainEvent] = []

    def record(event: DomainEvent) -> None:
        seen.append(event)

    subscribe("*", record)
    yield seen
    unsubscribe("*", record)
