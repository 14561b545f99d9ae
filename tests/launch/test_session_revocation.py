"""A session ends when a later launch changes the person's course role (its token says the old one)."""

from __future__ import annotations

from lti_tool.identity.session import read_token
from tests.lti_platform import INSTRUCTOR, LEARNER, launch, session_token


def _ended(response) -> bool:
    detail = response.get_json()["detail"]
    return response.status_code == 401 and "Open Ritmo again from your course" in detail


def test_a_later_launch_with_another_course_role_ends_the_earlier_session(app, client, platform) -> None:
    teacher = session_token(launch(client, platform, roles=[INSTRUCTOR]).get_data(as_text=True))
    assert client.get("/api/me", headers={"Authorization": f"Bearer {teacher}"}).status_code == 200
    learner = session_token(launch(client, platform, roles=[LEARNER]).get_data(as_text=True))
    assert _ended(client.get("/api/me", headers={"Authorization": f"Bearer {teacher}"}))
    assert client.get("/api/me", headers={"Authorization": f"Bearer {learner}"}).status_code == 200
    # The same role again changes nothing: both sessions of a learner stay.
    again = session_token(launch(client, platform, roles=[LEARNER]).get_data(as_text=True))
    for token in (learner, again):
        assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with client.application.test_request_context():
        assert read_token(again).role.value == "participant"
