"""A link in an e-mail, opened in a browser with no Ritmo session, lands on its page; once.

The e-mail is really sent (over SMTP to an aiosmtpd server) and its link is read from the message
as received. Each visit uses a fresh browser context: no cookies, no storage, no LMS frame.
"""

from __future__ import annotations

import re

import pytest

from lti_tool.db import db
from lti_tool.jobs.runner import drain
from lti_tool.notifications import service
from tests.mentoring.conversations.factories import make_world
from tests.mentoring.mail_fixtures import mail_settings
from tests.mentoring.meetings.conftest import mailbox, smtp  # noqa: F401 - shared fixtures
from tests.notifications.test_email_links import enrol

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(smtp) -> dict[str, object]:  # noqa: F811
    # The space's chat polls; a short poll ends soon after the page closes (the test's teardown
    # waits for what the server is still answering).
    return {**mail_settings(smtp), "CHAT_MAX_WAIT_SECONDS": 2.0}


def test_an_e_mailed_link_opens_the_match_space_once(app, ritmo, mailbox, browser) -> None:  # noqa: F811
    world = make_world()
    enrol(world)
    space = f"/matches/{world.match.id}/space"
    service.notify(
        world.mentee.id,
        "post",
        "Marta answered",
        "Open the space to read it.",
        link=space,
        course_id=world.course.id,
    )
    db.session.commit()
    drain()
    [message] = mailbox.to("ben0@example.org")
    text = message.get_body(("plain",)).get_content()
    found = re.search(re.escape(ritmo.url) + r"/signin/[A-Za-z0-9_-]{43}", text)
    assert found, text
    link = found.group(0)

    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(link)
        assert "Ben Mentee0" in page.locator("main").inner_text()
        with page.expect_navigation():
            page.locator("#signin-continue").click()
        assert page.url.startswith(f"{ritmo.url}{space}")
        assert page.locator("h1").first.inner_text() == "Your match space"
        assert page.locator('meta[name="ritmo-session"]').count() == 1
        # The session carries on: a link on the page opens the next page signed in, as in the LMS.
        with page.expect_navigation(url=re.compile(r".*/matches/\d+/history\?rh=.*")):
            page.locator(f'a[href="/matches/{world.match.id}/history"]').click()
        assert page.locator("h1").first.inner_text() != "Session expired"
        assert "Open Ritmo again" not in page.locator("main").inner_text()
    finally:
        context.close()

    second = browser.new_context()
    try:
        page = second.new_page()
        page.goto(link)
        refused = page.locator("#signin-refused")
        assert "used already" in refused.inner_text()
        assert "Mentoring 101" in refused.inner_text()
        assert page.locator("#signin-renew").count() == 1  # a fresh link can be sent to Ben's address
    finally:
        second.close()
