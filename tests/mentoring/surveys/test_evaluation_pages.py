"""The evaluation page and its downloads: coordinators only, the readings in words, hidden groups,
formula-safe CSV and a real XLSX workbook."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from lti_tool.db import db
from lti_tool.mentoring.surveys import statistics
from tests.mentoring.conversations.factories import World, make_world
from tests.mentoring.surveys.evaluation_world import before_after, instrument, make_pairs

# Five mentees and one mentor: 2 -> 3 or 4, and 4 -> 4.
BEFORE = [2.0, 2.0, 2.0, 2.0, 2.0, 4.0]
AFTER = [3.0, 4.0, 3.0, 4.0, 3.0, 4.0]
TITLE = '=HYPERLINK("https://evil.example","click")'


@pytest.fixture
def world(app) -> World:
    world = make_world()
    pairs = make_pairs(world, 5)
    survey = instrument(world, "reaction")
    survey.title_en = TITLE
    db.session.commit()
    for i, pair in enumerate(pairs):
        before_after(world, survey, pair.mentee, {"reaction": 2}, {"reaction": 3 + i % 2}, match=pair.match)
    before_after(world, survey, pairs[0].mentor, {"reaction": 4}, {"reaction": 4}, match=pairs[0].match)
    return world


def url(world: World, suffix: str = "") -> str:
    return f"/programmes/{world.programme.id}/surveys/evaluation{suffix}"


def test_the_coordinator_reads_the_before_and_after(client, world: World) -> None:
    response = client.get(url(world), headers={**world.headers(world.coordinator), "Accept": "text/html"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    expected = statistics.paired(BEFORE, AFTER)
    low, high = f"{expected.ci_low:.1f}", f"{expected.ci_high:.1f}"
    assert f"Everyone: Reaction rose by 1.2 points on 5 (95% CI {low} to {high}, n = 6)." in page
    assert "Fewer than 5: hidden." in page  # the one mentor
    assert "not anonymous" in page  # the low relationship-quality rule is said on the page


def test_participants_and_other_courses_are_refused(client, world: World) -> None:
    html = {"Accept": "text/html"}
    assert client.get(url(world), headers={**world.headers(world.mentee), **html}).status_code == 403
    assert client.get(url(world, ".csv"), headers=world.headers(world.mentor)).status_code == 403
    other = f"/programmes/{world.programme.id + 999}/surveys/evaluation"
    assert client.get(other, headers={**world.headers(world.coordinator), **html}).status_code == 404


def test_a_wrong_choice_of_occasion_is_refused(client, world: World) -> None:
    response = client.get(url(world) + "?after=pulse", headers=world.headers(world.coordinator))
    assert response.status_code == 422


def test_the_csv_is_formula_safe_and_hides_what_the_page_hides(client, world: World) -> None:
    response = client.get(url(world, ".csv"), headers=world.headers(world.coordinator))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Survey", "Sub-scale", "Group", "Pairs (n)"]
    everyone = next(r for r in rows if r[1] == "Reaction" and r[2] == "Everyone")
    assert everyone[0] == "'" + TITLE  # a spreadsheet shows it rather than running it
    assert everyone[3] == "6" and float(everyone[6]) == pytest.approx(7 / 6, abs=1e-3)
    mentors = next(r for r in rows if r[1] == "Reaction" and r[2] == "Mentors")
    assert mentors[3:12] == [""] * 9 and mentors[12] == "Fewer than 5: hidden."


def test_the_xlsx_holds_both_tables(client, world: World) -> None:
    response = client.get(url(world, ".xlsx"), headers=world.headers(world.coordinator))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["Before and after", "Mentors and mentees"]
    rows = list(book["Before and after"].iter_rows(values_only=True))
    everyone = next(r for r in rows if r[1] == "Reaction" and r[2] == "Everyone")
    assert everyone[0] == "'" + TITLE and everyone[3] == 6
    assert everyone[6] == pytest.approx(1.167, abs=1e-3)
    assert everyone[7] == pytest.approx(statistics.paired(BEFORE, AFTER).ci_low, abs=1e-3)
