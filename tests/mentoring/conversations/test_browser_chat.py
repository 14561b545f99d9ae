"""In Chromium: two people chat in their match space and see each other's messages arrive live."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from flask import Flask

from lti_tool.demo.server import ServerHandle, serve_in_thread
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


class InFlight:
    """WSGI wrapper counting requests in progress, so teardown can wait for waiting polls to end."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.active = 0
        self.idle = threading.Condition()

    def __call__(self, environ, start_response):
        with self.idle:
            self.active += 1
        try:
            body = self.app(environ, start_response)
            try:
                return list(body)
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
        finally:
            with self.idle:
                self.active -= 1
                self.idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self.idle:
            return self.idle.wait_for(lambda: self.active == 0, timeout)


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


@pytest.fixture
def ritmo(app: Flask) -> Iterator[ServerHandle]:
    tracked = InFlight(app)
    handle = serve_in_thread(tracked, "127.0.0.1", 0)
    app.config["BASE_URL"] = handle.url
    yield handle
    handle.shutdown()
    # A poll still waiting would otherwise hold a database connection past the test's end.
    assert tracked.wait_idle(30), "requests still running after the pages closed"


def test_chat_messages_arrive_live_and_render_safely(app, world: World, ritmo, chromium) -> None:
    url = f"{ritmo.url}/matches/{world.match.id}/space"
    mentor = chromium.new_context().new_page()  # type: ignore[attr-defined]
    mentee = chromium.new_context().new_page()  # type: ignore[attr-defined]
    try:
        mentor.goto(f"{url}?rh={rh(world.token(world.mentor))}")
        mentee.goto(f"{url}?rh={rh(world.token(world.mentee))}")
        assert "coordinators can also read it" in mentee.inner_text("[data-privacy]")
        mentee.fill("[data-chat] textarea", "Hello **Marta** <img src=x onerror=window.pwned=1>")
        mentee.click("[data-chat] button[type=submit]")
        # The mentor's page was loaded before the message existed: it arrives by long polling.
        mentor.wait_for_function(INCLUDES, arg="Hello Marta")
        arrived = mentor.locator("[data-chat] li .rs-body").last
        assert arrived.inner_html().startswith("<p>Hello <strong>Marta</strong> &lt;img")
        assert mentor.evaluate("window.pwned === undefined")
        mentor.fill("[data-chat] textarea", "Hi Ben!")
        mentor.click("[data-chat] button[type=submit]")
        mentee.wait_for_function(INCLUDES, arg="Hi Ben!")
        # Nothing was sent twice: the sender's own message is not repeated by its poll.
        assert mentee.locator("[data-chat] li[data-message]").count() == 2
    finally:
        mentor.close()
        mentee.close()
