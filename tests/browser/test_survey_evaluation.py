"""In Chromium, inside the demo LMS's frame: a coordinator opens the programme's evaluation from
the surveys page, reads the before/after result of answers given through the real services, and
downloads the export, whose content is checked."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.surveys import statistics
from tests.mentoring.surveys.evaluation_world import before_after, instrument, make_pairs

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
WAIT = 60_000
CAREER_BEFORE = [2, 2, 3, 1, 2]
CAREER_AFTER = [3, 4, 3, 2, 4]


def answered(stack: Any) -> int:
    """Five mentors and mentees of the launched course, matched; each mentee answers the mentoring
    functions instrument at the baseline and at closing. Returns the survey's id."""
    with stack.app.app_context():
        programme = db.session.execute(sa.select(Programme)).scalar_one()
        world: Any = SimpleNamespace(
            programme=programme, platform=SimpleNamespace(id=programme.course.platform_id)
        )
        pairs = make_pairs(world, 5)
        survey = instrument(world, "mentoring_functions")
        for pair, before, after in zip(pairs, CAREER_BEFORE, CAREER_AFTER, strict=True):
            before_after(
                world,
                survey,
                pair.mentee,
                {"career": before, "psychosocial": 3, "role_model": 3},
                {"career": after, "psychosocial": 3, "role_model": 3},
                match=pair.match,
            )
        return survey.id


def test_a_coordinator_reads_the_before_and_after_and_downloads_it(browser, stack) -> None:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{stack.lms_url}/demo/launch?user=u-instructor")
        frame = page.frame_locator("#tool-frame")
        frame.locator("#open-surveys").wait_for(timeout=WAIT)
        survey_id = answered(stack)

        frame.locator("#open-surveys").click()
        frame.locator("#open-evaluation").click(timeout=WAIT)
        reading = frame.locator(f"[data-reading='{survey_id}:career']")
        reading.wait_for(timeout=WAIT)
        page.screenshot(path=str(SCREENSHOTS / "survey-evaluation.png"), full_page=True)
        expected = statistics.paired([float(v) for v in CAREER_BEFORE], [float(v) for v in CAREER_AFTER])
        low, high = f"{expected.ci_low:.1f}", f"{expected.ci_high:.1f}"
        assert reading.inner_text().startswith(
            f"Everyone: Career support rose by 1.2 points on 5 (95% CI {low} to {high}, n = 5)."
        ), reading.inner_text()
        row = frame.locator(f"[data-table='{survey_id}:career'] [data-group='role:mentee']")
        assert row.locator("[data-col='n']").inner_text() == "5"
        assert row.locator("[data-col='mean_before']").inner_text() == "2.00"
        assert row.locator("[data-col='mean_after']").inner_text() == "3.20"

        with page.expect_download(timeout=WAIT) as info:
            frame.locator("[data-export='csv']").click()
        download = info.value
        assert download.suggested_filename.endswith(".csv")
        text = Path(download.path()).read_text(encoding="utf-8-sig")
    finally:
        context.close()
    rows = list(csv.reader(io.StringIO(text)))
    career = next(r for r in rows if r[1] == "Career support" and r[2] == "Everyone")
    assert career[3] == "5"
    assert float(career[4]) == pytest.approx(2.0) and float(career[5]) == pytest.approx(3.2)
    assert float(career[6]) == pytest.approx(expected.mean_diff, abs=1e-3)
    assert float(career[7]) == pytest.approx(expected.ci_low, abs=1e-3)
    assert float(career[8]) == pytest.approx(expected.ci_high, abs=1e-3)
    assert career[12].startswith("Everyone: Career support rose by 1.2 points on 5")
