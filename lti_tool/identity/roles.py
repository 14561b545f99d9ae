"""LIS roles to Ritmo roles.

Platforms send full LIS URIs (``http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor``);
some send context roles as short names (``Instructor``), which LTI 1.3 allows for context roles
only. What a person may do in a course follows from their role *in that course* alone: the
vocabulary matters, not just the name after ``#``. Canvas sends institution roles on every launch
(``institution/person#Instructor`` for anyone who teaches anywhere) and Moodle sends
``system/person#Administrator`` for its site admins; neither makes anyone a coordinator of this
course's programme. A system administrator coordinates only where the Ritmo admin chose so
(``LTI_SYSTEM_ADMIN_COORDINATES``). Moodle never sends the LIS Mentor role, so a custom parameter
can mark a mentor too.

Which course roles coordinate is a setting, ``LTI_COORDINATOR_ROLES`` (default: ``Instructor`` and
``Administrator``). Teaching assistants (``membership/Instructor#TeachingAssistant``, which is how
Canvas TAs and Open edX's forum moderators, "Community TA", arrive next to ``Learner``) coordinate
only where the admin adds ``TeachingAssistant``; course designers only with ``ContentDeveloper``.

Launches (``launch.service``) and roster syncs (``mentoring.roster``) both decide here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app, has_app_context

from lti_tool.accounts.models import CourseRole

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
CONTEXT_VOCABULARY = LIS + "membership"
SYSTEM_VOCABULARY = LIS + "system/person#"
# LTI 1.1 URNs, still sent by some platforms next to (or instead of) the LIS v2 URIs.
LEGACY_CONTEXT_PREFIX = "urn:lti:role:ims/lis/"
LEGACY_SYSTEM_PREFIX = "urn:lti:sysrole:ims/lis/"

# Context roles (and the principal role of a sub-role) that coordinate the programme by default;
# the setting ``LTI_COORDINATOR_ROLES`` replaces them.
COORDINATOR_ROLES = frozenset({"Instructor", "Administrator"})
# The sub-role (or short name) of a teaching assistant: ``membership/Instructor#TeachingAssistant``.
TEACHING_ASSISTANT = "TeachingAssistant"
MENTOR_ROLE = "Mentor"
# System roles a deliberate setting lets coordinate (Canvas names its site admins SysAdmin).
SYSTEM_ADMIN_ROLES = frozenset({"Administrator", "SysAdmin"})
TRUTHY = frozenset({"true", "yes", "1"})


@dataclass(frozen=True)
class ContextRole:
    """A role in the course: ``principal`` (``Instructor``) and, for a sub-role, ``sub``
    (``TeachingAssistant`` in ``membership/Instructor#TeachingAssistant``)."""

    principal: str
    sub: str | None = None


def context_role(role: str) -> ContextRole | None:
    """The course role ``role`` names, or ``None`` when it is an institution or system role (or
    anything else that says nothing about this course)."""
    role = role.strip()
    if role.startswith(CONTEXT_VOCABULARY):
        rest = role[len(CONTEXT_VOCABULARY):]
        if rest.startswith("#"):  # membership#Instructor
            return _named(rest[1:])
        if rest.startswith("/"):  # membership/Instructor#TeachingAssistant
            principal, hash_, sub = rest[1:].partition("#")
            return ContextRole(principal, sub) if hash_ and _plain(principal) and _plain(sub) else None
        return None
    if role.startswith(LEGACY_CONTEXT_PREFIX):  # urn:lti:role:ims/lis/Instructor[/TeachingAssistant]
        principal, slash, sub = role[len(LEGACY_CONTEXT_PREFIX):].partition("/")
        if not _plain(principal) or (slash and not _plain(sub)):
            return None
        return ContextRole(principal, sub or None)
    return _named(role)  # a short name is a context role; a URI of another vocabulary is not


def _plain(name: str) -> bool:
    return bool(name) and name.isalnum()


def _named(name: str) -> ContextRole | None:
    return ContextRole(name) if _plain(name) else None


def is_system_admin(role: str) -> bool:
    role = role.strip()
    for prefix in (SYSTEM_VOCABULARY, LEGACY_SYSTEM_PREFIX):
        if role.startswith(prefix):
            return role[len(prefix):] in SYSTEM_ADMIN_ROLES
    return False


def system_admin_coordinates() -> bool:
    return has_app_context() and bool(current_app.config["LTI_SYSTEM_ADMIN_COORDINATES"])


def coordinator_roles() -> frozenset[str]:
    """The course roles that coordinate: the ``LTI_COORDINATOR_ROLES`` setting, or the default."""
    if has_app_context():
        configured = current_app.config.get("LTI_COORDINATOR_ROLES")
        if configured:
            return frozenset(str(name).strip() for name in configured)
    return COORDINATOR_ROLES


def coordinates(role: ContextRole, allowed: frozenset[str]) -> bool:
    """Whether a course role coordinates: a teaching assistant (the sub-role or the short name)
    only when ``TeachingAssistant`` is allowed, any other role when its principal is."""
    if TEACHING_ASSISTANT in (role.principal, role.sub):
        return TEACHING_ASSISTANT in allowed
    return role.principal in allowed


def course_role(
    lis_roles: Iterable[str],
    *,
    system_admin: bool | None = None,
    allowed: frozenset[str] | None = None,
) -> CourseRole:
    """Coordinator for a coordinating course role (``allowed``, default: the setting); a system
    administrator too when ``system_admin`` (default: the ``LTI_SYSTEM_ADMIN_COORDINATES``
    setting); everyone else takes part."""
    if system_admin is None:
        system_admin = system_admin_coordinates()
    if allowed is None:
        allowed = coordinator_roles()
    for role in lis_roles:
        parsed = context_role(role)
        if parsed is not None and coordinates(parsed, allowed):
            return CourseRole.COORDINATOR
        if system_admin and is_system_admin(role):
            return CourseRole.COORDINATOR
    return CourseRole.PARTICIPANT


def is_mentor(lis_roles: Iterable[str], custom: dict[str, object] | None) -> bool:
    """The course role Mentor (or one of its sub-roles), or a custom parameter
    ``ritmo_role=mentor`` (or ``mentor=true``)."""
    for role in lis_roles:
        parsed = context_role(role)
        if parsed is not None and parsed.principal == MENTOR_ROLE:
            return True
    custom = custom or {}
    if str(custom.get("ritmo_role", "")).strip().lower() == "mentor":
        return True
    return str(custom.get("mentor", "")).strip().lower() in TRUTHY
