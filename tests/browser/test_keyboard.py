"""In Chromium, inside the demo LMS's frame, with the keyboard alone: Enter follows a link, a search
typed into the participants' (GET) form and sent with Enter lists the person searched for, and Tab
reaches every control of the page in document order with a visible focus."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

WAIT = 60_000

# The page's controls a keyboard user must reach, in document order, as "tag#id|name|text".
CONTROLS = """
() => [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea")]
  .filter(e => !e.disabled && e.tabIndex >= 0 && e.offsetParent !== null)
  .map(e => e.outerHTML.slice(0, 120))
"""
FOCUSED = """
() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const style = getComputedStyle(e);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const visible = outline || style.boxShadow !== "none";
  return {html: e.outerHTML.slice(0, 120), visible};
}
"""


def tab_through(page, tool, count: int) -> list[dict]:
    seen = []
    for _ in range(count):
        page.keyboard.press("Tab")
        focused = tool.evaluate(FOCUSED)
        if focused is None:  # left the frame
            break
        seen.append(focused)
    return seen


def focus_frame(page, tool) -> None:
    """Put the keyboard in Ritmo's frame, before its first control (as Tab from the LMS would)."""
    page.locator("#tool-frame").focus()
    tool.evaluate("() => { document.activeElement && document.activeElement.blur(); window.focus(); }")


def test_a_coordinator_works_the_participants_page_by_keyboard(browser, stack) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{stack.lms_url}/demo/launch?user=u-instructor")
        tool = page.frame(name="ritmo-tool")
        assert tool is not None
        tool.locator("nav.features").wait_for(timeout=WAIT)
        participants = tool.locator("nav.features a[href$='/participants']")
        href = participants.get_attribute("href")

        # Enter on a focused link follows it (with a one-time code, as a click does).
        focus_frame(page, tool)
        for _ in range(40):
            page.keyboard.press("Tab")
            if tool.evaluate("() => document.activeElement.getAttribute('href')") == href:
                break
        else:
            pytest.fail("Tab never reached the participants link")
        with page.expect_event("framenavigated", timeout=WAIT):
            page.keyboard.press("Enter")
        tool.locator("form.search").wait_for(timeout=WAIT)
        assert urlsplit(tool.url).path == href

        # The search form, by keyboard: Tab to the field, type, Enter sends it (a GET form).
        focus_frame(page, tool)
        for _ in range(40):
            page.keyboard.press("Tab")
            if tool.evaluate("() => document.activeElement.name") == "q":
                break
        else:
            pytest.fail("Tab never reached the search field")
        page.keyboard.type("Instructor")
        with page.expect_event("framenavigated", timeout=WAIT):
            page.keyboard.press("Enter")
        tool.locator("main table").wait_for(timeout=WAIT)
        assert parse_qs(urlsplit(tool.url).query).get("q") == ["Instructor"]
        assert tool.locator(".error[data-status]").count() == 0
        assert "Irene" in tool.locator("main table").inner_text()

        # On the fresh page, Tab visits every control, in order, each with a visible focus.
        controls = tool.evaluate(CONTROLS)
        assert len(controls) >= 5
        focus_frame(page, tool)
        visited = tab_through(page, tool, len(controls))
        assert [v["html"] for v in visited] == controls
        assert [v["html"] for v in visited if not v["visible"]] == []
    finally:
        context.close()
