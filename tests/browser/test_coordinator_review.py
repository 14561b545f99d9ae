"""In Chromium: a coordinator runs the matching, sees it finish, reads the reasons, locks a pair, approves."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.matching.models import Match, MatchStatus
from lti_tool.mentoring.programmes.models import ParticipantRole
from tests.mentoring.programmes.factories import world
from tests.session_codes import rh

pytestmark = pytest.mark.browser


def test_coordinator_reviews_and_approves(app, ritmo, browser):
    w = world()
    w.question(kind="tags", label="Skills", options=["python", "sql", "design"], weight=1)
    M, E = ParticipantRole.MENTOR, ParticipantRole.MENTEE
    w.person("Ada Mentor", M, answers={"skills": ["python", "sql"]})
    w.person("Bob Mentor", M, answers={"skills": ["design"]})
    w.person("Eve Mentee", E, answers={"skills": ["python"]})
    w.person("Fay Mentee", E, answers={"skills": ["design"]})
    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        page.goto(f"{ritmo.url}/programmes/{w.programme.id}/matching?rh={rh(w.token(w.coordinator))}")
        page.click("#run-matching")
        page.wait_for_selector("#run[data-state=queued]")
        drain()  # the background runner's work, done here so the test decides when
        page.wait_for_selector("#proposals tr[data-mentee='Eve Mentee']")
        row = page.locator("#proposals tr[data-mentee='Eve Mentee']")
        assert "Ada Mentor" in row.inner_text()
        assert "the mentor offers 1 of the 1 the mentee wants (python)" in row.inner_text()
        row.locator("input[name=mentee_ids]").check()
        page.click("button[value=lock]")
        page.wait_for_selector("#proposals tr[data-mentee='Eve Mentee'][data-locked=yes]")
        page.click("button[value=lock]")  # nothing ticked after the reload: refused, on the page
        page.wait_for_selector("text=Tick one or more pairs first, then press the button again.")
        page.click("#approve-all")
        page.wait_for_selector("#review-done")
        assert "2 pairs approved" in page.inner_text("#review-done")
        page.wait_for_selector("text=No proposal is waiting. Approved pairs are listed under Active.")
    finally:
        page.close()
    db.session.expire_all()
    statuses = db.session.execute(sa.select(Match.status)).scalars().all()
    assert statuses == [MatchStatus.ACTIVE, MatchStatus.ACTIVE]
