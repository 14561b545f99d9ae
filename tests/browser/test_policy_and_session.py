"""In Chromium, inside the demo LMS: Ritmo's pages run under its Content-Security-Policy without a
single violation, and following links, sending forms and going back never puts the session token
in a URL (the frame only ever asks for one-time codes)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.frames import wait_for_ritmo

pytestmark = pytest.mark.browser

WAIT = 60000


def _watch(page):
    console: list[str] = []
    requests: list[str] = []
    def noted(message) -> None:
        if message.type in {"error", "warning"}:
            console.append(f"{message.type}: {message.text}")

    page.on("console", noted)
    page.on("request", lambda r: requests.append(r.url))
    return console, requests


def _settled(tool, path: str) -> None:
    tool.wait_for_url(lambda url: urlsplit(url).path == path, timeout=WAIT)
    tool.wait_for_load_state("load", timeout=WAIT)
    tool.locator("main").wait_for(timeout=WAIT)


def test_pages_run_under_the_policy_and_no_url_carries_the_session(browser, stack):
    context = browser.new_context()
    page = context.new_page()
    console, requests = _watch(page)
    try:
        page.goto(f"{stack.lms_url}/demo/launch?user=u-instructor")
        tool = page.frame(name="ritmo-tool")
        assert tool is not None
        tool.locator("nav.features").wait_for(timeout=WAIT)  # framed: frame-ancestors names the LMS
        token = tool.locator('meta[name="ritmo-session"]').get_attribute("content")
        assert token
        home = urlsplit(tool.url).path
        hrefs = tool.locator("nav.features a:not([download])").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert len(hrefs) >= 8
        for href in hrefs:
            tool.locator(f'nav.features a[href="{href}"]').click()
            _settled(tool, href)
            assert tool.locator(".error[data-status]").count() == 0, (href, tool.inner_text("main"))
            # Back to a URL whose code was spent: the page opens itself again with the tab's session.
            tool.evaluate("history.back()")
            _settled(tool, home)
            tool.locator("nav.features").wait_for(timeout=WAIT)

        # A GET form (the participants search) and a POST form with a redirect (e-mail settings).
        participants = next(h for h in hrefs if h.endswith("/participants"))
        tool.locator(f'nav.features a[href="{participants}"]').click()
        _settled(tool, participants)
        tool.fill('form.search input[name="q"]', "learner")
        tool.locator("form.search").evaluate("form => form.requestSubmit()")
        tool.wait_for_url(lambda url: "q=learner" in url, timeout=WAIT)
        tool.locator("main").wait_for(timeout=WAIT)
        assert tool.locator(".error[data-status]").count() == 0, tool.inner_text("main")

        wait_for_ritmo(tool, WAIT)
        tool.evaluate("Ritmo.go('/notifications/preferences')")
        _settled(tool, "/notifications/preferences")
        tool.locator('input[name="email"][value="digest"]').check()
        tool.locator('form button[type="submit"]').first.click()
        tool.wait_for_url(lambda url: "saved=1" in url, timeout=WAIT)
        tool.locator("main").wait_for(timeout=WAIT)
        assert tool.locator(".error[data-status]").count() == 0, tool.inner_text("main")
        assert tool.locator('input[name="email"][value="digest"]').is_checked()

        leaked = [url for url in requests if token in url]
        assert leaked == []
        assert any("rh=" in url for url in requests)  # the links did carry the session, as codes
        violations = [line for line in console if "Content Security Policy" in line or "Refused" in line]
        assert violations == []
    finally:
        context.close()


def test_the_learner_pages_run_under_the_policy(browser, stack):
    context = browser.new_context()
    page = context.new_page()
    console, _ = _watch(page)
    try:
        page.goto(f"{stack.lms_url}/demo/launch?user=u-learner-01")
        tool = page.frame(name="ritmo-tool")
        assert tool is not None
        tool.locator("nav.features").wait_for(timeout=WAIT)
        hrefs = tool.locator("nav.features a:not([download])").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        for href in hrefs:
            wait_for_ritmo(tool, WAIT)
            tool.evaluate(f"Ritmo.go({href!r})")
            _settled(tool, urlsplit(href).path)
            assert tool.locator(".error[data-status='401']").count() == 0, href
        violations = [line for line in console if "Content Security Policy" in line or "Refused" in line]
        assert violations == []
    finally:
        context.close()
