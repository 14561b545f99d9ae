"""A relaunch opens the programme home from the launch memo, and any change to what the home shows
is seen at the next launch (launch.memo, launch.stamps)."""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.accounts.models import Course, User
from lti_tool.db import db
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme, RoleSource
from tests.launch.test_launch_fast_path import me, statements
from tests.lti_platform import INSTRUCTOR, launch, session_token


def _home(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _relaunch_reads(app, client, platform, **claims) -> tuple[str, list[str]]:
    db.session.remove()  # a new request
    with statements(app) as seen:
        page = _home(launch(client, platform, **claims))
    return page, [s for s in seen if s.startswith("SELECT")]


def test_a_relaunch_opens_the_home_without_the_database(app, client, platform):
    first = _home(launch(client, platform))
    page, reads = _relaunch_reads(app, client, platform)
    assert reads == []
    # The same page, but for the session it carries.
    token = session_token(page)
    assert page.replace(token, "") == first.replace(session_token(first), "")
    assert "Mentoring 101" in page and "You take part as a mentee." in page


def test_a_new_programme_title_shows_at_the_next_launch(app, client, platform):
    launch(client, platform)
    programme = db.session.execute(sa.select(Programme)).scalar_one()
    programme.title = "Peer mentoring 2027"
    db.session.commit()
    page, reads = _relaunch_reads(app, client, platform)
    assert "Peer mentoring 2027" in page and len(reads) == 1
    # Read once, remembered again: the launch after needs nothing.
    page, reads = _relaunch_reads(app, client, platform)
    assert "Peer mentoring 2027" in page and reads == []


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


def test_a_name_changed_by_a_roster_sync_shows_at_the_next_launch(app, client, platform):
    launch(client, platform, name=None, given_name=None, family_name=None)
    user = db.session.execute(sa.select(User)).scalar_one()
    user.name = "Ada King"  # what the LMS's roster says; this launch's claims carry no name
    db.session.commit()
    page, _reads = _relaunch_reads(app, client, platform, name=None, given_name=None, family_name=None)
    assert "Welcome, <bdi>Ada King</bdi>." in page


def test_a_participant_removed_shows_at_the_next_launch(app, client, platform):
    launch(client, platform)
    db.session.delete(db.session.execute(sa.select(Participant)).scalar_one())
    db.session.commit()
    page, reads = _relaunch_reads(app, client, platform)
    assert reads  # read again: the card was of someone who took part
    assert "You take part as a mentee." in page  # not a participant: the page's default wording


def test_a_change_in_another_course_leaves_this_card_alone(app, client, platform):
    launch(client, platform)
    launch(client, platform, sub="user-2", context_id="course-2", roles=[INSTRUCTOR])
    other = db.session.execute(
        sa.select(Programme).join(Programme.course).where(Course.context_id == "course-2")
    ).scalar_one()
    other.title = "Elsewhere"
    db.session.commit()
    _page, reads = _relaunch_reads(app, client, platform)
    assert reads == []
    assert me(client, launch(client, platform))["user"]["sub"] == "user-1"


def test_refreshing_the_card_keeps_when_last_seen_was_written(app, client, platform):
    # The memo says when last_seen_at was last written; reading the card again writes no last_seen,
    # so it must not move that time (the next due write would come late).
    from lti_tool.cache import cache
    from lti_tool.launch import memo
    from lti_tool.launch.tool_config import find_snapshot
    from tests.launch.test_launch_fast_path import _age_memo

    launch(client, platform)
    _age_memo(platform, 120)
    key = memo.key(find_snapshot(platform.issuer, platform.client_id).scope, "user-1")
    aged = cache().get(key)["seen_at"]
    programme = db.session.execute(sa.select(Programme)).scalar_one()
    programme.title = "Peer mentoring 2027"
    db.session.commit()
    page, _reads = _relaunch_reads(app, client, platform)
    assert "Peer mentoring 2027" in page
    entry = cache().get(key)
    assert entry["seen_at"] == aged and entry["home"][1] == "Peer mentoring 2027"
