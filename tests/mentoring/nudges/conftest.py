from __future__ import annotations

from tests.mentoring.meetings.conftest import app_config, mailbox, smtp, world  # noqa: F401 - shared fixtures
