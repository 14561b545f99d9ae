"""What the domain learns from a launch: plain values, no pylti1p3 objects."""

from __future__ import annotations

from dataclasses import dataclass, field

from lti_tool.accounts.models import CourseRole


@dataclass(frozen=True)
class LaunchContext:
    """Who is here, in which course, as what. Carried by the in-frame session token."""

    platform_id: int
    user_id: int
    course_id: int | None
    role: CourseRole
    is_mentor: bool = False
    resource_link_id: int | None = None
    locale: str | None = None
    lis_roles: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_coordinator(self) -> bool:
        return self.role is CourseRole.COORDINATOR
