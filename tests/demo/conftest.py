"""The demo LMS's fixtures (a running demo LMS and the tool's keys), shared by the demo's tests."""

from tests.demo.test_demo_lms import demo, platform_pem, tool, tool_key  # noqa: F401
