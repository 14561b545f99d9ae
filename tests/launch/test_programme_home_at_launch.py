"""Every launch in a course makes the person a participant of its programme, and the home it opens
shows what the programme says now: one read for both, reused by the page, and none at a relaunch
with the same claims while nothing the home shows changed (the launch memo keeps the join's row,
checked against the course's stamp, which any such change renews)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from lti_tool.accounts.models import Course, User
from lti_tool.db import db
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme, RoleSource
from tests.launch.test_launch_fast_path import launch_reads, me, statements, writes
from tests.lti_platform import INSTRUCTOR, launch, session_token


def _home(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _no_nonces(page: str) -> str:
    return re.sub(r'nonce="[^"]*"', 'nonce=""', page)


def _relaunch_reads(app, client, platform, **claims) -> tuple[str, list[str]]:
    db.session.remove()  # a new request
    with statements(app) as seen:
        page = _home(launch(client, platform, **claims))
    assert writes(seen) == [] or all(s.startswith(("INSERT INTO participant", "UPDATE participant"))
                                     for s in writes(seen)), seen
    return page, [s for s in seen if s.startswith("SELECT")]


def test_a_relaunch_opens_the_home_with_no_read(app, client, platform):
    first = _home(launch(client, platform))
    page, reads = _relaunch_reads(app, client, platform)
    # The launch memo answered for the launch and kept the join's row for the page.
    assert reads == [], reads
    # The same page, but for the session it carries and its scripts' nonces (one per response).
    token = session_token(page)
    assert _no_nonces(page.replace(token, "")) == _no_nonces(first.replace(session_token(first), ""))
    assert "Mentoring 101" in page and "You take part as a mentee." in page


def test_a_new_programme_title_shows_at_the_next_launch(app, client, platform):
    launch(client, platform)
    programme = db.session.execute(sa.select(Programme)).scalar_one()
    programme.title = "Peer mentoring 2027"
    db.session.commit()
    page, reads = _relaunch_reads(app, client, platform)
    # The programme's one read serves the join and the page; the launch's memo still answers.
    assert "Peer mentoring 2027" in page and len(reads) == 1 and "FROM programme" in reads[0], reads
    assert launch_reads(reads) == []
    # Read once under the new stamp, the row is kept again.
    again, reads = _relaunch_reads(app, client, platform)
    assert "Peer mentoring 2027" in again and reads == []


def test_a_role_changed_in_ritmo_shows_at_the_next_launch(app, client, platform):
    launch(client, platform)
    participant = db.session.execute(sa.select(Participant)).scalar_one()
    programme = db.session.get(Programme, participant.programme_id)
    programme.role_source = RoleSource.SELF  # the LMS role no longer decides
    db.session.commit()
    participant.role = ParticipantRole.MENTOR
    db.session.commit()
    page, _reads = _relaunch_reads(app, client, platform)
    assert "You take part as a mentor." in page


def test_the_lms_role_wins_at_a_relaunch_too(app, client, platform):
    # Roles from the LMS (the default): a role changed in Ritmo is set back by the next launch,
    # remembered by the launch memo or not.
    launch(client, platform)
    participant = db.session.execute(sa.select(Participant)).scalar_one()
    participant.role = ParticipantRole.MENTOR
    db.session.commit()
    page, _reads = _relaunch_reads(app, client, platform)
    assert "You take part as a mentee." in page
    db.session.expire_all()
    assert db.session.execute(sa.select(Participant.role)).scalar_one() is ParticipantRole.MENTEE


def test_a_name_changed_by_a_roster_sync_shows_at_the_next_launch(app, client, platform):
    launch(client, platform, name=None, given_name=None, family_name=None)
    user = db.session.execute(sa.select(User)).scalar_one()
    user.name = "Ada King"  # what the LMS's roster says; this launch's claims carry no name
    db.session.commit()
    page, _reads = _relaunch_reads(app, client, platform, name=None, given_name=None, family_name=None)
    assert "Welcome, <bdi>Ada King</bdi>." in page


def test_a_participant_removed_joins_again_at_the_next_launch(app, client, platform):
    launch(client, platform)
    db.session.delete(db.session.execute(sa.select(Participant)).scalar_one())
    db.session.commit()
    db.session.remove()
    with statements(app) as seen:
        page = _home(launch(client, platform))
    assert [s.split(" (")[0].replace('"', "") for s in writes(seen)] == ["INSERT INTO participant"]
    assert "You take part as a mentee." in page
    assert db.session.execute(sa.select(Participant.role)).scalar_one() is ParticipantRole.MENTEE


def test_each_course_has_its_own_programme_and_home(app, client, platform):
    launch(client, platform)
    launch(client, platform, sub="user-2", context_id="course-2", roles=[INSTRUCTOR])
    programmes = db.session.execute(sa.select(Programme.course_id)).scalars().all()
    assert len(set(programmes)) == 2
    page, reads = _relaunch_reads(app, client, platform)
    assert reads == [] and "Mentoring 101" in page
    assert me(client, launch(client, platform))["user"]["sub"] == "user-1"


def test_a_launch_outside_a_course_joins_nothing(app, client, platform):
    from tests.launch.test_launch_fast_path import LTI

    response = launch(client, platform, **{LTI + "context": None})
    assert response.status_code == 404  # no course: the page says to open it from a course
    assert db.session.execute(sa.select(sa.func.count()).select_from(Participant)).scalar_one() == 0


def test_a_change_in_another_course_keeps_this_ones_row(app, client, platform):
    launch(client, platform)
    launch(client, platform, sub="user-2", context_id="course-2", roles=[INSTRUCTOR])
    other = db.session.execute(
        sa.select(Programme).join(Course, Course.id == Programme.course_id)
        .where(Course.context_id == "course-2")
    ).scalar_one()
    other.title = "Another course's programme"
    db.session.commit()
    page, reads = _relaunch_reads(app, client, platform)
    assert reads == [] and "Mentoring 101" in page


def test_a_stamp_the_cache_lost_reads_again(app, client, platform):
    """A course stamp gone from the cache (evicted, or Redis restarted) reads as 'never changed':
    a row kept under a stamp must not match it."""
    from lti_tool.cache import cache

    launch(client, platform)
    programme = db.session.execute(sa.select(Programme)).scalar_one()
    programme.title = "Renamed once"
    db.session.commit()
    _relaunch_reads(app, client, platform)  # kept again, under the new stamp
    cache().delete_prefix("launch-course:")
    page, reads = _relaunch_reads(app, client, platform)
    assert len(reads) == 1 and "FROM programme" in reads[0] and "Renamed once" in page


def test_what_the_join_keeps_is_checked_against_the_person_and_course():
    from lti_tool.accounts.models import CourseRole
    from lti_tool.identity.context import LaunchContext
    from lti_tool.mentoring.programmes import home

    ctx = LaunchContext(platform_id=1, user_id=7, course_id=3, role=CourseRole.PARTICIPANT)
    row = home.HomeRow(5, "Title", home.MatchingMode.ONE_TO_ONE, RoleSource.LMS, 9,
                       ParticipantRole.MENTEE, home.RoleOrigin.LMS, ParticipantRole.MENTEE,
                       "Ada", None, None, "user-1")
    kept = home._keep(row, ctx)
    assert home._unkept(kept, ctx) == row
    from dataclasses import replace

    assert home._unkept(kept, replace(ctx, user_id=8)) is None
    assert home._unkept(kept, replace(ctx, course_id=4)) is None
    assert home._unkept([*kept[:4], "no such mode", *kept[5:]], ctx) is None
    assert home._unkept("anything else", ctx) is None
