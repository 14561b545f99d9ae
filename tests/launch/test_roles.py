"""LIS roles to Ritmo roles."""

from __future__ import annotations

import pytest

from lti_tool.accounts.models import CourseRole
from lti_tool.launch.roles import course_role, is_mentor

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([MEMBERSHIP + "Instructor"], CourseRole.COORDINATOR),
        ([MEMBERSHIP + "Administrator"], CourseRole.COORDINATOR),
        ([MEMBERSHIP + "ContentDeveloper"], CourseRole.COORDINATOR),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
         CourseRole.COORDINATOR),
        (["Instructor"], CourseRole.COORDINATOR),  # short names from older platforms
        ([MEMBERSHIP + "Learner"], CourseRole.PARTICIPANT),
        ([MEMBERSHIP + "Mentor"], CourseRole.PARTICIPANT),
        ([INSTITUTION + "Student", MEMBERSHIP + "Learner"], CourseRole.PARTICIPANT),
        ([], CourseRole.PARTICIPANT),
    ],
)
def test_course_role(roles, expected):
    assert course_role(roles) is expected


@pytest.mark.parametrize(
    ("roles", "custom", "expected"),
    [
        ([MEMBERSHIP + "Mentor"], None, True),
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
