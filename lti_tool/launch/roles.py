"""LIS roles to Ritmo roles.

Platforms send full LIS URIs (``http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor``);
some older ones send short names (``Instructor``). Staff roles coordinate the programme; everyone
else takes part. Moodle never sends the LIS Mentor role, so a custom parameter can mark a mentor too.
"""

from __future__ import annotations

from collections.abc import Iterable

from lti_tool.accounts.models import CourseRole

COORDINATOR_ROLES = frozenset(
    {"Instructor", "Administrator", "TeachingAssistant", "ContentDeveloper"}
)
MENTOR_ROLE = "Mentor"
TRUTHY = frozenset({"true", "yes", "1"})


def short_name(role: str) -> str:
    """``...membership#Instructor`` -> ``Instructor``; ``...membership/Instructor#TeachingAssistant``
    (a sub-role) -> ``TeachingAssistant``; a short name stays as it is."""
    return role.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def course_role(lis_roles: Iterable[str]) -> CourseRole:
    names = {short_name(r) for r in lis_roles}
    return CourseRole.COORDINATOR if names & COORDINATOR_ROLES else CourseRole.PARTICIPANT


def is_mentor(lis_roles: Iterable[str], custom: dict[str, object] | None) -> bool:
    """The LIS Mentor role, or a custom parameter ``ritmo_role=mentor`` (or ``mentor=true``)."""
    if any(short_name(r) == MENTOR_ROLE for r in lis_roles):
        return True
    custom = custom or {}
    if str(custom.get("ritmo_role", "")).strip().lower() == "mentor":
        return True
    return str(custom.get("mentor", "")).strip().lower() in TRUTHY
