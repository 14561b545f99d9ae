"""Rows and session tokens for webinar and content tests, without a full LTI launch."""

from __future__ import annotations

import email
import itertools
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from flask.testing import FlaskClient

from lti_tool.accounts.models import Course, CourseRole, Enrolment, User
from lti_tool.db import db
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import issue_token
from lti_tool.launch import registry
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme

_counter = itertools.count(1)


@dataclass
class Person:
    user: User
    participant: Participant
    token: str

    @property
    def id(self) -> int:
        return self.participant.id


@dataclass
class World:
    platform_id: int
    course: Course
    programme: Programme
    people: dict[str, Person] = field(default_factory=dict)

    def add(
        self, name: str, role: ParticipantRole, *, email_address: str | None = "", timezone: str | None = None
    ) -> Person:
        n = next(_counter)
        user = User(
            platform_id=self.platform_id,
            sub=f"sub-{name}-{n}",
            name=name.title(),
            email=f"{name}@example.edu" if email_address == "" else email_address,
            timezone=timezone,
        )
        db.session.add(user)
        db.session.flush()
        coordinator = role is ParticipantRole.COORDINATOR
        db.session.add(
            Enrolment(
                user_id=user.id,
                course_id=self.course.id,
                role=CourseRole.COORDINATOR if coordinator else CourseRole.PARTICIPANT,
                is_mentor=role is ParticipantRole.MENTOR,
            )
        )
        participant = Participant(programme_id=self.programme.id, user_id=user.id, role=role)
        db.session.add(participant)
        db.session.commit()
        ctx = LaunchContext(
            platform_id=self.platform_id,
            user_id=user.id,
            course_id=self.course.id,
            role=CourseRole.COORDINATOR if coordinator else CourseRole.PARTICIPANT,
            is_mentor=role is ParticipantRole.MENTOR,
        )
        person = Person(user, participant, issue_token(ctx))
        self.people[name] = person
        return person


def make_world(context_id: str = "course-1", timezone: str = "Europe/Rome") -> World:
    """A platform, a course with its programme, a coordinator, two mentors and two mentees."""
    platform = registry.find_platform("https://lms.example.edu", "ritmo")
    if platform is None:
        platform = registry.add_platform(
            {
                "issuer": "https://lms.example.edu",
                "client_id": "ritmo",
                "deployment_ids": ["d1"],
                "auth_login_url": "https://lms.example.edu/auth",
                "auth_token_url": "https://lms.example.edu/token",
                "key_set_url": "https://lms.example.edu/jwks",
                "name": "Example LMS",
            }
        )
    course = Course(platform_id=platform.id, context_id=context_id, title="Mentoring 101")
    db.session.add(course)
    db.session.flush()
    programme = Programme(course_id=course.id, title="Mentoring 101", timezone=timezone)
    db.session.add(programme)
    db.session.commit()
    world = World(platform.id, course, programme)
    world.add("coach", ParticipantRole.COORDINATOR, timezone="Europe/Rome")
    world.add("mara", ParticipantRole.MENTOR, timezone="Europe/Rome")
    world.add("marco", ParticipantRole.MENTOR, timezone="Europe/Rome")
    world.add("nina", ParticipantRole.MENTEE, timezone="America/New_York")
    world.add("noah", ParticipantRole.MENTEE, timezone="Europe/Rome")
    return world


def api(client: FlaskClient, person: Person, method: str, path: str, **kwargs: Any):
    headers = {"Authorization": f"Bearer {person.token}", **kwargs.pop("headers", {})}
    return client.open(path, method=method, headers=headers, **kwargs)


class Mailbox:
    """A real SMTP server on 127.0.0.1 collecting what Ritmo sends."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self._lock = threading.Lock()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def start(self) -> Mailbox:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def subjects(self, to: str | None = None) -> list[str]:
        with self._lock:
            return [str(m["Subject"]) for m in self.messages if to is None or to in str(m["To"])]

    def calendars(self, to: str) -> list[str]:
        found = []
        with self._lock:
            for message in self.messages:
                if to not in str(message["To"]):
                    continue
                for part in message.walk():
                    if part.get_content_type() == "text/calendar":
                        payload = part.get_payload(decode=True)
                        assert isinstance(payload, bytes)
                        found.append(payload.decode())
        return found
