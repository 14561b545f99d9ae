"""A grade delivery worker in a process of its own, for tests that kill it (``kill -9``)."""

from __future__ import annotations

from typing import Any

from lti_tool import create_app
from lti_tool.grades import delivery


def deliver(config: dict[str, Any], platform_id: int) -> None:
    """What a ``grades.deliver`` job does, in a fresh app: claim, post, record."""
    app = create_app(config)
    with app.app_context():
        delivery.deliver_platform(platform_id)
