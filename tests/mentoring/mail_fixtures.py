"""A real SMTP server (aiosmtpd) for a test module, and the settings that send Ritmo's mail to it.

A conftest or test module takes them with ``from tests.mentoring.mail_fixtures import app_config,
mailbox, smtp`` (pytest finds fixtures by name in the module that uses them); a module that needs
more settings wraps ``mail_settings`` in its own ``app_config``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from tests.mentoring.conversations.factories import Mailbox, free_port


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp: tuple[Controller, Mailbox]) -> Mailbox:
    smtp[1].clear()
    return smtp[1]


def mail_settings(smtp: tuple[Controller, Mailbox]) -> dict[str, object]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp[0].port, "MAIL_FROM": "Ritmo <ritmo@example.org>"}


@pytest.fixture
def app_config(smtp: tuple[Controller, Mailbox]) -> dict[str, object]:
    return mail_settings(smtp)
