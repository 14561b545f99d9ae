"""Rosters that change, against the demo LMS's real NRPS server: people who leave, syncs that fail,
and roles the LMS may and may not change (``programmes/role_rules.py``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from lti_tool.accounts.models import Course, ResourceLink, User
from lti_tool.db import db, utcnow
from lti_tool.identity.session import issue_token
from lti_tool.jobs.models import Job, JobState
from lti_tool.jobs.registry import RetryLater
from lti_tool.jobs.runner import drain
from lti_tool.launch.models import Platform
from lti_tool.mentoring.attention import roster_source
from lti_tool.mentoring.matching.models import Match, MatchStatus
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import (
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Programme,
    RoleOrigin,
    RoleSource,
)
from lti_tool.mentoring.roster import failures, syncs
from lti_tool.mentoring.roster import service as roster
from lti_tool.notifications.models import Notification
from tests.grades.factory import Lms, demo_lms
from tests.mentoring.matching import states
from tests.session_codes import rh

LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


def _programme_on(lms: Lms, url_suffix: str = "") -> Programme:
    platform: Platform = lms.register()
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
    return programme


def _person(programme: Programme, sub: str) -> Participant:
    return db.session.execute(
        sa.select(Participant)
        .join(User, User.id == Participant.user_id)
        .where(Participant.programme_id == programme.id, User.sub == sub)
    ).scalar_one()


def _set_roles(lms: Lms, sub: str, *roles: str) -> None:
    members = lms.platform.course.members
    index = next(n for n, p in enumerate(members) if p.user_id == sub)
    members[index] = replace(members[index], roles=roles, custom={})


def _leave(lms: Lms, sub: str) -> None:
    members = lms.platform.course.members
    members.remove(next(p for p in members if p.user_id == sub))


def _participants_page(client, programme: Programme) -> str:
    token = issue_token(states.coordinator(programme))
    return client.get(f"/programmes/{programme.id}/participants?rh={rh(token)}&per_page=100").get_data(
        as_text=True
    )


# -- people who leave ----------------------------------------------------------------------------


def test_a_member_absent_from_a_complete_roster_is_withdrawn_and_their_match_ends(app):
    with demo_lms() as lms:
        programme = _programme_on(lms, "?limit=7")
        roster.sync(programme)
        mentor, mentee = _person(programme, "u-mentor-01"), _person(programme, "u-learner-01")
        match = states.active(programme, mentor, [mentee])
        _leave(lms, "u-learner-01")
        counts = roster.sync(programme)
    assert counts["withdrawn"] == 1 and counts["members"] == 35
    db.session.expire_all()
    assert _person(programme, "u-learner-01").status is ParticipantStatus.WITHDRAWN
    assert db.session.get(Match, match.id).status is MatchStatus.ENDED
    # the partner is told, and offered a new match (matching/withdrawal.py)
    told = db.session.execute(
        sa.select(Notification.kind).where(Notification.user_id == mentor.user_id)
    ).scalars()
    assert "match.partner_left" in set(told)
    # everyone still in the roster stays
    assert _person(programme, "u-instructor").status is ParticipantStatus.ACTIVE
    assert _person(programme, "u-mentor-01").status is ParticipantStatus.ACTIVE


def test_a_sync_that_fails_part_way_withdraws_nobody_and_says_why(app):
    with demo_lms() as lms:
        programme = _programme_on(lms, "?limit=4")
        roster.sync(programme)
        _leave(lms, "u-learner-02")
        lms.platform.course.members.append(replace(lms.platform.course.members[1], user_id="u-newcomer"))
        lms.faults(rate_limit_every=3, retry_after=1, targets=["nrps"])  # the third page answers 429
        before = utcnow()
        with pytest.raises(RetryLater) as later:
            roster.sync_task({"programme_id": programme.id, "by": None})
        assert lms.stats()["nrps_requests"] == 9 + 3
    db.session.expire_all()
    assert _person(programme, "u-learner-02").status is ParticipantStatus.ACTIVE
    assert not db.session.execute(sa.select(User).where(User.sub == "u-newcomer")).first()
    last = db.session.get(Programme, programme.id).settings["roster_sync"]
    assert "429" in last["error"] and last["tries"] == 1
    assert later.value.run_at - before >= failures.FIRST_WAIT


def test_a_failing_sync_backs_off_then_stops_and_the_coordinator_sees_the_lms_reason(app, client):
    with demo_lms(faults={"fail_rate": 1.0, "status": 500, "targets": ["nrps"]}) as lms:
        programme = _programme_on(lms)
        roster.start_sync(
            states.context(programme, _coordinator_user(programme), coordinator=True), programme
        )
        waits: list[float] = []
        for _try in range(failures.SYNC_TRIES):
            db.session.execute(sa.update(Job).where(Job.task == roster.SYNC_TASK).values(run_at=utcnow()))
            db.session.commit()  # the clock moved on to the retry
            drain(task_names=[roster.SYNC_TASK])
            last = db.session.get(Programme, programme.id).settings["roster_sync"]
            if "retry_at" in last:
                at, retry_at = datetime.fromisoformat(last["at"]), datetime.fromisoformat(last["retry_at"])
                waits.append((retry_at - at).total_seconds())
            db.session.expire_all()
        # one more turn of the runner: nothing is left to run
        db.session.execute(sa.update(Job).where(Job.task == roster.SYNC_TASK).values(run_at=utcnow()))
        db.session.commit()
        drain(task_names=[roster.SYNC_TASK])
        assert lms.stats()["nrps_requests"] == failures.SYNC_TRIES
    assert waits == [60, 120, 240, 480]  # growing, and bounded: five tries
    job = db.session.execute(sa.select(Job).where(Job.task == roster.SYNC_TASK)).scalar_one()
    assert job.state is JobState.DONE
    last = db.session.get(Programme, programme.id).settings["roster_sync"]
    assert last["gave_up"] and last["tries"] == failures.SYNC_TRIES
    failure = syncs.last_failure(db.session.get(Programme, programme.id))
    assert failure is not None and failure.retry_at is None and "500" in failure.error
    (item,) = roster_source.items(programme, utcnow())
    assert "500" in item.reason and "stopped after 5 tries" in item.reason
    assert [a.name for a in item.actions] == ["retry"]
    token = issue_token(states.coordinator(programme))
    page = client.get(f"/programmes/{programme.id}/roster?rh={rh(token)}").get_data(as_text=True)
    assert 'id="sync-failure"' in page and "The LMS roster answered 500" in page
    assert "Ritmo stopped trying" in page


def _coordinator_user(programme: Programme) -> int:
    """A coordinator for a programme no sync has filled yet."""
    user = User(platform_id=programme.course.platform_id, sub="coord-x", name="Cora")
    db.session.add(user)
    db.session.flush()
    db.session.add(Participant(programme_id=programme.id, user_id=user.id, role=ParticipantRole.COORDINATOR))
    db.session.commit()
    return user.id


def test_a_sync_that_works_again_clears_the_failure(app):
    with demo_lms(faults={"fail_rate": 1.0, "status": 503, "targets": ["nrps"]}) as lms:
        programme = _programme_on(lms)
        with pytest.raises(RetryLater):
            roster.sync_task({"programme_id": programme.id, "by": None})
        assert syncs.last_failure(db.session.get(Programme, programme.id)) is not None
        lms.faults()
        roster.sync_task({"programme_id": programme.id, "by": None})
    db.session.expire_all()
    assert syncs.last_failure(db.session.get(Programme, programme.id)) is None


def test_nrps_statuses():
    assert roster.is_active({})
    assert roster.is_active({"status": "Active"})
    assert not roster.is_active({"status": "Inactive"})
    assert not roster.is_active({"status": "Deleted"})
    assert not roster.is_active({"status": "http://purl.imsglobal.org/vocab/lis/v2/status#Inactive"})


# -- roles ---------------------------------------------------------------------------------------


def test_the_demo_lms_mentors_arrive_as_mentors_the_link_marked_ones_too(app):
    with demo_lms() as lms:
        programme = _programme_on(lms)
        db.session.add(ResourceLink(course_id=programme.course_id, resource_link_id="rl-ritmo-main"))
        db.session.commit()
        roster.sync(programme)
    mentors = {
        _person(programme, f"u-mentor-{n:02d}").role_origin: _person(programme, f"u-mentor-{n:02d}").role
        for n in range(1, 6)
    }
    assert mentors == {RoleOrigin.LMS: ParticipantRole.MENTOR, RoleOrigin.LINK: ParticipantRole.MENTOR}
    assert _person(programme, "u-mentor-04").role_origin is RoleOrigin.LINK  # Learner + ritmo_role=mentor
    assert _person(programme, "u-learner-03").role is ParticipantRole.MENTEE
    # the inactive learner is not brought in
    assert not db.session.execute(
        sa.select(Participant).join(User, User.id == Participant.user_id).where(User.sub == "u-learner-30")
    ).first()


def test_a_sync_never_undoes_a_coordinators_or_a_persons_choice_and_marks_the_disagreement(app, client):
    with demo_lms() as lms:
        programme = _programme_on(lms)
        roster.sync(programme)
        coordinator = states.coordinator(programme)
        # the coordinator makes a learner a mentor (Moodle: no Mentor role) and an LMS mentor a mentee
        programmes.set_participant(
            coordinator, programme, _person(programme, "u-learner-02"), {"role": ParticipantRole.MENTOR}
        )
        programmes.set_participant(
            coordinator, programme, _person(programme, "u-mentor-01"), {"role": ParticipantRole.MENTEE}
        )
        # a learner chooses to mentor where people choose; then the programme goes back to LMS roles
        programme.role_source = RoleSource.SELF
        db.session.commit()
        chooser = _person(programme, "u-learner-03")
        programmes.choose_role(states.context(programme, chooser.user_id), programme, ParticipantRole.MENTOR)
        programme.role_source = RoleSource.LMS
        db.session.commit()
        counts = roster.sync(programme)
    db.session.expire_all()
    assert counts["updated"] == 0
    assert _person(programme, "u-learner-02").role is ParticipantRole.MENTOR
    assert _person(programme, "u-learner-03").role is ParticipantRole.MENTOR
    assert _person(programme, "u-mentor-01").role is ParticipantRole.MENTEE
    page = _participants_page(client, programme)
    # the LMS's Mentor role against the coordinator's "mentee" is marked; "Learner" against a
    # mentor someone chose is not a disagreement (the LMS cannot say mentor there)
    assert page.count('data-lms-role="mentor"') == 1 and 'data-lms-role="mentee"' not in page
    assert "LMS says: mentor" in page and "Marked people have another role in the LMS" in page


def test_the_lms_may_add_a_mentor_but_never_demotes_one_in_a_live_match(app, client):
    with demo_lms() as lms:
        programme = _programme_on(lms)
        roster.sync(programme)
        busy = _person(programme, "u-mentor-02")
        match = states.active(programme, busy, [_person(programme, "u-learner-04")])
        _set_roles(lms, "u-mentor-02", "Learner")  # the LMS takes both mentors' Mentor role away
        _set_roles(lms, "u-mentor-03", "Learner")
        _set_roles(lms, "u-learner-05", "Learner", "Mentor")  # and gives a learner one
        roster.sync(programme)
    db.session.expire_all()
    assert _person(programme, "u-mentor-02").role is ParticipantRole.MENTOR  # in a live match
    assert db.session.get(Match, match.id).status is MatchStatus.ACTIVE
    assert _person(programme, "u-mentor-03").role is ParticipantRole.MENTEE  # free: the LMS's word
    assert _person(programme, "u-learner-05").role is ParticipantRole.MENTOR
    page = _participants_page(client, programme)
    assert page.count('data-lms-role="mentee"') == 1  # the kept mentor, marked
    api = client.get(
        f"/api/programmes/{programme.id}/participants?per_page=100",
        headers={"Authorization": f"Bearer {issue_token(states.coordinator(programme))}"},
    ).json
    marked = [p for p in api["items"] if p["lms_disagrees"]]
    assert [(p["role"], p["lms_role"], p["role_origin"]) for p in marked] == [("mentor", "mentee", "lms")]


def test_under_coordinator_roles_the_lms_still_adds_mentors_but_takes_none_back(app):
    with demo_lms() as lms:
        programme = _programme_on(lms)
        programme.role_source = RoleSource.COORDINATOR
        db.session.commit()
        roster.sync(programme)
        _set_roles(lms, "u-mentor-01", "Learner")
        _set_roles(lms, "u-learner-06", "Learner", "Mentor")
        roster.sync(programme)
    db.session.expire_all()
    assert _person(programme, "u-mentor-01").role is ParticipantRole.MENTOR
    assert _person(programme, "u-mentor-01").lms_role is ParticipantRole.MENTEE
    assert _person(programme, "u-learner-06").role is ParticipantRole.MENTOR


def test_waits_grow_and_honour_retry_after():
    assert [failures.wait_after(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert failures.wait_after(1, retry_after=300) == timedelta(minutes=5)
    assert failures.wait_after(12) == failures.LONGEST_WAIT
