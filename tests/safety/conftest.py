from __future__ import annotations

from tests.launch.conftest import platform, platform_server  # noqa: F401 - launches from a test LMS
