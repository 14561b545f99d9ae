"""The deep-linking picker in a real browser: inside the demo LMS's cross-site iframe, with
third-party cookies blocked; and the setup page's copy buttons."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def close_stack_connections(stack):
    """The stack's app keeps pooled database connections; close them before it goes away
    (PostgreSQL otherwise reports unclosed connections when the session ends)."""
    yield
    from lti_tool.db import db

    with stack.app.app_context():
        db.engine.dispose()

# Upper bounds only: the machine is shared, so pages may be slow to arrive.
WAIT_MS = 60000


def test_instructor_places_programme_and_learner_opens_it(browser, stack):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{stack.lms_url}/demo/launch?user=u-instructor&message=deeplink")
        frame = page.frame_locator("#tool-frame")
        frame.locator("#picker-form").wait_for(timeout=WAIT_MS)
        choice = frame.locator("input[name='item'][value='programme']")
        assert choice.get_attribute("type") == "checkbox"  # the demo accepts several items
        choice.check()
        frame.locator("#place").click()
        # Ritmo auto-posts the signed response to the LMS, which verifies and places it.
        frame.locator("h1", has_text="Content added").wait_for(timeout=WAIT_MS)
        placements = requests.get(stack.lms_url + "/demo/placements", timeout=5).json()["placements"]
        assert [p["custom"] for p in placements] == [{"ritmo_target": "programme"}]

        page.goto(f"{stack.lms_url}/demo/launch?user=u-learner-01&link={placements[0]['link_id']}")
        frame = page.frame_locator("#tool-frame")
        frame.locator("h1").wait_for(timeout=WAIT_MS)
        assert "Mentoring 101" in frame.locator("h1").inner_text()
    finally:
        context.close()


def test_empty_choice_keeps_the_picker_open(browser, stack):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{stack.lms_url}/demo/launch?user=u-instructor&message=deeplink")
        frame = page.frame_locator("#tool-frame")
        frame.locator("#picker-form").wait_for(timeout=WAIT_MS)
        frame.locator("#place").click()
        frame.locator("#picker-error").wait_for(timeout=WAIT_MS)
        assert "Choose at least one item" in frame.locator("#picker-error").inner_text()
        frame.locator("input[name='item']").first.check()
        frame.locator("#place").click()
        frame.locator("h1", has_text="Content added").wait_for(timeout=WAIT_MS)
    finally:
        context.close()


def test_learner_sees_a_clear_refusal(browser, stack):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{stack.lms_url}/demo/launch?user=u-learner-01&message=deeplink")
        frame = page.frame_locator("#tool-frame")
        frame.locator("section.error").wait_for(timeout=WAIT_MS)
        # u-learner-01 launches with the "it" locale: the refusal is in Italian.
        assert "Solo i docenti possono aggiungere Ritmo" in frame.locator("section.error").inner_text()
        assert frame.locator("#picker-form").count() == 0
    finally:
        context.close()


def test_setup_page_copy_button(browser, stack):
    context = browser.new_context()
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.tool_url)
        page = context.new_page()
        page.goto(f"{stack.tool_url}/lti/setup")
        page.locator("button[data-copy='v-moodle-login']").click()
        page.locator("#copy-status", has_text="Copied").wait_for(timeout=WAIT_MS)
        assert page.evaluate("navigator.clipboard.readText()") == f"{stack.tool_url}/lti/login"
        assert context.cookies() == []
    finally:
        context.close()
