"""A person's sessions end at once when they are erased, withdrawn, or their role changes.

Two app instances stand for two server processes: what one revokes, the other refuses on its next
request, though it had the person's stamp in the shared cache already.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lti_tool import create_app
from lti_tool.accounts import privacy
from lti_tool.db import db
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole
from lti_tool.mentoring.roster import service as roster
from tests.conftest import REDIS_URL, _config, need
from tests.lti_platform import INSTRUCTOR, LEARNER, MENTOR
from tests.mentoring.conversations.factories import World, make_world


def _chat(client, world: World, user) -> int:
    response = client.post(
        f"/api/matches/{world.match.id}/chat", headers=world.headers(user), json={"body": "still here?"}
    )
    return response.status_code


def _ended(response) -> bool:
    detail = response.get_json()["detail"]
    return response.status_code == 401 and "Open Ritmo again from your course" in detail


def test_an_erased_person_cannot_post_with_the_session_they_had(app, client) -> None:
    world = make_world()
    assert _chat(client, world, world.mentee) == 201
    privacy.erase(world.mentee.id, reason="request 3")
    refused = client.post(f"/api/matches/{world.match.id}/chat", headers=world.headers(world.mentee),
                          json={"body": "I am back"})
    assert _ended(refused)
    page = client.post("/programme", data={"ritmo_session": world.token(world.mentee)})
    assert page.status_code == 401 and "text/html" in page.content_type
    assert _chat(client, world, world.mentor) == 201  # others carry on


def _second_process(app, **extra):
    config = {k: app.config[k] for k in ("DATABASE_URL", "DATA_DIR", "SECRET_KEY", "BASE_URL")}
    return create_app(_config(config["DATABASE_URL"], config["DATA_DIR"], **extra))


def _revoked_elsewhere(app, client, **extra) -> None:
    world = make_world()
    other = _second_process(app, **extra)
    other_client = other.test_client()
    try:
        assert _chat(other_client, world, world.mentee) == 201  # its cache now holds her stamp
        privacy.erase(world.mentee.id)
        assert _chat(other_client, world, world.mentee) == 401
        assert _chat(other_client, world, world.mentor) == 201
    finally:
        with other.app_context():
            db.engine.dispose()


def test_revocation_reaches_every_process_through_the_shared_cache(app, client) -> None:
    _revoked_elsewhere(app, client)


@pytest.mark.redis
@pytest.mark.parametrize("app_config", [{"REDIS_URL": REDIS_URL}], indirect=False)
def test_revocation_reaches_every_process_through_redis(app, client, app_config) -> None:
    need(REDIS_URL, "Redis", "LTI_TOOL_TEST_REDIS_URL")
    from lti_tool.cache import RedisCache

    assert isinstance(app.extensions["ritmo_cache"], RedisCache)
    _revoked_elsewhere(app, client, REDIS_URL=REDIS_URL)


def test_a_rolled_back_revocation_revokes_nothing(app, client) -> None:
    from lti_tool.identity import revocation

    world = make_world()
    revocation.revoke([world.mentee.id])
    db.session.rollback()
    assert _chat(client, world, world.mentee) == 201


def test_withdrawal_by_roster_sync_ends_the_session(app, client) -> None:
    world = make_world()
    assert _chat(client, world, world.mentee) == 201
    roster.apply_members(world.programme, [
        {"user_id": "mentee0", "roles": [LEARNER], "status": "Inactive"},
        {"user_id": "mentor", "roles": [LEARNER, MENTOR], "status": "Active"},
    ])
    assert _chat(client, world, world.mentee) == 401
    # The mentor's session lives on; their match ended with the mentee's withdrawal.
    assert client.get("/api/me", headers=world.headers(world.mentor)).status_code == 200
    assert _chat(client, world, world.mentor) == 403


def test_a_role_change_by_roster_sync_ends_the_session(app, client) -> None:
    world = make_world()
    mentor = {"user_id": "mentor", "roles": [LEARNER, MENTOR], "status": "Active"}
    as_learner = {"user_id": "mentee0", "roles": [LEARNER], "status": "Active"}
    roster.apply_members(world.programme, [as_learner, mentor])
    assert _chat(client, world, world.mentee) == 201  # a first enrolment changes nothing
    roster.apply_members(world.programme, [{**as_learner, "roles": [INSTRUCTOR]}, mentor])
    assert _chat(client, world, world.mentee) == 401


def test_a_coordinator_changing_someones_role_ends_their_session(app, client) -> None:
    world = make_world()
    ben = db.session.execute(
        sa.select(Participant).where(Participant.user_id == world.mentee.id)
    ).scalar_one()
    response = client.patch(
        f"/api/programmes/{world.programme.id}/participants/{ben.id}",
        headers=world.headers(world.coordinator), json={"role": ParticipantRole.MENTOR.value},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _chat(client, world, world.mentee) == 401
    assert client.get("/api/me", headers=world.headers(world.coordinator)).status_code == 200



def test_a_session_of_someone_who_no_longer_exists_is_refused(app, client) -> None:
    from lti_tool.accounts.models import CourseRole
    from lti_tool.identity.context import LaunchContext
    from lti_tool.identity.session import issue_token

    world = make_world()
    ghost = issue_token(LaunchContext(platform_id=world.platform.id, user_id=world.mentee.id + 1000,
                                      course_id=world.course.id, role=CourseRole.PARTICIPANT))
    assert client.get("/api/me", headers={"Authorization": f"Bearer {ghost}"}).status_code == 401
