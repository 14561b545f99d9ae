"""LIS roles to Ritmo roles."""

from __future__ import annotations

import pytest

from lti_tool.accounts.models import CourseRole
from lti_tool.identity.roles import course_role, is_mentor

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"

# The role sets real platforms send (see the platforms' notes in the docs).
PLATFORM_ROLE_SETS = {
    "moodle learner": ([MEMBERSHIP + "Learner"], CourseRole.PARTICIPANT),
    "moodle teacher": ([MEMBERSHIP + "Instructor"], CourseRole.COORDINATOR),
    "moodle site admin as learner": (
        [MEMBERSHIP + "Learner", INSTITUTION + "Administrator", SYSTEM + "Administrator"],
        CourseRole.PARTICIPANT,
    ),
    "moodle site admin, no course role": (
        [INSTITUTION + "Administrator", SYSTEM + "Administrator"], CourseRole.PARTICIPANT,
    ),
    "canvas student who teaches elsewhere": (
        [INSTITUTION + "Instructor", INSTITUTION + "Student", MEMBERSHIP + "Learner", SYSTEM + "User"],
        CourseRole.PARTICIPANT,
    ),
    "canvas student who is an account admin": (
        [INSTITUTION + "Administrator", MEMBERSHIP + "Learner", SYSTEM + "User"],
        CourseRole.PARTICIPANT,
    ),
    "canvas site admin student": (
        [INSTITUTION + "Administrator", MEMBERSHIP + "Learner", SYSTEM + "SysAdmin", SYSTEM + "User"],
        CourseRole.PARTICIPANT,
    ),
    "canvas teacher": (
        [INSTITUTION + "Instructor", MEMBERSHIP + "Instructor", SYSTEM + "User"], CourseRole.COORDINATOR,
    ),
    "canvas ta": ([INSTITUTION + "Student", TA, SYSTEM + "User"], CourseRole.PARTICIPANT),
    "open edx learner": (
        [MEMBERSHIP + "Learner", SYSTEM + "None", INSTITUTION + "None"], CourseRole.PARTICIPANT,
    ),
    "open edx course instructor": (
        [MEMBERSHIP + "Instructor", MEMBERSHIP + "Administrator"], CourseRole.COORDINATOR,
    ),
    "open edx staff": ([MEMBERSHIP + "Instructor"], CourseRole.COORDINATOR),
    "open edx community ta": ([MEMBERSHIP + "Learner", TA], CourseRole.PARTICIPANT),
}


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([MEMBERSHIP + "Instructor"], CourseRole.COORDINATOR),
        ([MEMBERSHIP + "Administrator"], CourseRole.COORDINATOR),
        # Course designers and teaching assistants coordinate only where the admin says so.
        ([MEMBERSHIP + "ContentDeveloper"], CourseRole.PARTICIPANT),
        ([TA], CourseRole.PARTICIPANT),
        ([MEMBERSHIP + "Instructor", TA], CourseRole.COORDINATOR),
        (["Instructor"], CourseRole.COORDINATOR),  # short names from older platforms
        ([MEMBERSHIP + "Learner"], CourseRole.PARTICIPANT),
        ([MEMBERSHIP + "Mentor"], CourseRole.PARTICIPANT),
        ([INSTITUTION + "Student", MEMBERSHIP + "Learner"], CourseRole.PARTICIPANT),
        ([], CourseRole.PARTICIPANT),
        # Only the course's own vocabulary counts: the name after "#" alone says nothing.
        ([INSTITUTION + "Instructor"], CourseRole.PARTICIPANT),
        ([INSTITUTION + "Administrator"], CourseRole.PARTICIPANT),
        ([SYSTEM + "Administrator"], CourseRole.PARTICIPANT),
        ([SYSTEM + "SysAdmin"], CourseRole.PARTICIPANT),
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person/Instructor#TeachingAssistant"],
         CourseRole.PARTICIPANT),
        (["https://lms.example/roles#Instructor"], CourseRole.PARTICIPANT),
        # A learner's sub-role called Instructor is still a learner.
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#Instructor"], CourseRole.PARTICIPANT),
        ([MEMBERSHIP + "TeachingAssistant"], CourseRole.PARTICIPANT),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#Grader"], CourseRole.COORDINATOR),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Administrator#Support"], CourseRole.COORDINATOR),
        (["urn:lti:role:ims/lis/Instructor"], CourseRole.COORDINATOR),
        (["urn:lti:role:ims/lis/Instructor/TeachingAssistant"], CourseRole.PARTICIPANT),
        (["urn:lti:instrole:ims/lis/Instructor"], CourseRole.PARTICIPANT),
        (["urn:lti:sysrole:ims/lis/Administrator"], CourseRole.PARTICIPANT),
    ],
)
def test_course_role(roles, expected):
    assert course_role(roles) is expected


