"""Rows for relationship-space tests: a course with a programme, a match, its people, and sessions."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from lti_tool.accounts.models import Course, CourseRole, User
from lti_tool.db import db
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import issue_token
from lti_tool.launch.models import Platform
from lti_tool.mentoring.matching.models import Match, MatchStatus
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme
from tests.mentoring.matching import states as match_states


@dataclass
class World:
    platform: Platform
    course: Course
    programme: Programme
    mentor: User
    mentees: list[User]
    coordinator: User
    outsider: User  # a mentee of another match in the same programme
    match: Match
    other_match: Match
    tokens: dict[int, str] = field(default_factory=dict)

    @property
    def mentee(self) -> User:
        return self.mentees[0]

    def headers(self, user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user.id]}", "Accept": "application/json"}

    def token(self, user: User) -> str:
        return self.tokens[user.id]


def _user(platform: Platform, sub: str, name: str, email: str | None, tz: str | None = None) -> User:
    given = name.split()[0]
    user = User(platform_id=platform.id, sub=sub, name=name, given_name=given, email=email, timezone=tz)
    db.session.add(user)
    return user


def make_world(
    *,
    mentees: int = 1,
    status: MatchStatus = MatchStatus.ACTIVE,
    emails: bool = True,
    mentor_tz: str | None = "Europe/Rome",
    mentee_tz: str | None = "America/New_York",
) -> World:
    platform = Platform(
        issuer="https://lms.example",
        client_id="ritmo",
        name="LMS",
        auth_login_url="https://lms.example/auth",
        auth_token_url="https://lms.example/token",
        key_set_url="https://lms.example/jwks",
    )
    db.session.add(platform)
    db.session.flush()
    course = Course(platform_id=platform.id, context_id="course-1", title="Mentoring 101")
    db.session.add(course)
    db.session.flush()
    programme = Programme(course_id=course.id, title="Mentoring 101", timezone="Europe/Rome")
    db.session.add(programme)

    def mail(local: str) -> str | None:
        return f"{local}@example.org" if emails else None

    mentor = _user(platform, "mentor", "Marta Rossi", mail("marta"), mentor_tz)
    mentee_users = [
        _user(platform, f"mentee{i}", f"Ben Mentee{i}", mail(f"ben{i}"), mentee_tz) for i in range(mentees)
    ]
    coordinator = _user(platform, "coord", "Cora Coordinator", mail("cora"))
    outsider = _user(platform, "outsider", "Olga Outsider", mail("olga"))
    other_mentor = _user(platform, "mentor2", "Otto Mentor", mail("otto"))
    db.session.flush()

    def participant(user: User, role: ParticipantRole) -> Participant:
        p = Participant(programme_id=programme.id, user_id=user.id, role=role)
        db.session.add(p)
        return p

    mentor_p = participant(mentor, ParticipantRole.MENTOR)
    mentee_ps = [participant(u, ParticipantRole.MENTEE) for u in mentee_users]
    participant(coordinator, ParticipantRole.COORDINATOR)
    outsider_p = participant(outsider, ParticipantRole.MENTEE)
    other_mentor_p = participant(other_mentor, ParticipantRole.MENTOR)
    db.session.flush()
    db.session.commit()
    match = match_states.in_state(programme, mentor_p, mentee_ps, status)
    other = match_states.active(programme, other_mentor_p, [outsider_p])
    match_states.forget_announcements()
    world = World(platform, course, programme, mentor, mentee_users, coordinator, outsider, match, other)
    for user in [mentor, *mentee_users, outsider, other_mentor]:
        world.tokens[user.id] = issue_token(
            LaunchContext(
                platform_id=platform.id,
                user_id=user.id,
                course_id=course.id,
                role=CourseRole.PARTICIPANT,
                is_mentor=user in (mentor, other_mentor),
            )
        )
    world.tokens[coordinator.id] = issue_token(
        LaunchContext(
            platform_id=platform.id,
            user_id=coordinator.id,
            course_id=course.id,
            role=CourseRole.COORDINATOR,
        )
    )
    return world


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.envelopes.append(envelope)
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.envelopes.clear()
