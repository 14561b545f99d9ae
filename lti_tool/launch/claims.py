"""What a launch's claims say about the rows it records: the claim-to-column mapping, written once.

Each row a launch records (user, course, resource link, enrolment) has a tuple of columns here,
each with how its value is read from the claims. The launch's read, its writes and the launch
memo's digest all follow these tuples: a new claim column is one entry below (and its migration).
A value of ``None`` means the platform did not share it this time, and never blanks a column.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lti_tool.accounts.models import Course, CourseRole, Enrolment, ResourceLink, User
from lti_tool.identity import roles
from lti_tool.identity.context import LaunchContext
from lti_tool.launch.tool_configuration import TARGET_PARAMETER
from lti_tool.safety.names import clean_name

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

Claims = dict[str, Any]


def text(value: Any, limit: int = 255) -> str | None:
    """Optional string claims: absent, null, or the wrong type all become ``None``."""
    return value[:limit] if isinstance(value, str) and value else None


def part(claims: Claims, name: str) -> dict[str, Any]:
    """An object claim (``context``, ``custom``...); anything else reads as empty."""
    value = claims.get(name)
    return value if isinstance(value, dict) else {}


def lis_roles(claims: Claims) -> list[str]:
    value = claims.get(CLAIM + "roles")
    return [r for r in value if isinstance(r, str)] if isinstance(value, list) else []


def locale(claims: Claims) -> str | None:
    return text(claims.get("locale")) or text(part(claims, CLAIM + "launch_presentation").get("locale"))


def is_mentor(claims: Claims) -> bool:
    return roles.is_mentor(lis_roles(claims), part(claims, CLAIM + "custom"))


@dataclass(frozen=True)
class Column:
    """One column a launch writes, and how its value is read from the claims."""

    name: str
    read: Callable[[Claims], Any]


# The columns a launch writes, by row (besides ids, keys and ``last_seen_at``).
COLUMNS: dict[type, tuple[Column, ...]] = {
    User: (
        Column("name", lambda c: clean_name(text(c.get("name")))),
        Column("given_name", lambda c: clean_name(text(c.get("given_name")))),
        Column("family_name", lambda c: clean_name(text(c.get("family_name")))),
        Column("email", lambda c: text(c.get("email"), 320)),
        Column("locale", locale),
    ),
    Course: (
        Column("title", lambda c: text(part(c, CLAIM + "context").get("title"))),
        Column("label", lambda c: text(part(c, CLAIM + "context").get("label"))),
        Column("lineitems_url", lambda c: text(part(c, AGS_CLAIM).get("lineitems"), 1024)),
        Column("memberships_url", lambda c: text(part(c, NRPS_CLAIM).get("context_memberships_url"), 1024)),
    ),
    ResourceLink: (
        Column("title", lambda c: text(part(c, CLAIM + "resource_link").get("title"))),
        Column("target", lambda c: text(part(c, CLAIM + "custom").get(TARGET_PARAMETER))),
        Column("lineitem_url", lambda c: text(part(c, AGS_CLAIM).get("lineitem"), 1024)),
    ),
    Enrolment: (
        Column("role", lambda c: roles.course_role(lis_roles(c))),
        Column("lis_roles", lis_roles),
        Column("is_mentor", is_mentor),
    ),
}


@dataclass(frozen=True)
class Wanted:
    """What a launch's claims give: the keys that find each row, and per row the columns the
    platform shared this time (``COLUMNS``, ``None`` values left out)."""

    sub: str
    context_id: str | None
    link_id: str | None
    deployment_id: str | None
    locale: str | None
    values: dict[type, dict[str, Any]]

    @property
    def role(self) -> CourseRole:
        role: CourseRole = self.values[Enrolment]["role"]
        return role

    def context(
        self, platform_id: int, user_id: int, course_id: int | None, link_id: int | None
    ) -> LaunchContext:
        enrolment = self.values[Enrolment]
        return LaunchContext(
            platform_id=platform_id,
            user_id=user_id,
            course_id=course_id,
            role=enrolment["role"],
            is_mentor=enrolment["is_mentor"],
            resource_link_id=link_id,
            locale=self.locale,
            lis_roles=tuple(enrolment["lis_roles"]),
        )

    def digest(self) -> str:
        """Of everything the launch would write: the same digest, the same rows."""
        keys = (self.sub, self.context_id, self.link_id, self.deployment_id, self.locale)
        values = {model.__name__: row for model, row in self.values.items()}
        canonical = json.dumps([keys, values], sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


def wanted(sub: str, claims: Claims) -> Wanted:
    values = {
        model: {c.name: v for c in columns if (v := c.read(claims)) is not None}
        for model, columns in COLUMNS.items()
    }
    return Wanted(
        sub=sub,
        context_id=text(part(claims, CLAIM + "context").get("id")),
        link_id=text(part(claims, CLAIM + "resource_link").get("id")),
        deployment_id=text(claims.get(CLAIM + "deployment_id")),
        locale=locale(claims),
        values=values,
    )
