"""Rows for programme, profile and matching tests: a course, its programme, people and sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient

from lti_tool.accounts.models import Course, CourseRole, User
from lti_tool.db import db
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import issue_token
from lti_tool.launch.models import Platform
from lti_tool.mentoring.profiles import service as profiles
from lti_tool.mentoring.programmes.models import MatchingMode, Participant, ParticipantRole, Programme


@dataclass
class World:
    platform: Platform
    course: Course
    programme: Programme
    coordinator: User
    people: dict[int, Participant] = field(default_factory=dict)  # by user id
    counter: int = 0

    def token(self, user: User | int) -> str:
        user_id = user if isinstance(user, int) else user.id
        role = CourseRole.COORDINATOR if user_id == self.coordinator.id else CourseRole.PARTICIPANT
        return issue_token(
            LaunchContext(platform_id=self.platform.id, user_id=user_id, course_id=self.course.id, role=role)
        )

    def headers(self, user: User | int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}", "Accept": "application/json"}

    def person(
        self,
        name: str,
        role: ParticipantRole,
        *,
        capacity: int | None = None,
        email: bool = True,
        answers: dict[str, Any] | None = None,
    ) -> Participant:
        self.counter += 1
        user = User(
            platform_id=self.platform.id,
            sub=f"u{self.counter}",
            name=name,
            email=f"user{self.counter}@example.test" if email else None,
        )
        db.session.add(user)
        db.session.flush()
        participant = Participant(
            programme_id=self.programme.id, user_id=user.id, role=role, capacity=capacity
        )
        db.session.add(participant)
        db.session.flush()
        self.people[user.id] = participant
        if answers:
            profiles.save_answers(participant, answers)
        db.session.commit()
        return participant

    def question(self, **data: Any) -> Any:
        from lti_tool.mentoring.profiles.schemas import QuestionSchema

        question = profiles.add_question(self.programme, QuestionSchema().load(data))
        db.session.commit()
        return question


def world(
    mode: MatchingMode = MatchingMode.ONE_TO_ONE,
    *,
    requires_approval: bool = True,
    memberships_url: str | None = None,
) -> World:
    platform = Platform(
        issuer="https://lms.example.test",
        client_id="ritmo",
        name="LMS",
        auth_login_url="https://lms.example.test/auth",
        auth_token_url="https://lms.example.test/token",
        key_set_url="https://lms.example.test/jwks",
    )
    db.session.add(platform)
    db.session.flush()
    course = Course(
        platform_id=platform.id, context_id="CourseA", title="Mentoring 101", memberships_url=memberships_url
    )
    db.session.add(course)
    db.session.flush()
    programme = Programme(
        course_id=course.id,
        title="Mentoring 101",
        matching_mode=mode,
        requires_approval=requires_approval,
        default_capacity=2,
        settings={},
    )
    db.session.add(programme)
    coordinator = User(
        platform_id=platform.id, sub="coord", name="Cora Coordinator", email="cora@example.test"
    )
    db.session.add(coordinator)
    db.session.flush()
    db.session.add(
        Participant(programme_id=programme.id, user_id=coordinator.id, role=ParticipantRole.COORDINATOR)
    )
    db.session.commit()
    return World(platform, course, programme, coordinator)


def call(client: FlaskClient, w: World, user: User | int, method: str, path: str, **kwargs: Any) -> Any:
    """An API call as ``user``; returns the response (JSON in ``.json``)."""
    return client.open(path, method=method, headers=w.headers(user), **kwargs)


def user_of(participant: Participant) -> int:
    return participant.user_id
