"""Returning users relaunch with the same claims: remember what the last launch wrote.

A learner opens Ritmo from the same course link many times a day, and each launch carries the same
claims. After a launch commits its upserts, the context it produced is kept in the shared cache
(``LAUNCH_MEMO_SECONDS``) under (platform, sub) with a digest of every claim the upserts read. A
launch by the same person with the same digest reuses that context: the rows already say what it
would write, but for ``last_seen_at``, which the caller refreshes when the memo says it is due. A
launch with any claim changed (a new name, role, course or link) takes the full path.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from lti_tool.accounts.models import CourseRole
from lti_tool.cache import cache
from lti_tool.launch.context import LaunchContext

PREFIX = "launch-memo:"
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
    canonical = json.dumps(read, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def key(scope: str, sub: str) -> str:
    """The cache key of ``sub``'s memo; the launch reads it in the round trip that takes its state."""
    # Hashed: a sub is up to 255 characters of anything, and keys should not carry identities.
    return f"{PREFIX}{scope}:{hashlib.sha256(sub.encode()).hexdigest()[:32]}"


@dataclass(frozen=True)
class Remembered:
    context: LaunchContext
    target: str | None
    seen_at: float  # when ``last_seen_at`` was last written for this person (epoch seconds)


def recall(entry: dict[str, Any] | None, claims_digest: str) -> Remembered | None:
    """What the last launch recorded (``entry``, as read under :func:`key`), if it had these claims."""
    if not entry or entry.get("digest") != claims_digest:
        return None
    values = dict(entry["context"])
    values["role"] = CourseRole(values["role"])
    values["lis_roles"] = tuple(values["lis_roles"])
    return Remembered(LaunchContext(**values), entry.get("target"), float(entry.get("seen_at", 0)))


def remember(
    scope: str, sub: str, claims_digest: str, ctx: LaunchContext, target: str | None,
    ttl_seconds: int, seen_at: float | None = None,
) -> None:
    context = asdict(ctx)
    context["role"] = ctx.role.value
    context["lis_roles"] = list(ctx.lis_roles)
    entry = {
        "digest": claims_digest, "context": context, "target": target,
        "seen_at": time.time() if seen_at is None else seen_at,
    }
    cache().set(key(scope, sub), entry, ttl_seconds)


def forget(scope: str, sub: str) -> None:
    cache().delete(key(scope, sub))


def forget_platform(platform_id: int) -> None:
    """Drop what launches remembered for a platform whose rows are going away."""
    cache().delete_prefix(f"{PREFIX}{platform_id}-")
