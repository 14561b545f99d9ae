"""In Chromium: two people chat in their match space and see each other's messages arrive live."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import IN_CI
from tests.mentoring.conversations.factories import World
from tests.session_codes import rh

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


INCLUDES = "text => document.querySelector('[data-chat] ol').innerText.includes(text)"


@pytest.fixture
def app_config() -> dict[str, object]:
    # Short polls, so the requests still waiting when the pages close end soon after.
    return {"CHAT_CHECK_INTERVAL_SECONDS": 0.1, "CHAT_MAX_WAIT_SECONDS": 2.0}


@pytest.fixture
def chromium() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} not installed"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_chat_messages_arrive_live_and_render_safely(app, world: World, ritmo, chromium) -> None:
    url = f"{ritmo.url}/matches/{world.match.id}/space"
    # The mentor reads Italian in Rome's zone, as does the page the server writes for them.
    italian_in_rome = {"locale": "it-IT", "timezone_id": "Europe/Rome"}
    mentor = chromium.new_context(**italian_in_rome).new_page()  # type: ignore[attr-defined]
    mentee = chromium.new_context().new_page()  # type: ignore[attr-defined]
    try:
        mentor.goto(f"{url}?rh={rh(world.token(world.mentor))}")
        mentee.goto(f"{url}?rh={rh(world.token(world.mentee))}")
        assert "coordinators can also read it" in mentee.inner_text("[data-privacy]")
        mentee.fill("[data-chat] textarea", "Hello **Marta** <img src=x onerror=window.pwned=1>")
        mentee.click("[data-chat] button[type=submit]")
        # The mentor's page was loaded before the message existed: it arrives by long polling.
        mentor.wait_for_function(INCLUDES, arg="Hello Marta")
        # Sent by the page's script: the message is not kept for a refused form's way back.
        assert mentee.evaluate("sessionStorage.getItem('ritmo-refused-form')") is None
        arrived = mentor.locator("[data-chat] li .rs-body").last
        assert arrived.inner_html().startswith("<p>Hello <strong>Marta</strong> &lt;img")
        assert mentor.evaluate("window.pwned === undefined")
        mentor.fill("[data-chat] textarea", "Hi Ben!")
        mentor.click("[data-chat] button[type=submit]")
        mentee.wait_for_function(INCLUDES, arg="Hi Ben!")
        # Nothing was sent twice: the sender's own message is not repeated by its poll.
        assert mentee.locator("[data-chat] li[data-message]").count() == 2
        # A message that arrived live shows its time as the server writes it, on an Italian page too.
        live = mentor.locator("[data-chat] li[data-message] .rs-meta").first.inner_text()
        again = chromium.new_context(**italian_in_rome).new_page()  # type: ignore[attr-defined]
        try:
            again.goto(f"{url}?rh={rh(world.token(world.mentor))}")
            assert again.locator("html").get_attribute("lang") == "it"
            served = again.locator("[data-chat] li[data-message] .rs-meta").first.inner_text()
        finally:
            again.close()
        assert live == served, (live, served)
    finally:
        mentor.close()
        mentee.close()