@pytest.mark.parametrize("name", sorted(PLATFORM_ROLE_SETS))
def test_role_sets_that_platforms_send(name):
    roles, expected = PLATFORM_ROLE_SETS[name]
    assert course_role(roles) is expected


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([SYSTEM + "Administrator", MEMBERSHIP + "Learner"], CourseRole.COORDINATOR),
        ([SYSTEM + "SysAdmin"], CourseRole.COORDINATOR),
        (["urn:lti:sysrole:ims/lis/Administrator"], CourseRole.COORDINATOR),
        # The setting is about system administrators only.
        ([INSTITUTION + "Administrator", SYSTEM + "User"], CourseRole.PARTICIPANT),
        ([SYSTEM + "User"], CourseRole.PARTICIPANT),
    ],
)
def test_system_administrators_coordinate_only_when_chosen(roles, expected):
    assert course_role(roles, system_admin=True) is expected
    assert course_role(roles, system_admin=False) is CourseRole.PARTICIPANT


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([INSTITUTION + "Student", TA, SYSTEM + "User"], CourseRole.COORDINATOR),  # Canvas TA
        ([MEMBERSHIP + "Learner", TA], CourseRole.COORDINATOR),  # Open edX community TA
        ([MEMBERSHIP + "TeachingAssistant"], CourseRole.COORDINATOR),
        (["urn:lti:role:ims/lis/Instructor/TeachingAssistant"], CourseRole.COORDINATOR),
        ([MEMBERSHIP + "ContentDeveloper"], CourseRole.PARTICIPANT),
        ([MEMBERSHIP + "Learner"], CourseRole.PARTICIPANT),
    ],
)
def test_teaching_assistants_coordinate_only_where_the_admin_adds_them(roles, expected):
    allowed = frozenset({"Instructor", "Administrator", "TeachingAssistant"})
    assert course_role(roles, allowed=allowed) is expected
    assert course_role(roles) is CourseRole.PARTICIPANT


def test_the_setting_names_the_coordinating_roles(app):
    app.config["LTI_COORDINATOR_ROLES"] = ["Instructor", "Administrator", "TeachingAssistant"]
    assert course_role([MEMBERSHIP + "Learner", TA]) is CourseRole.COORDINATOR
    app.config["LTI_COORDINATOR_ROLES"] = ["Administrator"]
    assert course_role([MEMBERSHIP + "Instructor"]) is CourseRole.PARTICIPANT


@pytest.mark.parametrize(
    ("roles", "custom", "expected"),
    [
        ([MEMBERSHIP + "Mentor"], None, True),
        (["Mentor"], None, True),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Mentor#Advisor"], None, True),
        ([INSTITUTION + "Mentor"], None, False),
        ([SYSTEM + "Mentor", MEMBERSHIP + "Learner"], None, False),
        ([MEMBERSHIP + "Learner"], {"ritmo_role": "mentor"}, True),
        ([MEMBERSHIP + "Learner"], {"ritmo_role": "Mentor "}, True),
        ([MEMBERSHIP + "Learner"], {"mentor": "true"}, True),
        ([MEMBERSHIP + "Learner"], {"ritmo_role": "mentee"}, False),
        ([MEMBERSHIP + "Learner"], {"mentor": "no"}, False),
        ([MEMBERSHIP + "Learner"], None, False),
    ],
)
def test_is_mentor(roles, custom, expected):
    assert is_mentor(roles, custom) is expected


def test_mentor_launch_joins_programme_as_mentor(client, platform):
    import sqlalchemy as sa

    from lti_tool.db import db
    from lti_tool.mentoring.programmes.models import Participant, ParticipantRole
    from tests.lti_platform import LTI, launch

    launch(client, platform, **{LTI + "custom": {"ritmo_role": "mentor"}})
    participant = db.session.execute(sa.select(Participant)).scalar_one()
    assert participant.role is ParticipantRole.MENTOR


def _launched_role(client, platform, roles):
    import sqlalchemy as sa

    from lti_tool.db import db
    from lti_tool.mentoring.programmes.models import Participant
    from tests.lti_platform import launch

    response = launch(client, platform, roles=roles)
    assert response.status_code == 200, response.get_data(as_text=True)
    return db.session.execute(sa.select(Participant)).scalar_one().role


def test_canvas_learner_with_institution_instructor_role_is_not_coordinator(client, platform):
    from lti_tool.mentoring.programmes.models import ParticipantRole

    roles = [INSTITUTION + "Instructor", MEMBERSHIP + "Learner", SYSTEM + "User"]
    assert _launched_role(client, platform, roles) is ParticipantRole.MENTEE


def test_moodle_site_admin_is_not_coordinator_by_default(client, platform):
    from lti_tool.mentoring.programmes.models import ParticipantRole

    roles = [MEMBERSHIP + "Learner", INSTITUTION + "Administrator", SYSTEM + "Administrator"]
    assert _launched_role(client, platform, roles) is ParticipantRole.MENTEE


@pytest.mark.parametrize("app_config", [{"LTI_SYSTEM_ADMIN_COORDINATES": True}])
def test_system_admin_coordinates_when_the_setting_says_so(client, platform):
    from lti_tool.mentoring.programmes.models import ParticipantRole

    roles = [MEMBERSHIP + "Learner", SYSTEM + "Administrator"]
    assert _launched_role(client, platform, roles) is ParticipantRole.COORDINATOR
