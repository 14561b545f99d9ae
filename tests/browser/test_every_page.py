"""In Chromium, inside the demo LMS's frame, for the coordinator, a mentor and a mentee of a
programme with something on every page: every page reachable by links from the role's home opens,
every form sent with plausible values is answered without a 4xx/5xx, and axe-core finds nothing
serious or critical on any page seen."""

from __future__ import annotations

import os

import pytest

from tests.browser.lived_in import seed
from tests.browser.walker import AXE, WAIT, Walker
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
    if axe_source is None:
        pytest.skip("axe-core not installed (npm ci --prefix tests/browser)")
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
    assert failures == [], "\n".join(failures)
    assert findings == [], "\n".join(findings)
