"""The roll-up of every programme of a platform: LMS admins (system or institution Administrator
at their latest launch) only; a course's coordinator is refused."""

from __future__ import annotations

import pytest

from lti_tool.accounts.models import Course, CourseRole, Enrolment
from lti_tool.db import db, utcnow
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import issue_token
from lti_tool.launch.models import Platform
from lti_tool.mentoring.kpis import trends
from lti_tool.mentoring.programmes.models import ParticipantRole, Programme
from tests.mentoring.programmes.factories import World, world
from tests.session_codes import rh

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.fixture
def w(app) -> World:
    w = world()
    w.person("Zora Quist", ParticipantRole.MENTEE)
    other = Course(platform_id=w.platform.id, context_id="Other", title="Other course")
    db.session.add(other)
    db.session.flush()
    db.session.add(Programme(course_id=other.id, title="Other programme"))
    elsewhere = Platform(
        issuer="https://elsewhere.example",
        client_id="c2",
        auth_login_url="https://elsewhere.example/a",
        auth_token_url="https://elsewhere.example/t",
        key_set_url="https://elsewhere.example/k",
    )
    db.session.add(elsewhere)
    db.session.flush()
    far = Course(platform_id=elsewhere.id, context_id="Far", title="Far course")
    db.session.add(far)
    db.session.flush()
    db.session.add(Programme(course_id=far.id, title="Far programme"))
    db.session.commit()
    for programme in db.session.query(Programme).all():
        trends.snapshot(programme, utcnow())
    db.session.commit()
    return w


def launched_with(w: World, lis_roles: list[str], role: CourseRole) -> str:
    enrolment = (
        db.session.query(Enrolment).filter_by(user_id=w.coordinator.id, course_id=w.course.id).one_or_none()
    )
    if enrolment is None:
        enrolment = Enrolment(user_id=w.coordinator.id, course_id=w.course.id, role=role)
        db.session.add(enrolment)
    enrolment.lis_roles, enrolment.role = lis_roles, role
    db.session.commit()
    return issue_token(
        LaunchContext(platform_id=w.platform.id, user_id=w.coordinator.id, course_id=w.course.id, role=role)
    )


@pytest.mark.parametrize(
    "admin_role",
    [
        LIS + "system/person#Administrator",
        LIS + "institution/person#Administrator",
        "urn:lti:sysrole:ims/lis/SysAdmin",
    ],
)
def test_an_lms_admin_sees_every_programme_of_the_platform(client, w: World, admin_role: str) -> None:
    token = launched_with(w, [admin_role, LIS + "membership#Learner"], CourseRole.PARTICIPANT)
    response = client.get("/platform/kpis", query_string={"rh": rh(token)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert w.programme.title in html and "Other programme" in html
    assert "Far programme" not in html  # another platform
    assert "Zora Quist" not in html.split('id="kpi-rollup"')[1]  # figures, no people
    assert client.get("/platform/kpis.csv", query_string={"rh": rh(token)}).status_code == 200


@pytest.mark.parametrize(
    "course_roles",
    [
        [LIS + "membership#Instructor"],
        [LIS + "membership#Administrator"],  # a course's administrator coordinates it; it is no LMS admin
        [LIS + "institution/person#Instructor"],
    ],
)
def test_coordinators_and_teachers_never_see_other_courses(client, w: World, course_roles: list[str]) -> None:
    token = launched_with(w, course_roles, CourseRole.COORDINATOR)
    assert client.get("/platform/kpis", query_string={"rh": rh(token)}).status_code == 403
    assert client.get("/platform/kpis.xlsx", query_string={"rh": rh(token)}).status_code == 403
