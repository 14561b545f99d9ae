from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from tests.mentoring.conversations.factories import Mailbox, World, free_port, make_world


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp) -> Mailbox:
    smtp[1].clear()
    return smtp[1]


@pytest.fixture
def app_config(smtp) -> dict[str, object]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp[0].port, "MAIL_FROM": "Ritmo <ritmo@example.org>"}


@pytest.fixture
def world(app) -> World:
    return make_world()
