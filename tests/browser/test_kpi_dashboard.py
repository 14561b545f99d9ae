"""In Chromium: the KPI dashboard refreshes its figures on its own, and says so when it cannot."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lti_tool.mentoring.programmes.models import ParticipantRole
from tests.mentoring.programmes.factories import world
from tests.session_codes import rh

pytestmark = pytest.mark.browser

TOTAL = "#kpis [data-kpi='participants.total']"
MENTEES = "#kpis [data-kpi='participants.by_role.mentee.total']"


def test_the_dashboard_follows_the_programme_every_30_seconds(app, ritmo, browser):
    w = world()
    w.person("Ada Mentor", ParticipantRole.MENTOR)
    w.person("Eve Mentee", ParticipantRole.MENTEE)
    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        page.clock.install()  # the page's timers run when the test moves the clock
        page.goto(f"{ritmo.url}/programmes/{w.programme.id}/kpis?rh={rh(w.token(w.coordinator))}")
        before = int(page.inner_text(TOTAL))
        assert page.inner_text(MENTEES) == "1"

        w.person("Fay Mentee", ParticipantRole.MENTEE)  # joins while the page is open
        page.clock.run_for(29_000)
        assert page.inner_text(MENTEES) == "1"  # not refreshed before its time
        page.clock.run_for(2_000)
        expect(page.locator(MENTEES)).to_have_text("2")
        assert int(page.inner_text(TOTAL)) == before + 1
        assert page.inner_text("#kpis-status") == ""

        # The server goes away: the figures stay and the page says why they are not fresh.
        ritmo.shutdown()
        page.clock.run_for(31_000)
        expect(page.locator("#kpis-status")).to_contain_text("could not be refreshed")
        assert page.inner_text(MENTEES) == "2"
    finally:
        page.close()


def test_a_coordinator_follows_a_figure_with_a_target_and_downloads_it(app, ritmo, browser):
    w = world()
    w.person("Ada Mentor", ParticipantRole.MENTOR)
    w.person("Eve Mentee", ParticipantRole.MENTEE)
    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        page.goto(f"{ritmo.url}/programmes/{w.programme.id}/kpis?rh={rh(w.token(w.coordinator))}")
        page.click("#open-kpi-catalogue")
        row = page.locator("[data-kpi-row='participation']")
        row.locator("select[name='direction']").select_option("at_least")
        row.locator("input[name='target']").fill("90")
        row.locator("button[type='submit']").first.click()
        expect(page.locator("[data-kpi-row='participation'] input[name='target']")).to_have_value("90.0")
        page.get_by_role("link", name="KPI dashboard").click()
        entry = page.locator("[data-kpi-entry='participation']")
        # Both take part: 100% against at least 90%, said in words.
        expect(entry.locator("[data-standing]")).to_have_text("✔ Meets the target")
        expect(entry.locator("svg[role='img'] title")).to_have_text("Participation over time")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download XLSX").first.click()
        assert download.value.suggested_filename == f"kpis-{w.programme.id}.xlsx"
    finally:
        page.close()
