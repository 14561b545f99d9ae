"""Recording a verified launch: who (user), where (course, resource link), as what (enrolment).

One path, the same on every database: one read finds every row the launch may touch (by outer
joins from the platform's row), then each row that is missing is inserted and each that differs
from the claims gets an UPDATE of the columns that differ (``launch.claims`` maps claims to
columns). ``last_seen_at`` follows launches to ``LAST_SEEN_RESOLUTION`` (alone, it is noted for a
bulk write: ``launch.last_seen``). What a feature does with the launch (the programme join, the
page it opens) is its own, through ``launch.targets``.

In front of the path, the launch memo (``launch.memo``): a relaunch with the same claims within
``LAUNCH_MEMO_SECONDS`` reuses the context the last launch recorded, and reads nothing. The memo
also keeps what the launch's steps returned (:func:`remember`), handed back to them at the next
such relaunch while their course's stamp is unchanged.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from lti_tool.accounts.models import Course, Enrolment, ResourceLink, User
from lti_tool.db import db, utcnow, without_transaction
from lti_tool.identity import revocation
from lti_tool.identity.context import LaunchContext
from lti_tool.launch import claims as launch_claims
from lti_tool.launch import last_seen, memo
from lti_tool.launch.claims import COLUMNS, Wanted
from lti_tool.launch.models import Deployment, Platform
from lti_tool.launch.security import ANONYMOUS_DETAIL, LaunchRejected

# How precisely ``User.last_seen_at`` follows launches.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)
# How the read names each row's columns (``user_name``, ``link_target``...) and id.
PREFIX: dict[type, str] = {User: "user_", Course: "course_", ResourceLink: "link_", Enrolment: "enrolment_"}


@dataclass(frozen=True)
class MemoState:
    """What remembering a launch needs (``remember``), and whether the memo already holds it."""

    scope: str
    sub: str
    digest: str
    stamp: str | None  # the course's stamp, read before anything this launch read
    seen_at: float | None  # when ``last_seen_at`` was written, if not by this launch
    current: bool  # the memo holds this launch as it is, but maybe for its steps' values


@dataclass(frozen=True)
class RecordedLaunch:
    context: LaunchContext
    # What the resource link was placed for (``programme``, ``webinar:<id>``...), if anything.
    link_target: str | None
    memo: MemoState
    # What the launch's steps returned at the last launch with these claims, still valid ({}: none).
    kept: Mapping[str, Any] = field(default_factory=dict)


def record_launch(
    platform_id: int, claims: dict[str, Any], scope: str, memo_entry: dict[str, Any] | None,
    course_stamp: str | None = None,
) -> RecordedLaunch:
    """Write what the launch tells us and return the context the session will carry.

    ``scope`` names the registration in the shared cache (``PlatformRegistration.scope``);
    ``memo_entry`` and ``course_stamp`` are what the cache held under ``memo.key(scope, sub)`` and
    ``memo.course_key(scope, context_id)``, read with the state. The caller runs the launch's
    steps and then :func:`remember`.
    """
    wanted = launch_claims.wanted(_sub(claims), claims)
    digest = wanted.digest()
    remembered = memo.recall(memo_entry, digest, course_stamp)
    if remembered is not None:
        seen = _seen_now(remembered)
        if seen is not None:
            state = MemoState(scope, wanted.sub, digest, course_stamp,
                              seen_at=None if seen else remembered.seen_at, current=not seen)
            return RecordedLaunch(remembered.context, remembered.target, state, remembered.kept)
        memo.forget(scope, wanted.sub)  # the remembered user row is gone: start afresh
    try:
        context, target = _record(platform_id, wanted)
    except sa.exc.IntegrityError:
        # Another launch inserted the same new user, course or link first (a double click, or an
        # LMS that preloads the frame). Its rows are there now: record again, against them.
        db.session.rollback()
        context, target = _record(platform_id, wanted)
    state = MemoState(scope, wanted.sub, digest, course_stamp, seen_at=None, current=False)
    return RecordedLaunch(context, target, state)


def remember(recorded: RecordedLaunch, kept: Mapping[str, Any]) -> None:
    """Remember the launch and what its steps returned (``kept``), unless the memo says so already:
    a relaunch whose steps answered from the memo writes nothing."""
    state = recorded.memo
    if state.current and kept == recorded.kept:
        return
    memo.remember(
        state.scope, state.sub, state.digest, recorded.context, recorded.link_target,
        int(current_app.config["LAUNCH_MEMO_SECONDS"]),
        seen_at=state.seen_at, kept=kept, stamp=state.stamp,
    )


def _sub(claims: dict[str, Any]) -> str:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        # Anonymous launches carry no sub; Ritmo needs a person to mentor or be mentored.
        raise LaunchRejected("launch: no sub claim", ANONYMOUS_DETAIL)
    return sub


def _seen_now(remembered: memo.Remembered) -> bool | None:
    """For a remembered launch: refresh ``last_seen_at`` when due (one UPDATE, no read) and say
    whether it was written; ``None`` when the remembered user row no longer exists."""
    if time.time() - remembered.seen_at < LAST_SEEN_RESOLUTION.total_seconds():
        return False
    without_transaction()  # one row: atomic on its own
    updated = db.session.connection().execute(
        _touch_statement(), {"user_id": remembered.context.user_id, "seen_at": utcnow()}
    ).rowcount
    db.session.commit()
    return True if updated else None


@functools.cache
def _touch_statement() -> sa.Update:
    return (
        sa.update(User)
        .where(User.id == sa.bindparam("user_id"))
        .values(last_seen_at=sa.bindparam("seen_at", type_=User.__table__.c.last_seen_at.type))
    )


# Built once: assembling and keying a statement this size costs more than running it.
@functools.cache
def _read_statement() -> sa.Select[Any]:
    """Every row a launch may touch, as plain values: ids, ``last_seen_at`` and the ``COLUMNS``.
    A ``None`` context, link or deployment id compares as SQL NULL and matches nothing.

    Parameters: ``for_platform``, ``for_sub``, ``for_context``, ``for_link``, ``for_deployment``."""
    mapped = (
        getattr(model, column.name).label(PREFIX[model] + column.name)
        for model, columns in COLUMNS.items() for column in columns
    )
    return (
        sa.select(
            User.id.label("user_id"), User.last_seen_at.label("user_last_seen_at"),
            Course.id.label("course_id"), Course.deployment_id.label("course_deployment_id"),
            ResourceLink.id.label("link_id"), Enrolment.id.label("enrolment_id"),
            Deployment.id.label("deployment_row_id"), *mapped,
        )
        .select_from(Platform)
        .outerjoin(User, sa.and_(User.platform_id == Platform.id, User.sub == sa.bindparam("for_sub")))
        .outerjoin(
            Course,
            sa.and_(Course.platform_id == Platform.id, Course.context_id == sa.bindparam("for_context")),
        )
        .outerjoin(
            ResourceLink,
            sa.and_(
                ResourceLink.course_id == Course.id,
                ResourceLink.resource_link_id == sa.bindparam("for_link"),
            ),
        )
        .outerjoin(Enrolment, sa.and_(Enrolment.user_id == User.id, Enrolment.course_id == Course.id))
        .outerjoin(
            Deployment,
            sa.and_(
                Deployment.platform_id == Platform.id,
                Deployment.deployment_id == sa.bindparam("for_deployment"),
            ),
        )
        .where(Platform.id == sa.bindparam("for_platform"))
        .limit(1)
    )


# The writes, built once per row type: the columns each one sets are its parameters' names.
@functools.cache
def _insert_statement(model: Any) -> sa.Insert:
    return sa.insert(model).returning(model.id)


@functools.cache
def _update_statement(model: Any) -> sa.Update:
    return sa.update(model).where(model.id == sa.bindparam("for_id"))


def _read(params: dict[str, Any]) -> Any:
    return db.session.connection().execute(_read_statement(), params).one()


def _differing(row: Any, model: type, wanted: Wanted) -> dict[str, Any]:
    """The columns of ``model`` whose claims differ from ``row`` (all of them for a new row)."""
    values = wanted.values[model]
    prefix = PREFIX[model]
    if getattr(row, prefix + "id") is None:
        return dict(values)
    return {name: value for name, value in values.items() if getattr(row, prefix + name) != value}


def _last_seen_due(last_seen_at: datetime | None) -> bool:
    # Repeated launches within the resolution leave the row alone: one UPDATE less per launch.
    return last_seen_at is None or utcnow() - last_seen_at >= LAST_SEEN_RESOLUTION


def _last_seen_to_write(row: Any, writing_user: bool, now: datetime) -> bool:
    """Whether this launch writes ``last_seen_at`` with the user row. When due on its own, it
    waits in the shared cache for the minute's bulk write (``launch.last_seen``); with other
    columns of the row, for a person never seen, or with no shared cache, it is written now."""
    if row.user_id is None or not _last_seen_due(row.user_last_seen_at):
        return False
    return writing_user or row.user_last_seen_at is None or not last_seen.note(row.user_id, now)


def _record(platform_id: int, wanted: Wanted) -> tuple[LaunchContext, str | None]:
    in_course = wanted.context_id is not None
    with_link = in_course and wanted.link_id is not None
    # The read needs no transaction, nor do the writes but for a revocation (below).
    outside = without_transaction()
    row = _read({
        "for_platform": platform_id, "for_sub": wanted.sub, "for_context": wanted.context_id,
        "for_link": wanted.link_id, "for_deployment": wanted.deployment_id,
    })
    now = utcnow()
    user = _differing(row, User, wanted)
    if _last_seen_to_write(row, bool(user), now):
        user["last_seen_at"] = now
    course = _differing(row, Course, wanted) if in_course else {}
    if in_course and row.course_deployment_id is None and row.deployment_row_id is not None:
        course["deployment_id"] = row.deployment_row_id
    link = _differing(row, ResourceLink, wanted) if with_link else {}
    enrolment = _differing(row, Enrolment, wanted) if in_course else {}
    # An enrolment's new role or mentor flag ends the sessions from before (this launch's own
    # session is issued after): that UPDATE and the revocation are one transaction. Every other
    # write is one row, atomic on its own, and a launch that stops between two of them leaves
    # rows the next launch's read finds and completes: on PostgreSQL they run in the read's
    # autocommit, with no BEGIN or COMMIT round trips.
    revoke = row.enrolment_id is not None and bool({"role", "is_mentor"} & enrolment.keys())
    if revoke and outside:
        db.session.commit()  # leave the read's autocommit
        outside = False
    conn = db.session.connection()
    wrote = False

    def upsert(model: type, row_id: int | None, values: dict[str, Any], **keys: Any) -> int:
        nonlocal wrote
        if row_id is None:
            wrote = True
            return int(conn.execute(_insert_statement(model), {**keys, **values}).scalar_one())
        if values:
            wrote = True
            conn.execute(_update_statement(model), {"for_id": row_id, **values})
        return row_id

    user_id = upsert(User, row.user_id, user, platform_id=platform_id, sub=wanted.sub, last_seen_at=now)
    course_id = link_id = None
    if in_course:
        course_id = upsert(Course, row.course_id, course, platform_id=platform_id,
                           context_id=wanted.context_id)
        if with_link:
            link_id = upsert(ResourceLink, row.link_id, link, course_id=course_id,
                             resource_link_id=wanted.link_id)
        upsert(Enrolment, row.enrolment_id, enrolment, user_id=user_id, course_id=course_id)
        if revoke:
            revocation.revoke([user_id])
    if wrote and not outside:
        db.session.commit()
    # In autocommit, what was written is written: the connection stays with the session for what
    # the request does next (one pool checkout per launch), until the session's next commit.
    target = (wanted.values[ResourceLink].get("target") or row.link_target) if with_link else None
    return wanted.context(platform_id, user_id, course_id, link_id), target
