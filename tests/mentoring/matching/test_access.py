"""Matching's public modules: who may open a match, a person's matches, and the training gate in the pool."""

from __future__ import annotations

import pytest

from lti_tool.accounts.models import CourseRole
from lti_tool.errors import NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.matching import statuses
from lti_tool.mentoring.matching.access import match_access, my_matches
from lti_tool.mentoring.matching.models import Match, MatchStatus
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole
from tests.mentoring.matching import states as match_states
from tests.mentoring.matching.test_api_matching import people, setup_programme
from tests.mentoring.programmes.factories import World, call


def _match(w: World, mentor: Participant, mentee: Participant, status: MatchStatus) -> Match:
    """Made through the service: proposed, approved, then ended by a coordinator as asked."""
    return match_states.in_state(w.programme, mentor, [mentee], status)


def _ctx(w: World, user_id: int, *, coordinator: bool = False) -> LaunchContext:
    role = CourseRole.COORDINATOR if coordinator else CourseRole.PARTICIPANT
    return LaunchContext(platform_id=w.platform.id, user_id=user_id, course_id=w.course.id, role=role)


def test_status_sets_name_distinct_meanings():
    assert set(statuses.CONFIRMED) == {MatchStatus.APPROVED, MatchStatus.ACTIVE}
    assert set(statuses.HOLDING_PLACES) == set(statuses.CONFIRMED) | {MatchStatus.PROPOSED}
    assert set(statuses.VISIBLE_TO_MEMBERS) == set(statuses.CONFIRMED) | {MatchStatus.ENDED}


def test_members_see_their_match_from_approval_coordinators_always_others_never(app):
    w = setup_programme()
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    mentee = w.person("Max Mentee", ParticipantRole.MENTEE)
    other = w.person("Oli Mentee", ParticipantRole.MENTEE)
    waiting = w.person("Wes Mentee", ParticipantRole.MENTEE)
    ended = _match(w, mentor, mentee, MatchStatus.ENDED)
    active = _match(w, mentor, mentee, MatchStatus.ACTIVE)
    proposed = _match(w, mentor, waiting, MatchStatus.PROPOSED)

    seen = match_access(_ctx(w, mentee.user_id), active.id)
    assert seen.is_mentee and not seen.is_mentor and seen.is_confirmed
    assert seen.member_user_ids == [mentor.user_id, mentee.user_id]
    assert match_access(_ctx(w, mentor.user_id), ended.id).is_mentor
    assert not match_access(_ctx(w, mentor.user_id), ended.id).is_confirmed
    for person, match in ((waiting, proposed), (mentor, proposed), (other, active), (other, ended)):
        with pytest.raises(NotFound):
            match_access(_ctx(w, person.user_id), match.id)
    coordinator = match_access(_ctx(w, w.coordinator.id, coordinator=True), proposed.id)
    assert coordinator.is_coordinator and not coordinator.is_member
    with pytest.raises(NotFound):
        match_access(_ctx(w, mentee.user_id), 10_000_000)
    outside = LaunchContext(
        platform_id=w.platform.id, user_id=mentee.user_id, course_id=None, role=CourseRole.PARTICIPANT
    )
    with pytest.raises(NotFound):
        match_access(outside, active.id)


def test_my_matches_are_the_visible_ones_oldest_first_or_the_statuses_asked(app):
    w = setup_programme()
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    mentee = w.person("Max Mentee", ParticipantRole.MENTEE)
    ended = _match(w, mentor, mentee, MatchStatus.ENDED)
    _match(w, mentor, w.person("Wes Mentee", ParticipantRole.MENTEE), MatchStatus.PROPOSED)
    active = _match(w, mentor, mentee, MatchStatus.ACTIVE)

    for person in (mentor, mentee):
        assert [m.id for m in my_matches(w.programme.id, person.user_id)] == [ended.id, active.id]
        assert [
            m.id for m in my_matches(w.programme.id, person.user_id, statuses=statuses.CONFIRMED)
        ] == [active.id]
    assert my_matches(w.programme.id, w.coordinator.id) == []
    assert my_matches(w.programme.id + 1, mentee.user_id) == []


def test_a_training_gate_keeps_a_mentee_out_of_matching(client, app):
    """Matching asks the training feature whether people did their training (no optional lookup)."""
    w = setup_programme()
    p = people(w)
    module = call(client, w, w.coordinator, "POST", "/api/content/modules", json={"title": "Basics"}).json
    item = call(
        client,
        w,
        w.coordinator,
        "POST",
        "/api/content/items",
        json={"module_id": module["id"], "kind": "text", "title": "Read", "body": "Text"},
    ).json
    gate = {"role": "mentee", "module_id": module["id"]}
    gate = call(client, w, w.coordinator, "POST", "/api/training/gates", json=gate)
    assert gate.status_code == 201, gate.json

    def why_not() -> list[str]:
        response = call(
            client,
            w,
            w.coordinator,
            "GET",
            f"/api/programmes/{w.programme.id}/matching/why-not",
            query_string={"mentee_id": p["eve"].id, "mentor_id": p["ada"].id},  # type: ignore[attr-defined]
        )
        assert response.status_code == 200, response.json
        return response.json["reasons"]

    assert any("Waiting on training" in r and "Basics" in r for r in why_not()), why_not()
    eve_user = p["eve"].user_id  # type: ignore[attr-defined]
    done = call(client, w, eve_user, "POST", f"/api/content/items/{item['id']}/completion")
    assert done.status_code in (200, 201), done.json
    assert not any("Waiting on training" in r for r in why_not())
