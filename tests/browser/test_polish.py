"""Polish that people meet every week (issue 19, item 7): Enter sends a chat message and Shift+Enter
starts a new line; the LMS frame grows to Ritmo's page (LTI ``lti.frameResize``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.conversations.models import ChatMessage
from tests.mentoring.conversations.factories import make_world
from tests.session_codes import rh

pytestmark = pytest.mark.browser

TIMEOUT = 60000
SCREENSHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"


def test_enter_sends_the_chat_and_shift_enter_makes_a_new_line(app, ritmo, browser) -> None:
    world = make_world()
    token, match_id = world.token(world.mentee), world.match.id
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{ritmo.url}/matches/{match_id}/space?rh={rh(token)}")
        field = page.locator("#chat textarea")
        sent = page.locator("#chat li[data-message]")
        before = sent.count()
        field.press("Enter")  # nothing written: nothing sent
        field.type("Hello Marta")
        field.press("Shift+Enter")
        field.type("shall we meet on Tuesday?")
        assert field.input_value() == "Hello Marta\nshall we meet on Tuesday?"
        assert sent.count() == before
        field.press("Enter")
        page.locator("#chat li[data-message]", has_text="shall we meet").wait_for(timeout=TIMEOUT)
        assert field.input_value() == ""
        db.session.remove()
        bodies = db.session.scalars(sa.select(ChatMessage.body).where(ChatMessage.match_id == match_id)).all()
        assert bodies == ["Hello Marta\nshall we meet on Tuesday?"]
    finally:
        context.close()


def test_the_lms_frame_fits_ritmos_page(browser, stack) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 700})
    try:
        page = context.new_page()
        page.goto(f"{stack.lms_url}/demo/launch?user=u-instructor")
        frame = page.frame_locator("#tool-frame")
        frame.locator("[data-stat='mentees']").wait_for(timeout=TIMEOUT)
        iframe = page.locator("#tool-frame[data-resized-to]")
        iframe.wait_for(timeout=TIMEOUT)
        tool = page.frame(name="ritmo-tool")
        content = tool.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
        page.wait_for_function(
            "h => Math.abs(document.getElementById('tool-frame').clientHeight - h) <= 4",
            arg=content,
            timeout=TIMEOUT,
        )
        page.screenshot(path=str(SCREENSHOTS / "frame-fits-page.png"), full_page=True)
        # The page scrolls as one: nothing is left to scroll inside the frame.
        assert tool.evaluate("document.documentElement.scrollHeight - window.innerHeight") <= 4
        # A taller page asks again.
        tool.evaluate(
            "() => { const p = document.createElement('div'); p.style.height = '1500px';"
            " document.querySelector('main').appendChild(p); }"
        )
        page.wait_for_function(
            "h => document.getElementById('tool-frame').clientHeight >= h + 1400",
            arg=content,
            timeout=TIMEOUT,
        )
    finally:
        context.close()
