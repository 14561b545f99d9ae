"""Returning users relaunch with the same claims: remember what the last launch wrote.

A learner opens Ritmo from the same course link many times a day, and each launch carries the same
claims. After a launch commits its upserts, the context it produced is kept in the shared cache
(``LAUNCH_MEMO_SECONDS``) under (platform, sub) with a digest of every claim the upserts read. A
launch by the same person with the same digest reuses that context: the rows already say what it
would write, but for ``last_seen_at``, which the caller refreshes when the memo says it is due. A
launch with any claim changed (a new name, role, course or link) takes the full path.

The memo also keeps what the person's programme home showed (its "home card"), under the course's
*stamp*: a value in the shared cache that changes whenever something the home shows changes for
anyone in the course (see ``launch.stamps``). A relaunch reads the stamp in the same round trip as
the memo; the same stamp means the card still holds, and the home opens without the database.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

from lti_tool.accounts.models import CourseRole
from lti_tool.cache import cache
from lti_tool.identity import roles
from lti_tool.identity.context import LaunchContext

PREFIX = "launch-memo:"
STAMP_PREFIX = "course-stamp:"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
# Every claim record_launch or the programme join reads; anything else may change freely.
READ_CLAIMS = (
    "sub", "name", "given_name", "family_name", "email", "locale",
    CLAIM + "roles", CLAIM + "custom", CLAIM + "context", CLAIM + "resource_link",
    CLAIM + "deployment_id", CLAIM + "launch_presentation",
    "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint",
    "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice",
)


def digest(claims: dict[str, Any]) -> str:
    read = {name: claims.get(name) for name in READ_CLAIMS}
    # The same roles mean another course role when the role rule or its setting changed.
    read["roles-rule"] = roles.rule_tag()
    canonical = json.dumps(read, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def key(scope: str, sub: str) -> str:
    """The cache key of ``sub``'s memo; the launch reads it in the round trip that takes its state."""
    # Hashed: a sub is up to 255 characters of anything, and keys should not carry identities.
    return f"{PREFIX}{scope}:{hashlib.sha256(sub.encode()).hexdigest()[:32]}"


def course_key(scope: str, context_id: str) -> str:
    """The cache key of a course's stamp, from what a launch knows before reading anything."""
    return f"{STAMP_PREFIX}{scope}:{hashlib.sha256(context_id.encode()).hexdigest()[:32]}"


def stamp_of(entry: dict[str, Any] | None) -> str | None:
    """A stamp as read under :func:`course_key` (``None``: the course was never stamped)."""
    return str(entry["v"]) if entry else None


@dataclass(frozen=True)
class Remembered:
    context: LaunchContext
    target: str | None
    seen_at: float  # when ``last_seen_at`` was last written for this person (epoch seconds)
    # The home card, as stored (JSON values), when the course's stamp is still the one it was
    # read under; ``None`` otherwise.
    home: list[Any] | None = None


def recall(entry: dict[str, Any] | None, claims_digest: str, stamp: str | None = None) -> Remembered | None:
    """What the last launch recorded (``entry``, as read under :func:`key`), if it had these claims;
    its home card only if the course's ``stamp`` is the one it was read under."""
    if not entry or entry.get("digest") != claims_digest:
        return None
    values = dict(entry["context"])
    values["role"] = CourseRole(values["role"])
    values["lis_roles"] = tuple(values["lis_roles"])
    home = entry.get("home") if "home" in entry and entry.get("stamp") == stamp else None
    return Remembered(
        LaunchContext(**values), entry.get("target"), float(entry.get("seen_at", 0)), home
    )


def remember(
    scope: str, sub: str, claims_digest: str, ctx: LaunchContext, target: str | None,
    ttl_seconds: int, seen_at: float | None = None, *,
    home: list[Any] | None = None, stamp: str | None = None,
) -> None:
    """Keep what this launch recorded; ``home`` is the card read while the course's stamp was
    ``stamp`` (read before the rows were)."""
    context = asdict(ctx)
    context["role"] = ctx.role.value
    context["lis_roles"] = list(ctx.lis_roles)
    entry: dict[str, Any] = {
        "digest": claims_digest, "context": context, "target": target,
        "seen_at": time.time() if seen_at is None else seen_at,
    }
    if home is not None:
        entry["home"], entry["stamp"] = home, stamp
    cache().set(key(scope, sub), entry, ttl_seconds)


def stamp_courses(keys: set[str], ttl_seconds: int) -> None:
    """Give each course (by :func:`course_key`) a new stamp. It must outlive every memo written
    before it, or an old memo would match the course's absent stamp again."""
    for course in keys:
        cache().set(course, {"v": secrets.token_hex(8)}, ttl_seconds)


def forget(scope: str, sub: str) -> None:
    cache().delete(key(scope, sub))


def forget_platform(platform_id: int) -> None:
    """Drop what launches remembered for a platform whose rows are going away."""
    cache().delete_prefix(f"{PREFIX}{platform_id}-")
