"""Launches move roles by the same rule as roster syncs (``programmes/role_rules.py``): a launch
never undoes a coordinator's or a person's choice, and a mentors-only link's ``ritmo_role=mentor``
makes a mentor that an ordinary link does not take back."""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, RoleOrigin, RoleSource
from tests.lti_platform import INSTRUCTOR, LEARNER, LTI, launch
from tests.mentoring.matching import states

MENTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"
MENTORS_ONLY = {"ritmo_role": "mentor"}


def _opens(client, platform, sub: str, roles: list[str], custom: dict[str, str] | None = None) -> Participant:
    response = launch(client, platform, sub=sub, roles=roles, **{LTI + "custom": custom})
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:300]
    db.session.expire_all()
    return db.session.execute(
        sa.select(Participant).join(User, User.id == Participant.user_id).where(User.sub == sub)
    ).scalar_one()


def test_a_mentors_only_link_makes_a_mentor_an_ordinary_link_keeps(client, platform):
    me = _opens(client, platform, "moodle-mentor", [LEARNER], MENTORS_ONLY)
    assert (me.role, me.role_origin) == (ParticipantRole.MENTOR, RoleOrigin.LINK)
    me = _opens(client, platform, "moodle-mentor", [LEARNER])
    assert me.role is ParticipantRole.MENTOR and me.lms_role is ParticipantRole.MENTEE
    assert not programmes.lms_disagreement(me)  # Moodle's "Learner" says nothing against it


def test_a_launch_never_undoes_the_coordinators_assignment(client, platform):
    _opens(client, platform, "teacher", [INSTRUCTOR])
    learner = _opens(client, platform, "learner", [MENTOR])
    assert learner.role is ParticipantRole.MENTOR
    programme = learner.programme
    programmes.set_participant(
        states.coordinator(programme), programme, learner, {"role": ParticipantRole.MENTEE}
    )
    learner = _opens(client, platform, "learner", [MENTOR, LEARNER])
    assert (learner.role, learner.role_origin) == (ParticipantRole.MENTEE, RoleOrigin.COORDINATOR)
    assert programmes.lms_disagreement(learner) is ParticipantRole.MENTOR


def test_the_lms_role_moves_what_the_lms_set(client, platform):
    _opens(client, platform, "teacher", [INSTRUCTOR])
    learner = _opens(client, platform, "learner", [LEARNER])
    assert learner.role is ParticipantRole.MENTEE
    learner = _opens(client, platform, "learner", [MENTOR])  # the LMS adds a mentor
    assert learner.role is ParticipantRole.MENTOR
    learner = _opens(client, platform, "learner", [LEARNER])  # and, with LMS roles, takes one back
    assert learner.role is ParticipantRole.MENTEE
    learner.programme.role_source = RoleSource.COORDINATOR
    db.session.commit()
    _opens(client, platform, "learner", [MENTOR])
    learner = _opens(client, platform, "learner", [LEARNER])  # here the coordinator decides
    assert learner.role is ParticipantRole.MENTOR


def test_a_launch_does_not_move_a_mentor_in_a_live_match(client, platform):
    _opens(client, platform, "teacher", [INSTRUCTOR])
    mentor = _opens(client, platform, "mentor", [MENTOR])
    mentee = _opens(client, platform, "mentee", [LEARNER])
    states.active(mentor.programme, mentor, [mentee])
    mentor = _opens(client, platform, "mentor", [LEARNER])
    assert mentor.role is ParticipantRole.MENTOR
    assert programmes.lms_disagreement(mentor) is ParticipantRole.MENTEE


def test_a_teaching_assistant_coordinates_only_where_the_admin_says_so(client, platform, app):
    ta = ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant", LEARNER]
    assert _opens(client, platform, "community-ta", ta).role is ParticipantRole.MENTEE
    app.config["LTI_COORDINATOR_ROLES"] = ["Instructor", "Administrator", "TeachingAssistant"]
    assert _opens(client, platform, "community-ta", ta).role is ParticipantRole.COORDINATOR
