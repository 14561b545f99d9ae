"""In Chromium, inside the demo LMS's frame: the LMS's administrator subscribes a receiver to the
platform's events on the webhooks page, sees the signing secret once, follows a delivery the
receiver refused, re-sends it, and the receiver gets the body signed with that secret. A course's
coordinator who opens the page is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.webhooks import delivery
from lti_tool.mentoring.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.browser.frames import wait_for_ritmo
from tests.browser.lived_in import add_lms_admin, seed
from tests.mentoring.webhooks.receiver import serving

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
WAIT = 60_000
PEOPLE = ("u-instructor", "u-mentor-01", "u-learner-01")  # the seed's programme needs them launched


def launch(page, stack, user: str):
    page.goto(f"{stack.lms_url}/demo/launch?user={user}")
    tool = page.frame(name="ritmo-tool")
    assert tool is not None, "the LMS page has no Ritmo frame"
    tool.locator("main").wait_for(timeout=WAIT)
    wait_for_ritmo(tool, WAIT)
    return tool


def go(page, tool, path: str) -> None:
    """Open a Ritmo page in the frame as a link does (a one-time code, no session in the URL)."""
    with page.expect_event("framenavigated", predicate=lambda f: f == tool, timeout=WAIT):
        tool.evaluate("url => Ritmo.go(url)", path)
    tool.wait_for_load_state("load", timeout=WAIT)


def click_and_wait(page, tool, locator) -> None:
    with page.expect_event("framenavigated", predicate=lambda f: f == tool, timeout=WAIT):
        locator.click()
    tool.wait_for_load_state("load", timeout=WAIT)


def deliver(stack) -> None:
    """What the periodic task does every minute, run now."""
    with stack.app.app_context():
        delivery.deliver_due()


def the_delivery(stack) -> tuple[int, DeliveryStatus, int]:
    with stack.app.app_context():
        row = db.session.execute(sa.select(WebhookDelivery)).scalar_one()
        return row.id, row.status, row.attempts


def test_an_lms_admin_subscribes_and_resends_a_refused_delivery(browser, stack) -> None:
    add_lms_admin(stack.lms.app)
    people, admin = browser.new_context(), browser.new_context()
    try:
        page = people.new_page()
        for user in PEOPLE:
            launch(page, stack, user)
        coordinator = launch(page, stack, "u-instructor")

        # A course's coordinator is no LMS administrator: the page refuses them in the frame.
        go(page, coordinator, "/platform/webhooks")
        refusal = coordinator.locator(".error[data-status='403']")
        refusal.wait_for(timeout=WAIT)
        assert "Only the LMS's administrators" in refusal.inner_text()
        assert coordinator.locator("#add-webhook").count() == 0
        page.screenshot(path=str(SCREENSHOTS / "webhooks-refused.png"), full_page=True)

        # The administrator opens the roll-up, follows its link to the webhooks and subscribes.
        desk = admin.new_page()
        tool = launch(desk, stack, "u-lms-admin")
        go(desk, tool, "/platform/kpis")
        click_and_wait(desk, tool, tool.get_by_role("link", name="Webhooks"))
        tool.locator("#add-webhook").wait_for(timeout=WAIT)
        with serving([500, 200]) as receiver:
            form = tool.locator("#add-webhook")
            form.get_by_label("URL (https)").fill(receiver.url)
            form.get_by_label("Description (optional)").fill("Help desk")
            # No event ticked: the form comes back as typed, with what to correct above it.
            click_and_wait(desk, tool, form.get_by_role("button", name="Subscribe"))
            alert = tool.locator(".errors[role=alert]")
            alert.wait_for(timeout=WAIT)
            assert "Choose one or more events." in alert.inner_text()
            # Named as the page names the field, not as the API does.
            assert alert.locator("li[data-field=events] .field-name").inner_text() == "Events"
            assert form.get_by_label("URL (https)").input_value() == receiver.url
            assert form.get_by_label("Description (optional)").input_value() == "Help desk"
            assert tool.locator("#webhook-subscriptions tr[data-subscription]").count() == 0
            desk.screenshot(path=str(SCREENSHOTS / "webhooks-form-error.png"), full_page=True)
            form.locator("input[name=events][value='support.request_opened']").check()
            click_and_wait(desk, tool, form.get_by_role("button", name="Subscribe"))
            tool.locator("#new-secret").wait_for(timeout=WAIT)
            secret = tool.locator("#new-secret [data-secret]").inner_text().strip()
            assert secret.startswith("whsec_")
            row = tool.locator("#webhook-subscriptions tr[data-subscription]")
            assert row.count() == 1 and "Help desk" in row.inner_text()
            assert "support.request_opened" in row.inner_text()
            desk.screenshot(path=str(SCREENSHOTS / "webhooks-secret.png"), full_page=True)

            # Shown once: the page opened again (through the roll-up and back) does not show it.
            click_and_wait(desk, tool, tool.get_by_role("link", name="Every programme"))
            click_and_wait(desk, tool, tool.get_by_role("link", name="Webhooks"))
            tool.locator("#webhook-subscriptions").wait_for(timeout=WAIT)
            assert tool.locator("#new-secret").count() == 0
            assert secret not in tool.content()

            # A real event: the mentee opens a support request (the seed goes through the services).
            seed(stack.app)
            deliver(stack)
            delivery_id, status, attempts = the_delivery(stack)
            assert (status, attempts, len(receiver.received)) == (DeliveryStatus.PENDING, 1, 1)

            # The admin lists the pending deliveries: the refusal is there, with its attempt.
            tool.locator("select[name=status]").select_option("pending")
            click_and_wait(desk, tool, tool.get_by_role("button", name="Show"))
            listed = tool.locator(f"#webhook-deliveries tr[data-delivery='{delivery_id}']")
            listed.wait_for(timeout=WAIT)
            assert listed.get_attribute("data-status") == "pending"
            cells = listed.locator("td").all_inner_texts()
            assert "support.request_opened" in cells[0] and cells[1] == receiver.url
            assert cells[3] == "1" and "500" in cells[5], cells
            assert cells[4], "a pending delivery shows its next try"
            desk.screenshot(path=str(SCREENSHOTS / "webhooks-pending.png"), full_page=True)
            # In the LMS's frame the table fits its card: the answer and the button are not cut off.
            card, table = tool.locator("#webhooks").bounding_box(), listed.bounding_box()
            assert card and table and table["x"] + table["width"] <= card["x"] + card["width"], (card, table)

            # Re-send: due at once, the task runs, the receiver answers 200 this time.
            click_and_wait(desk, tool, listed.get_by_role("button", name="Re-send"))
            tool.locator("#webhook-deliveries").wait_for(timeout=WAIT)
            assert the_delivery(stack)[1:] == (DeliveryStatus.PENDING, 0)
            deliver(stack)
            assert the_delivery(stack)[1:] == (DeliveryStatus.DELIVERED, 1)
            assert len(receiver.received) == 2
            first, got = receiver.received

            # The receiver checks the signature with the secret the page showed, as the docs say.
            body = got.body
            fields = dict(part.split("=", 1) for part in got.headers["Ritmo-Signature"].split(","))
            assert fields["t"] == got.headers["Ritmo-Webhook-Timestamp"]
            expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256)
            assert hmac.compare_digest(fields["v1"], expected.hexdigest())
            assert got.headers["Ritmo-Webhook-Event"] == "support.request_opened"
            assert got.headers["Ritmo-Webhook-Id"] == first.headers["Ritmo-Webhook-Id"]  # same event
            assert body == first.body
            envelope = json.loads(body)
            assert envelope["type"] == "support.request_opened"
            assert "Where do I set goals?" not in body.decode()  # ids, never what people wrote

        go(desk, tool, "/platform/webhooks")
        done = tool.locator(f"#webhook-deliveries tr[data-delivery='{delivery_id}']")
        done.wait_for(timeout=WAIT)
        assert done.get_attribute("data-status") == "delivered"
        assert done.locator("td").nth(3).inner_text() == "1"
        desk.screenshot(path=str(SCREENSHOTS / "webhooks-delivered.png"), full_page=True)
    finally:
        people.close()
        admin.close()
