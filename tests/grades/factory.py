"""Rows and sessions for goals and grades tests, plus a demo LMS wired to this Ritmo."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from lti_tool.accounts.models import Course, CourseRole, User
from lti_tool.db import db
from lti_tool.demo import DemoPlatform, start_demo_server
from lti_tool.demo.roster import Person
from lti_tool.demo.server import ServerHandle, serve_in_thread
from lti_tool.grades.models import DeliveryState, ScoreOutbox
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import issue_token
from lti_tool.jobs.runner import drain
from lti_tool.launch import keys, registry
from lti_tool.launch.models import Platform
from lti_tool.lti_services import tokens
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme
from tests.mentoring.matching import states as match_states

#: Fast retries so fault tests finish in seconds (production uses seconds to minutes).
FAST_GRADES = {
    "GRADES_BACKOFF_BASE_SECONDS": 0.05,
    "GRADES_BACKOFF_CAP_SECONDS": 0.5,
    "GRADES_SWEEP_SECONDS": 0.2,
    "GRADES_LEASE_SECONDS": 1,
    "GRADES_LEASE_RENEW_SECONDS": 0.25,
}


def bearer(ctx: LaunchContext) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(ctx)}"}


@dataclass
class World:
    """A platform, a course with a programme, and matches with people in them."""

    platform: Platform
    course: Course
    programme: Programme
    coordinator: User
    matches: list[Match] = field(default_factory=list)
    mentors: list[Participant] = field(default_factory=list)
    mentees: list[Participant] = field(default_factory=list)

    def ctx(self, user: User | Participant, role: CourseRole = CourseRole.PARTICIPANT) -> LaunchContext:
        user_id = user.user_id if isinstance(user, Participant) else user.id
        return LaunchContext(
            platform_id=self.platform.id, user_id=user_id, course_id=self.course.id, role=role
        )

    @property
    def coord(self) -> LaunchContext:
        return self.ctx(self.coordinator, CourseRole.COORDINATOR)


def make_platform(issuer: str = "https://lms.example.edu", token_url: str | None = None) -> Platform:
    return registry.add_platform(
        {
            "issuer": issuer,
            "client_id": "ritmo-demo",
            "deployment_ids": ["1"],
            "auth_login_url": issuer + "/demo/auth",
            "auth_token_url": token_url or issuer + "/demo/token",
            "key_set_url": issuer + "/demo/jwks",
            "name": "test",
        }
    )


def make_world(
    platform: Platform | None = None,
    *,
    matches: int = 2,
    mentees_per_match: int = 1,
    lineitems_url: str | None = None,
    context_id: str = "CourseA",
    sub: Callable[[int], str] | None = None,
) -> World:
    platform = platform or make_platform()
    # Another course on the same platform gets people of its own.
    prefix = "" if context_id == "CourseA" else f"{context_id}-"
    sub = sub or (lambda n: f"{prefix}u-learner-{n:02d}")
    course = Course(
        platform_id=platform.id, context_id=context_id, title="Mentoring 101", lineitems_url=lineitems_url
    )
    db.session.add(course)
    db.session.flush()
    programme = Programme(course_id=course.id, title="Mentoring 101")
    coordinator = User(platform_id=platform.id, sub=f"{prefix}u-instructor", name="Irene Instructor")
    db.session.add_all([programme, coordinator])
    db.session.flush()
    db.session.add(
        Participant(programme_id=programme.id, user_id=coordinator.id, role=ParticipantRole.COORDINATOR)
    )
    world = World(platform, course, programme, coordinator)
    n = 0
    for m in range(matches):
        mentor_user = User(
            platform_id=platform.id, sub=f"{prefix}u-mentor-{m + 1:02d}", name=f"Mentor {m + 1}"
        )
        db.session.add(mentor_user)
        db.session.flush()
        mentor = Participant(programme_id=programme.id, user_id=mentor_user.id, role=ParticipantRole.MENTOR)
        db.session.add(mentor)
        db.session.flush()
        world.mentors.append(mentor)
        mentees = []
        for _ in range(mentees_per_match):
            n += 1
            user = User(platform_id=platform.id, sub=sub(n), name=f"Mentee {n}")
            db.session.add(user)
            db.session.flush()
            mentee = Participant(programme_id=programme.id, user_id=user.id, role=ParticipantRole.MENTEE)
            db.session.add(mentee)
            db.session.flush()
            mentees.append(mentee)
            world.mentees.append(mentee)
        db.session.commit()
        world.matches.append(match_states.active(programme, mentor, mentees))
    db.session.commit()
    return world


# --- a demo LMS that trusts this Ritmo --------------------------------------------------------


@dataclass
class Lms:
    handle: ServerHandle
    jwks: ServerHandle

    @property
    def platform(self) -> DemoPlatform:
        return DemoPlatform.of(self.handle.app)

    @property
    def url(self) -> str:
        return self.handle.url

    def faults(self, **settings: Any) -> None:
        self.platform.faults.configure(settings)

    def stats(self) -> dict[str, int]:
        return self.platform.stats.snapshot()

    def book(self) -> dict[str, dict[str, Any]]:
        """resourceId -> {sub: ScoreRecord}."""
        out = {}
        for item in self.platform.gradebook.query(self.platform.course.context_id, {}):
            out[item.extra.get("resourceId", "")] = self.platform.gradebook.scores(item)
        return out

    def add_members(self, subs: list[str]) -> None:
        course = self.platform.course
        known = {p.user_id for p in course.members}
        course.members.extend(Person(s, "Bench", s) for s in subs if s not in known)

    def register(self) -> Platform:
        """Register this demo LMS as a platform of Ritmo."""
        return registry.add_platform(self.platform.registration())

    @property
    def lineitems_url(self) -> str:
        return self.platform.lineitems_url(self.platform.course.context_id)

    def close(self) -> None:
        self.handle.shutdown()
        self.jwks.shutdown()


class _StaticJson:
    def __init__(self, body: dict[str, Any]):
        self.body = json.dumps(body).encode()

    def __call__(self, environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [self.body]


@contextmanager
def demo_lms(**config: Any) -> Iterator[Lms]:
    """The demo LMS on 127.0.0.1, fetching Ritmo's public keys from a small JWKS server."""
    jwks = serve_in_thread(_StaticJson(keys.jwks()))  # type: ignore[arg-type]
    handle = start_demo_server({"tool_jwks_url": jwks.url + "/jwks", **config})
    tokens.clear_memo()
    lms = Lms(handle, jwks)
    try:
        yield lms
    finally:
        lms.close()
        tokens.clear_memo()


def deliver_all(app: Flask, deadline_seconds: float = 30.0) -> None:
    """Run jobs until no score is waiting (a liveness guard, not a timing assertion)."""
    stop = time.monotonic() + deadline_seconds
    while time.monotonic() < stop:
        drain()
        open_rows = db.session.execute(
            db.select(db.func.count())
            .select_from(ScoreOutbox)
            .where(ScoreOutbox.state.in_([DeliveryState.PENDING, DeliveryState.SENDING]))
        ).scalar_one()
        if not open_rows:
            return
        time.sleep(0.05)
    raise AssertionError("scores still waiting for delivery after the deadline")
