"""CSV and XLSX exports: every table, formula-safe, numbers kept as numbers (opened with openpyxl)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from lti_tool.db import db, utcnow
from lti_tool.mentoring.kpis import exports
from lti_tool.mentoring.kpis.models import KpiTarget
from lti_tool.mentoring.programmes.models import ParticipantRole
from tests.mentoring.kpis.survey_world import answered, survey
from tests.mentoring.programmes.factories import World, world
from tests.session_codes import rh

HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]
NAMES = HOSTILE[:4]  # (a name's leading tab or CR is trimmed before it is shown)


@pytest.fixture
def w(app) -> World:
    return world()


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_that_starts_a_formula_is_quoted(text: str) -> None:
    assert exports.cell(text) == "'" + text
    assert exports.cell("Plain = fine") == "Plain = fine"
    assert exports.cell(-3.5) == -3.5  # numbers stay numbers


def test_people_with_formula_names_are_exported_as_text(client, w: World) -> None:
    for name in NAMES:
        w.person(name, ParticipantRole.MENTEE)
    db.session.commit()
    base = f"/programmes/{w.programme.id}/kpis/participation/people"
    response = client.get(base + ".csv", query_string={"rh": rh(w.token(w.coordinator))})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Name", "Role", "Status"]
    assert sorted(r[0] for r in rows[1:]) == sorted("'" + name for name in NAMES)

    response = client.get(base + ".xlsx", query_string={"rh": rh(w.token(w.coordinator))})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.active
    names = [sheet.cell(row=r, column=1) for r in range(2, sheet.max_row + 1)]
    assert sorted(c.value for c in names) == sorted("'" + name for name in NAMES)
    assert all(c.data_type == "s" for c in names)  # text, never a formula


def test_trend_and_summary_exports_keep_numbers(client, w: World) -> None:
    now = utcnow()
    items = survey(w, anonymous=True, title="=cmd|' /C calc'!A0")
    people = [w.person(f"P{k}", ParticipantRole.MENTEE) for k in range(5)]
    for person, nps in zip(people, (0, 1, 2, 3, 10), strict=True):
        answered(w, items, person, now - timedelta(hours=1), 1, nps)
    db.session.add(KpiTarget(programme_id=w.programme.id, kpi="nps", target=-50))
    db.session.commit()
    token = w.token(w.coordinator)
    book = load_workbook(
        io.BytesIO(
            client.get(f"/programmes/{w.programme.id}/kpis/summary.xlsx", query_string={"rh": rh(token)}).data
        )
    )
    rows = list(book.active.values)
    assert rows[1][1] == -60.0 and rows[1][2] == -50.0  # NPS -60 against a target of -50: numbers
    assert rows[1][3] == "Misses the target"
    book = load_workbook(
        io.BytesIO(
            client.get(
                f"/programmes/{w.programme.id}/kpis/nps/surveys.xlsx", query_string={"rh": rh(token)}
            ).data
        )
    )
    rows = list(book.active.values)
    assert rows[1][0].startswith("'=cmd")
    assert (
        client.get(
            f"/programmes/{w.programme.id}/kpis/nps/trend.csv", query_string={"rh": rh(token)}
        ).status_code
        == 200
    )
    assert (
        client.get(
            f"/programmes/{w.programme.id}/kpis/nps/nothing.csv", query_string={"rh": rh(token)}
        ).status_code
        == 404
    )
    mentee = people[0]
    assert (
        client.get(
            f"/programmes/{w.programme.id}/kpis/summary.csv", query_string={"rh": rh(w.token(mentee.user_id))}
        ).status_code
        == 403
    )
