from __future__ import annotations

from collections.abc import Iterator

import pytest

from lti_tool.launch import registry
from tests.lti_platform import PlatformServer, TestPlatform


@pytest.fixture(scope="session")
def platform_server() -> Iterator[PlatformServer]:
    server = PlatformServer(lambda url: TestPlatform(issuer=url))
    yield server
    server.close()


@pytest.fixture
def platform(app, platform_server: PlatformServer) -> TestPlatform:
    """A registered test platform (fresh registration per test, same key and server)."""
    registry.add_platform(platform_server.platform.registration())
    return platform_server.platform
