"""Roster: NRPS sync against the demo LMS's real endpoint, CSV import/export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import sqlalchemy as sa

from lti_tool.accounts.models import Course
from lti_tool.db import db
from lti_tool.jobs.runner import drain
from lti_tool.launch import registry
from lti_tool.launch.models import Platform
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus, Programme
from lti_tool.mentoring.roster import service as roster
from tests.grades.factory import demo_lms
from tests.mentoring.programmes.factories import World, call, world
from tests.session_codes import rh


def _programme_on(lms, url_suffix: str = "", platform: Platform | None = None) -> tuple[Programme, Platform]:
    platform = platform or lms.register()
    course = Course(
        platform_id=platform.id,
        context_id="CourseA",
        title="Mentoring 101",
        memberships_url=lms.platform.memberships_url("CourseA") + url_suffix,
    )
    db.session.add(course)
    db.session.flush()
    programme = Programme(course_id=course.id, title="Mentoring 101", settings={})
    db.session.add(programme)
    db.session.commit()
    return programme, platform


def test_sync_reads_every_page_of_the_demo_roster(app):
    with demo_lms(link_header_quirk="alternate") as lms:
        programme, _platform = _programme_on(lms, "?limit=4")
        counts = roster.sync(programme)
        assert lms.stats()["nrps_requests"] == 9  # 36 members, 4 per page, every page once
        # the learner who leaves the course is withdrawn by the next sync; nobody is added twice
        leaver = next(p for p in lms.platform.course.members if p.user_id == "u-learner-01")
        lms.platform.course.members.remove(leaver)
        from dataclasses import replace

        lms.platform.course.members.append(replace(leaver, status="Inactive"))
        again = roster.sync(programme)
    assert counts["members"] == 36
    people = (
        db.session.execute(sa.select(Participant).where(Participant.programme_id == programme.id))
        .scalars()
        .all()
    )
    roles = [p.role for p in people]
    assert len(people) == 35  # the inactive learner is not added
    assert roles.count(ParticipantRole.COORDINATOR) == 1
    assert roles.count(ParticipantRole.MENTOR) == 3
    names = {p.user.name for p in people}
    assert "Łukasz Nowak" in names and "Marco Ferrari" in names
    assert again["added"] == 0 and again["withdrawn"] == 1
    statuses = [p.status for p in people]
    assert statuses.count(ParticipantStatus.WITHDRAWN) == 1


def test_a_refused_token_ends_the_sync_job_with_the_lms_reason(app):
    """The token request fails before any roster page is read: the job records why, no retry."""
    with demo_lms() as lms:
        registration = {**lms.platform.registration(), "client_id": "not-the-client"}
        programme, _platform = _programme_on(lms, platform=registry.add_platform(registration))
        roster.sync_task({"programme_id": programme.id, "by": None})
        assert lms.stats().get("nrps_requests", 0) == 0
    db.session.expire_all()
    last = db.session.get(Programme, programme.id).settings["roster_sync"]
    assert "invalid_client" in last["error"]
    assert not db.session.execute(sa.select(Participant)).first()


def test_sync_takes_coordinators_from_course_roles_only(app):
    from dataclasses import replace

    lis = "http://purl.imsglobal.org/vocab/lis/v2/"
    with demo_lms() as lms:
        programme, _platform = _programme_on(lms)
        members = lms.platform.course.members
        learner = next(p for p in members if p.user_id == "u-learner-01")
        members.extend([
            # Canvas: a student who teaches another course, and an account admin taking the course
            replace(learner, user_id="u-canvas-1", roles=(
                lis + "institution/person#Instructor", lis + "membership#Learner",
                lis + "system/person#User")),
            replace(learner, user_id="u-canvas-2", roles=(
                lis + "institution/person#Administrator", lis + "membership#Learner",
                lis + "system/person#SysAdmin")),
            # Open edX: a community TA
            replace(learner, user_id="u-edx-ta", roles=(
                lis + "membership#Learner", lis + "membership/Instructor#TeachingAssistant")),
        ])
        roster.sync(programme)
    roles = {
        p.user.sub: p.role
        for p in db.session.execute(
            sa.select(Participant).where(Participant.programme_id == programme.id)
        ).scalars()
    }
    assert roles["u-canvas-1"] is ParticipantRole.MENTEE
    assert roles["u-canvas-2"] is ParticipantRole.MENTEE
    # Open edX's forum moderators coordinate only where the admin adds TeachingAssistant.
    assert roles["u-edx-ta"] is ParticipantRole.MENTEE


def test_sync_job_from_the_api(client, app):
    with demo_lms() as lms:
        programme, platform = _programme_on(lms)
        from lti_tool.accounts.models import User

        coordinator = User(platform_id=platform.id, sub="coord-x", name="Cora")
        db.session.add(coordinator)
        db.session.commit()
        w = World(platform, programme.course, programme, coordinator)
        queued = call(client, w, coordinator, "POST", f"/api/programmes/{programme.id}/roster/sync")
        assert queued.status_code == 202
        drain()
    status = call(client, w, coordinator, "GET", f"/api/programmes/{programme.id}/roster/status").json
    assert status["last_sync"]["members"] == 36


def test_sync_without_nrps_says_what_to_do(client, app):
    w = world()
    response = call(client, w, w.coordinator, "POST", f"/api/programmes/{w.programme.id}/roster/sync")
    assert response.status_code == 409 and "CSV" in response.json["detail"]


def _questions(w):
    w.question(kind="tags", label="Skills", options=["python", "sql", "design"], weight=1)
    w.question(kind="availability", label="When free")
    w.question(kind="scale", label="Energy")


def test_csv_import_then_export_round_trip(client, app):
    w = world()
    _questions(w)
    body = (
        "user_id,name,email,role,capacity,skills,when_free,energy\n"
        "hr-1,Ada Lovelace,ada@example.test,mentor,3,python; sql,0-9; 0-10,4\n"
        "hr-2,Bob Byte,,mentee,,design,,\n"
    )
    response = call(
        client,
        w,
        w.coordinator,
        "POST",
        f"/api/programmes/{w.programme.id}/roster/import",
        data={"file": (io.BytesIO(body.encode()), "people.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.json
    assert response.json == {"rows": 2, "added": 2, "updated": 0}
    ada = db.session.execute(
        sa.select(Participant).join(Participant.user).where(Participant.role == ParticipantRole.MENTOR)
    ).scalar_one()
    assert ada.capacity == 3
    exported = call(client, w, w.coordinator, "GET", f"/api/programmes/{w.programme.id}/roster/export.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.data.decode())))
    assert (
        rows[0]["user_id"] == "hr-1"
        and rows[0]["skills"] == "python; sql"
        and rows[0]["when_free"] == "0-9; 0-10"
    )
    assert rows[1]["skills"] == "design" and rows[1]["energy"] == ""
    again = call(
        client,
        w,
        w.coordinator,
        "POST",
        f"/api/programmes/{w.programme.id}/roster/import",
        data=exported.data,
        content_type="text/csv",
    )
    assert again.json == {"rows": 2, "added": 0, "updated": 2}


def test_bad_csv_reports_rows_and_imports_nothing(client, app):
    w = world()
    _questions(w)
    body = (
        "user_id,role,capacity,skills,when_free,energy\n"
        "hr-1,mentor,3,python,,4\n"
        ",mentee,,,,\n"
        "hr-3,boss,x,cobol,9-99,7\n"
        "hr-1,mentee,,,,\n"
    )
    response = call(
        client,
        w,
        w.coordinator,
        "POST",
        f"/api/programmes/{w.programme.id}/roster/import",
        data=body.encode(),
        content_type="text/csv",
    )
    assert response.status_code == 422
    rows = {(r["row"], r["column"]) for r in response.json["rows"]}
    assert {
        (3, "user_id"),
        (4, "role"),
        (4, "capacity"),
        (4, "skills"),
        (4, "when_free"),
        (4, "energy"),
        (5, "user_id"),
    } == rows
    assert "nothing was imported" in response.json["detail"]
    assert db.session.execute(sa.select(sa.func.count(Participant.id))).scalar_one() == 1  # the coordinator
    unknown = call(
        client,
        w,
        w.coordinator,
        "POST",
        f"/api/programmes/{w.programme.id}/roster/import",
        data=b"user_id,shoe_size\nx,42\n",
        content_type="text/csv",
    )
    assert unknown.status_code == 422 and "shoe_size" in unknown.json["detail"]


def test_one_bad_row_is_reported_in_the_singular(client, app):
    w = world()
    response = call(
        client,
        w,
        w.coordinator,
        "POST",
        f"/api/programmes/{w.programme.id}/roster/import",
        data=b"user_id,role\n,mentee\n",
        content_type="text/csv",
    )
    assert response.status_code == 422
    assert response.json["detail"].startswith("1 problem in the file; nothing was imported. Correct the row")


def test_roster_page_shows_the_last_sync_in_the_viewers_language(client, app):
    w = world()
    at = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
    w.programme.settings = {"roster_sync": {"at": at.isoformat(), "members": 3, "added": 1}}
    db.session.commit()
    page = client.get(
        f"/programmes/{w.programme.id}/roster?rh={rh(w.token(w.coordinator))}",
        headers={"Accept-Language": "it"},
    ).get_data(as_text=True)
    shown = f'<time datetime="{at.isoformat()}">5 mar 2026, 14:30 (UTC)</time>'
    assert f"Ultima sincronizzazione: {shown}" in page


def test_a_nul_character_in_the_file_is_a_row_problem_not_a_failure(client, app):
    """PostgreSQL keeps no NUL character: a cell holding one is reported with its row, nothing written."""
    w = world()
    _questions(w)
    response = call(
        client,
        w,
        w.coordinator,
        "POST",
        f"/api/programmes/{w.programme.id}/roster/import",
        data=b"user_id,name,email,skills\nhr-1,Ada,ada@example.test,python\nhr-\x002,Bob\x00,b\x00@x.test,sql\n",
        content_type="text/csv",
    )
    assert response.status_code == 422, response.json
    problems = {(r["row"], r["column"]) for r in response.json["rows"]}
    assert problems == {(3, "user_id"), (3, "name"), (3, "email")}
    assert "NUL" in response.json["rows"][0]["message"]
    assert db.session.execute(sa.select(sa.func.count(Participant.id))).scalar_one() == 1  # the coordinator
