"""In Chromium, inside the demo LMS's frame, for the coordinator, a mentor and a mentee of a
programme with something on every page, and for the LMS's administrator: every page reachable by
links from the role's home opens, every form sent with plausible values is answered without a
4xx/5xx, and axe-core finds nothing serious or critical on any page seen."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from lti_tool.db import db
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.webhooks import subscriptions
from tests.browser.frames import wait_for_ritmo
from tests.browser.lived_in import add_lms_admin, seed
from tests.browser.walker import AXE, WAIT, Walker, page_key
from tests.conftest import IN_CI

pytestmark = pytest.mark.browser

ROLES = {"coordinator": "u-instructor", "mentor": "u-mentor-01", "mentee": "u-learner-01"}


@pytest.fixture(scope="module")
def axe_source() -> str | None:
    if AXE.exists():
        return AXE.read_text(encoding="utf-8")
    reason = f"{AXE} missing (npm ci --prefix tests/browser)"
    if IN_CI or os.environ.get("RITMO_REQUIRE_AXE"):
        pytest.fail(reason)
    return None


def test_every_page_and_form_works_and_is_accessible_for_every_role(browser, stack, axe_source) -> None:
    # Without axe-core (outside CI, where it is required) the walk still checks every answer and
    # the keyboard; only the axe findings are left out.
    contexts = {}
    try:
        for role, user in ROLES.items():  # each person launches once: the launch enrols them
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{stack.lms_url}/demo/launch?user={user}")
            tool = page.frame(name="ritmo-tool")
            assert tool is not None
            tool.locator("main").wait_for(timeout=WAIT)
            contexts[role] = (context, page)
        seed(stack.app)

        walks = []
        for role, (_context, page) in contexts.items():
            walker = Walker(page, stack.tool_url, role, axe=axe_source)
            # The launch answered before the seed: show the same page again, with the data.
            page.goto(f"{stack.lms_url}/demo/launch?user={ROLES[role]}")
            walker.tool = page.frame(name="ritmo-tool")
            walker.tool.locator("main").wait_for(timeout=WAIT)
            pages = walker.crawl()
            walker.submit_all(pages)
            walks.append(walker.walk)
    finally:
        for context, _page in contexts.values():
            context.close()

    summary = "\n".join(
        f"{w.role}: {len(w.visited)} pages, {len(w.submitted)} forms: {w.submitted}" for w in walks
    )
    print(summary)
    for walk in walks:
        assert len(walk.visited) >= 5, summary
        assert walk.submitted, summary
    failures = [line for w in walks for line in w.failures]
    findings = [f"{key}: {what}" for w in walks for key, what in w.findings.items()]
    assert failures + findings == [], "\n".join(failures + findings)


def test_after_approve_all_the_active_pairs_are_listed_by_the_filter(browser, stack) -> None:
    """The matching page's GET filter, in the frame: after "Approve all" the default (proposed)
    view is empty, and choosing "Active" lists both pairs, the approved one included."""
    context = browser.new_context()
    page = context.new_page()
    try:
        for user in ROLES.values():
            page.goto(f"{stack.lms_url}/demo/launch?user={user}")
            page.frame_locator("#tool-frame").locator("main").wait_for(timeout=WAIT)
        seeded = seed(stack.app)
        page.goto(f"{stack.lms_url}/demo/launch?user=u-instructor")
        tool = page.frame(name="ritmo-tool")
        assert tool is not None
        tool.locator("main").wait_for(timeout=WAIT)
        wait_for_ritmo(tool, WAIT)
        with page.expect_event("framenavigated", timeout=WAIT):
            tool.evaluate("url => Ritmo.go(url)", f"/programmes/{seeded.programme_id}/matching")
        tool.locator("#approve-all").wait_for(timeout=WAIT)
        with page.expect_event("framenavigated", timeout=WAIT):
            tool.locator("#approve-all").click()
        # The answer is a redirect to the list: wait for the list that follows it, not the one before.
        expect(tool.locator("#proposals tbody tr[data-mentee]")).to_have_count(0, timeout=WAIT)

        tool.locator("form.search select[name=status]").select_option("active")
        with page.expect_event("framenavigated", timeout=WAIT):
            tool.locator("form.search button[type=submit]").click()
        expect(tool.locator("#proposals tbody tr[data-mentee]")).to_have_count(2, timeout=WAIT)
        assert "status=active" in tool.url and "ritmo_session" not in tool.url
        assert tool.locator(".error[data-status]").count() == 0
        listed = tool.locator("#proposals tbody tr[data-mentee]").evaluate_all(
            "rows => rows.map(r => r.dataset.mentee)"
        )
        assert len(listed) == 2 and "U-Walk-Mentee" in listed, listed  # both pairs, the approved one too
    finally:
        context.close()


def test_every_page_and_form_of_the_lms_administrator_works_and_is_accessible(
    browser, stack, axe_source
) -> None:
    """Their own pages are the platform's (the roll-up, the webhooks, what they link), with a
    subscription and a waiting delivery to show. No page of the course links to them, so the walk
    opens the roll-up by its address; it keeps to /platform/ (the site's other links lead to the
    participants' pages, walked above)."""
    admin = add_lms_admin(stack.lms.app)
    context = browser.new_context()
    page = context.new_page()
    try:
        for user in (*ROLES.values(), admin):
            page.goto(f"{stack.lms_url}/demo/launch?user={user}")
            page.frame_locator("#tool-frame").locator("main").wait_for(timeout=WAIT)
        with stack.app.app_context():
            platform_id = db.session.execute(sa.select(Programme)).scalar_one().course.platform_id
            subscriptions.add(platform_id, "https://hooks.example.org/ritmo", ["support.request_opened"])
        seed(stack.app)  # opens a support request: one delivery waits for the receiver
        walker = Walker(page, stack.tool_url, "LMS administrator", axe=axe_source, within="/platform/")
        assert walker.open(f"{stack.tool_url}/platform/kpis")
        walker.submit_all(walker.crawl())  # the webhooks page links back to the roll-up
    finally:
        context.close()

    walk = walker.walk
    summary = f"{len(walk.visited)} pages: {walk.visited}; {len(walk.submitted)} forms: {walk.submitted}"
    print(summary)
    assert {page_key(url) for url in walk.visited} >= {"/platform/kpis", "/platform/webhooks"}, summary
    assert any("/platform/webhooks/add" in what for what in walk.submitted), summary
    assert any("resend" in what for what in walk.submitted), summary
    findings = [f"{key}: {what}" for key, what in walk.findings.items()]
    assert walk.failures + findings == [], "\n".join(walk.failures + findings)
