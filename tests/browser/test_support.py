"""In Chromium: a participant asks for help from the support page (the real form), a coordinator takes
and answers the request, and the participant follows it: reads the answer, replies, and closes it.

Pages open with a one-time code (``?rh=``) as after a link; ritmo.js carries the session into the
form posts and through the links between pages.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from lti_tool.db import db
from lti_tool.mentoring.support.models import RequestStatus, SupportRequest
from tests.mentoring.conversations.factories import make_world
from tests.session_codes import rh

pytestmark = pytest.mark.browser


def test_a_participant_opens_and_follows_a_support_request(app, ritmo, browser):
    world = make_world()
    mentee, coordinator = browser.new_context(), browser.new_context()  # type: ignore[attr-defined]
    try:
        # The mentee finds "Help and support" on the programme home and asks about their match.
        page = mentee.new_page()
        page.goto(f"{ritmo.url}/programme?rh={rh(world.token(world.mentee))}")
        page.click("#open-help")
        page.wait_for_selector("#ask-form")
        page.fill("#subject", "My mentor has not answered")
        page.fill("#body", "I wrote **twice** last week. <script>alert(1)</script>")
        page.fill("#links", "https://docs.example/my-notes")
        page.select_option("#match_id", str(world.match.id))
        page.click("#send-request")
        page.wait_for_selector("#request[data-status=open]")
        assert page.locator("h1").inner_text() == "My mentor has not answered"
        first = page.locator("#messages > li").first
        assert first.locator("strong", has_text="twice").count() == 1
        assert "<script>alert(1)</script>" in first.locator(".rs-body").inner_text()  # shown as text
        assert first.locator("a[href='https://docs.example/my-notes']").count() == 1

        db.session.expire_all()
        request = db.session.execute(sa.select(SupportRequest)).scalar_one()
        assert (request.requester_user_id, request.match_id) == (world.mentee.id, world.match.id)

        # The coordinator opens it from the queue, takes it and answers.
        desk = coordinator.new_page()
        desk.goto(f"{ritmo.url}/support/queue?rh={rh(world.token(world.coordinator))}")
        desk.click(f"#queue tr[data-request='{request.id}'] a")
        desk.wait_for_selector("#assignment")
        desk.click("#assign-me")
        expect(desk.locator("#request")).to_contain_text("Handled by Cora Coordinator")
        desk.fill("#body", "I have written to your mentor. Tell me if nothing changes by Friday.")
        desk.click("#send-reply")
        desk.wait_for_selector("#request[data-status=answered]")

        # The mentee follows the request from their list: the answer is there; they reply, then close.
        page.goto(f"{ritmo.url}/support?rh={rh(world.token(world.mentee))}")
        assert (
            page.locator(f"#my-requests [data-request='{request.id}'] [data-status]").inner_text()
            == "answered"
        )
        page.click(f"#my-requests [data-request='{request.id}'] a")
        page.wait_for_selector("#messages > li[data-from-support=yes]")
        assert "written to your mentor" in page.locator("#messages > li[data-from-support=yes]").inner_text()
        page.fill("#body", "They answered, thank you!")
        page.click("#send-reply")
        page.wait_for_selector("#request[data-status=open]")  # a new message waits for support again
        assert page.locator("#messages > li").count() == 3
        page.once("dialog", lambda dialog: dialog.accept())  # "Close this request?" (ritmo.js asks)
        page.click("#close-request")
        page.wait_for_selector("#request[data-status=closed]")
        assert page.locator("#close-request").count() == 0
    finally:
        mentee.close()
        coordinator.close()

    db.session.expire_all()
    request = db.session.get_one(SupportRequest, request.id)
    assert request.status is RequestStatus.CLOSED
    assert request.assignee_user_id == world.coordinator.id
    assert [m.from_support for m in request.messages] == [False, True, False]


def test_a_refused_request_lists_what_to_correct_and_the_way_back_keeps_what_was_typed(app, ritmo, browser):
    """A form whose page does not show itself again on a refusal: the error page says what is
    wrong, and "Back to the form" returns to the form with everything as typed."""
    world = make_world()
    context = browser.new_context()  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.goto(f"{ritmo.url}/support?rh={rh(world.token(world.mentee))}")
        page.wait_for_selector("#ask-form")
        page.fill("#subject", "Where are the notes?")
        page.fill("#body", "I cannot find them.")
        page.fill("#links", "www.example.com")  # not an address a link can open
        page.click("#send-request")
        alert = page.locator(".error[data-status='422']")
        expect(alert).to_be_visible()
        assert page.locator(".error ul.errors li").count() >= 1
        back = page.locator("[data-back]")
        expect(back).to_be_visible()
        back.click()
        page.wait_for_selector("#ask-form")
        assert page.input_value("#subject") == "Where are the notes?"
        assert page.input_value("#body") == "I cannot find them."
        assert page.input_value("#links") == "www.example.com"
    finally:
        context.close()
    assert db.session.execute(sa.select(sa.func.count()).select_from(SupportRequest)).scalar_one() == 0
