"""The demo LMS launches Ritmo in a cross-site iframe, with third-party cookies blocked."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"
SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def open_course_as(browser, stack, user: str):
    context = browser.new_context()
    page = context.new_page()
    launches: list[str] = []
    page.on("request", lambda r: launches.append(r.method) if r.url.endswith("/lti/launch") else None)
    page.goto(f"{stack.lms_url}/demo/launch?user={user}")
    frame = page.frame_locator("#tool-frame")
    return context, page, frame, launches


def test_learner_launch_works_in_iframe_without_cookies(browser, stack):
    context, page, frame, launches = open_course_as(browser, stack, "u-learner-01")
    try:
        frame.locator("h1").wait_for(timeout=60000)
        assert "Mentoring 101" in frame.locator("h1").inner_text()
        assert "mentee" in frame.locator("main").inner_text()
        # The state was proven through platform storage, not a cookie: two launch posts.
        assert launches.count("POST") == 2
        # The page works: it calls the API with its session token.
        frame.locator("#whoami").click()
        result = frame.locator("#whoami-result")
        frame.locator("#whoami-result[data-state='ok']").wait_for(timeout=60000)
        # In her language (the launch's locale is Italian), not the API's value "participant".
        assert result.inner_text() == "Giulia Bianchi · partecipante"
        # No cookie was needed by Ritmo after the launch.
        tool_cookies = [c for c in context.cookies() if c["domain"] == "127.0.0.1"]
        assert not [c for c in tool_cookies if not c["name"].startswith("lti1p3-")]
        page.screenshot(path=str(SCREENSHOTS / "learner-launch.png"))
    finally:
        context.close()


def test_instructor_sees_coordinator_page(browser, stack):
    context, _page, frame, _ = open_course_as(browser, stack, "u-instructor")
    try:
        frame.locator("[data-stat='mentees']").wait_for(timeout=60000)
        assert "coordinate" in frame.locator("main").inner_text()
    finally:
        context.close()
