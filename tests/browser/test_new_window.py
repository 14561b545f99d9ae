"""Ritmo in a new window, with third-party cookies blocked, the LMS on another site (issue 19).

The demo LMS runs on ``localhost`` and Ritmo on ``127.0.0.1``; Chromium blocks third-party cookies
(``--test-third-party-cookie-phaseout``, see ``conftest.py``). A new window is a top-level context,
so Ritmo's login state cookie is first-party there; the platform's cross-site ``form_post`` must
still carry it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

TIMEOUT = 60000


@pytest.fixture
def stack_without_storage(migrated: str, tmp_path: Path):
    # As Open edX: no ``lti_storage_target``, so the frame cannot prove the login state.
    from tests.servers import demo_stack

    with demo_stack(migrated, tmp_path, platform_storage=False) as running:
        yield running


def _launched(page) -> None:
    page.locator("h1").wait_for(timeout=TIMEOUT)
    assert "Mentoring 101" in page.locator("h1").inner_text()
    page.locator("#whoami").click()
    page.locator("#whoami-result[data-state='ok']").wait_for(timeout=TIMEOUT)


def test_lms_new_window_link_launches_without_third_party_cookies(browser, stack):
    context = browser.new_context()
    statuses: list[int] = []
    context.on("response", lambda r: statuses.append(r.status) if r.url.endswith("/lti/launch") else None)
    try:
        page = context.new_page()
        page.goto(f"{stack.lms_url}/demo/launch-window?user=u-learner-01")
        with context.expect_page() as opened:
            page.locator("#tool-link").click()
        window = opened.value
        _launched(window)
        assert window.url.startswith(stack.tool_url)
        assert statuses == [200, 200]  # relayed once (a Lax cookie over http), then opened
        # The state cookie was spent by a first-party launch; the page's session is no cookie.
        assert not [
            c for c in context.cookies() if not c["name"].startswith("lti1p3-") and c["domain"] == "127.0.0.1"
        ]
    finally:
        context.close()


def test_ritmo_button_opens_the_same_page_in_a_new_window(browser, stack):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{stack.lms_url}/demo/launch?user=u-learner-01")
        frame = page.frame_locator("#tool-frame")
        frame.locator("h1").wait_for(timeout=TIMEOUT)
        frame_url = page.frame(name="ritmo-tool").url.split("?")[0]
        button = frame.locator("#open-window")
        button.wait_for(state="visible", timeout=TIMEOUT)
        with context.expect_page() as opened:
            button.click()
        window = opened.value
        _launched(window)
        window.wait_for_function("() => !location.search.includes('rh=')", timeout=TIMEOUT)
        assert window.url.split("?")[0] == frame_url
        # At top level there is no frame to leave: the button is not offered.
        assert not window.locator("#open-window").is_visible()
    finally:
        context.close()


def test_without_platform_storage_the_frame_offers_a_new_window(browser, stack_without_storage):
    stack = stack_without_storage
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{stack.lms_url}/demo/launch?user=u-learner-01")
        frame = page.frame_locator("#tool-frame")
        button = frame.locator("#open-window")
        button.wait_for(state="visible", timeout=TIMEOUT)
        assert "new window" in frame.locator("main").inner_text()
        with context.expect_page() as opened:
            button.click()
        window = opened.value
        _launched(window)
        assert window.url.startswith(stack.tool_url)
        frame.locator("[data-opened-elsewhere]").wait_for(state="visible", timeout=TIMEOUT)
    finally:
        context.close()


def test_without_platform_storage_the_new_window_link_works(browser, stack_without_storage):
    stack = stack_without_storage
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{stack.lms_url}/demo/launch-window?user=u-instructor")
        with context.expect_page() as opened:
            page.locator("#tool-link").click()
        window = opened.value
        window.locator("[data-stat='mentees']").wait_for(timeout=TIMEOUT)
    finally:
        context.close()
