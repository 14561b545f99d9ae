"""The registration, course and programme every seeded benchmark starts from."""

from __future__ import annotations

from lti_tool.accounts.models import Course
from lti_tool.db import db
from lti_tool.launch.models import Platform
from lti_tool.mentoring.programmes.models import Programme


def bench_programme() -> tuple[Platform, Course, Programme]:
    """A platform, one of its courses and the course's programme, added and flushed (ids set)."""
    platform = Platform(issuer="https://lms.bench", client_id="ritmo", name="bench",
                        auth_login_url="https://lms.bench/a", auth_token_url="https://lms.bench/t",
                        key_set_url="https://lms.bench/k")
    db.session.add(platform)
    db.session.flush()
    course = Course(platform_id=platform.id, context_id="bench", title="Bench")
    db.session.add(course)
    db.session.flush()
    programme = Programme(course_id=course.id, title="Bench programme")
    db.session.add(programme)
    db.session.flush()
    return platform, course, programme
