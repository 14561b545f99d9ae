"""Playwright driving Debian's Chromium (no browser download: ``/usr/bin/chromium``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Behave as browsers that block third-party cookies in iframes.
    "--test-third-party-cookie-phaseout",
    # The demo LMS frames Ritmo cross-site. Out-of-process frames stalled now and then on a loaded
    # machine (the frame's renderer stopped answering); one renderer per page does not. Cookie
    # blocking and partitioning do not depend on the process model.
    "--disable-site-isolation-trials",
    "--disable-features=IsolateOrigins,site-per-process",
]


# Module scope: only one Playwright (sync) instance may live at a time in the process.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def stack(migrated: str, tmp_path: Path):
    from tests.servers import demo_stack

    with demo_stack(migrated, tmp_path, platform_storage=True) as running:
        yield running
