"""Returning users relaunch with the same claims: remember what the last launch recorded.

A learner opens Ritmo from the same course link many times a day, and each launch carries the same
claims. After a launch is recorded, the context it produced is kept in the shared cache
(``LAUNCH_MEMO_SECONDS``; 0 keeps nothing) under (registration, sub) with a digest of everything
the launch wrote (``claims.Wanted.digest``). A launch by the same person with the same digest
reuses that context: the rows already say what it would write, but for ``last_seen_at``, which the
caller refreshes when the memo says it is due. A launch with anything changed (a new name, role,
course or link) is recorded again. The launch reads the memo in the round trip that spends its
login state (``security.Launch.validate_state_and_nonce``).

The memo also keeps what each launch step returned (``launch.targets``: the programme join keeps
the home it read), so that a relaunch's steps need not read again. Those values are the features'
own: the memo keeps them under the course's stamp, read in the same round trip, and a feature that
changes what its steps read calls :func:`renew_courses`; a relaunch under a new stamp hands its
steps nothing, and they read afresh.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app

from lti_tool.accounts.models import Course, CourseRole
from lti_tool.cache import cache
from lti_tool.db import db
from lti_tool.identity.context import LaunchContext
from lti_tool.launch.models import Platform
from lti_tool.launch.tool_config import registration_scope

PREFIX = "launch-memo:"
COURSE_PREFIX = "launch-course:"


def key(scope: str, sub: str) -> str:
    """The cache key of ``sub``'s memo; the launch reads it in the round trip that takes its state."""
    # Hashed: a sub is up to 255 characters of anything, and keys should not carry identities.
    return f"{PREFIX}{scope}:{hashlib.sha256(sub.encode()).hexdigest()[:32]}"


def course_key(scope: str, context_id: str) -> str:
    """The cache key of a course's stamp; read with the memo, in the same round trip."""
    return f"{COURSE_PREFIX}{scope}:{hashlib.sha256(context_id.encode()).hexdigest()[:32]}"


def stamp_of(entry: dict[str, Any] | None) -> str | None:
    """The stamp a course's key holds (``None`` while nothing in the course changed)."""
    stamp = entry.get("stamp") if entry else None
    return str(stamp) if stamp is not None else None


@dataclass(frozen=True)
class Remembered:
    context: LaunchContext
    target: str | None
    seen_at: float  # when ``last_seen_at`` was last written for this person (epoch seconds)
    # What the launch's steps returned, by step, when the course's stamp is still the same.
    kept: Mapping[str, Any] = field(default_factory=dict)


def recall(entry: dict[str, Any] | None, digest: str, stamp: str | None = None) -> Remembered | None:
    """What the last launch recorded (``entry``, as read under :func:`key`), if it wrote the same;
    its steps' values only if the course's ``stamp`` is the one they were read under."""
    if not entry or entry.get("digest") != digest:
        return None
    values = dict(entry["context"])
    values["role"] = CourseRole(values["role"])
    values["lis_roles"] = tuple(values["lis_roles"])
    kept = (entry.get("kept") or {}) if entry.get("stamp") == stamp else {}
    return Remembered(
        LaunchContext(**values), entry.get("target"), float(entry.get("seen_at", 0)), kept
    )


def remember(
    scope: str, sub: str, digest: str, ctx: LaunchContext, target: str | None, ttl_seconds: int,
    *, seen_at: float | None = None, kept: Mapping[str, Any] | None = None, stamp: str | None = None,
) -> None:
    """Keep what this launch recorded: ``last_seen_at`` as written at ``seen_at`` (now, unless
    said), and its steps' values as read under the course's ``stamp`` (read before them)."""
    if ttl_seconds <= 0:
        return
    # Every field is a plain value: asdict's recursive copy was a third of this call's cost.
    context = dict(vars(ctx))
    context["role"] = ctx.role.value
    context["lis_roles"] = list(ctx.lis_roles)
    entry = {
        "digest": digest, "context": context, "target": target,
        "seen_at": time.time() if seen_at is None else seen_at,
        "kept": dict(kept or {}), "stamp": stamp,
    }
    cache().set(key(scope, sub), entry, ttl_seconds)


def renew_courses(course_ids: Iterable[int]) -> None:
    """Give each course a new stamp: what launch steps kept for it is read again.

    For features whose steps keep values (their data changed); call it once the change is
    committed. The stamp outlives every memo written before it, so an older one never matches.
    """
    ids = set(course_ids)
    ttl = 2 * int(current_app.config["LAUNCH_MEMO_SECONDS"])
    if not ids or ttl <= 0:  # nothing changed, or no memo keeps anything to renew
        return
    # Its own connection: callers may be in a session's commit hooks.
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(Platform.id, Platform.created_at, Course.context_id)
            .join(Course, Course.platform_id == Platform.id)
            .where(Course.id.in_(ids))
        ).all()
    for platform_id, created_at, context_id in rows:
        key_ = course_key(registration_scope(platform_id, created_at), context_id)
        cache().set(key_, {"stamp": secrets.token_hex(8)}, ttl)


def forget(scope: str, sub: str) -> None:
    cache().delete(key(scope, sub))


def forget_platform(platform_id: int) -> None:
    """Drop what launches remembered for a platform whose rows are going away."""
    cache().delete_prefix(f"{PREFIX}{platform_id}-")
