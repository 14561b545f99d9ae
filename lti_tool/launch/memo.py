"""Returning users relaunch with the same claims: remember what the last launch recorded.

A learner opens Ritmo from the same course link many times a day, and each launch carries the same
claims. After a launch is recorded, the context it produced is kept in the shared cache
(``LAUNCH_MEMO_SECONDS``; 0 keeps nothing) under (registration, sub) with a digest of everything
the launch wrote (``claims.Wanted.digest``). A launch by the same person with the same digest
reuses that context: the rows already say what it would write, but for ``last_seen_at``, which the
caller refreshes when the memo says it is due. A launch with anything changed (a new name, role,
course or link) is recorded again. The launch reads the memo in the round trip that spends its
login state (``security.Launch.validate_state_and_nonce``).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass
from typing import Any

from lti_tool.accounts.models import CourseRole
from lti_tool.cache import cache
from lti_tool.identity.context import LaunchContext

PREFIX = "launch-memo:"


def key(scope: str, sub: str) -> str:
    """The cache key of ``sub``'s memo; the launch reads it in the round trip that takes its state."""
    # Hashed: a sub is up to 255 characters of anything, and keys should not carry identities.
    return f"{PREFIX}{scope}:{hashlib.sha256(sub.encode()).hexdigest()[:32]}"


@dataclass(frozen=True)
class Remembered:
    context: LaunchContext
    target: str | None
    seen_at: float  # when ``last_seen_at`` was last written for this person (epoch seconds)


def recall(entry: dict[str, Any] | None, digest: str) -> Remembered | None:
    """What the last launch recorded (``entry``, as read under :func:`key`), if it wrote the same."""
    if not entry or entry.get("digest") != digest:
        return None
    values = dict(entry["context"])
    values["role"] = CourseRole(values["role"])
    values["lis_roles"] = tuple(values["lis_roles"])
    return Remembered(LaunchContext(**values), entry.get("target"), float(entry.get("seen_at", 0)))


def remember(
    scope: str, sub: str, digest: str, ctx: LaunchContext, target: str | None, ttl_seconds: int
) -> None:
    """Keep what this launch recorded, as of now (``last_seen_at`` was written, or is recent)."""
    if ttl_seconds <= 0:
        return
    context = asdict(ctx)
    context["role"] = ctx.role.value
    context["lis_roles"] = list(ctx.lis_roles)
    entry = {"digest": digest, "context": context, "target": target, "seen_at": time.time()}
    cache().set(key(scope, sub), entry, ttl_seconds)


def forget(scope: str, sub: str) -> None:
    cache().delete(key(scope, sub))


def forget_platform(platform_id: int) -> None:
    """Drop what launches remembered for a platform whose rows are going away."""
    cache().delete_prefix(f"{PREFIX}{platform_id}-")
