"""What a verified launch changes: the user, course, resource link and role, upserted in one go."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy.orm.attributes import set_committed_value

from lti_tool.accounts.models import Course, CourseRole, Enrolment, ResourceLink, User
from lti_tool.db import commit_keeping_loaded, db, utcnow, without_transaction
from lti_tool.launch import memo, registry, roles
from lti_tool.launch.context import LaunchContext
from lti_tool.launch.models import Platform
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Participant, Programme

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

# How precisely ``User.last_seen_at`` follows launches.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


def _text(value: Any, limit: int = 255) -> str | None:
    """Optional string claims: absent, null, or the wrong type all become ``None``."""
    return value[:limit] if isinstance(value, str) and value else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class RecordedLaunch:
    context: LaunchContext
    # What the resource link was placed for (``programme``, ``webinar:<id>``...), if anything.
    link_target: str | None


def record_launch(
    platform_id: int, claims: dict[str, Any], scope: str, memo_entry: dict[str, Any] | None
) -> RecordedLaunch:
    """Upsert everything the launch tells us and return the context the session will carry.

    A returning user whose claims are those of their last launch (within ``LAUNCH_MEMO_SECONDS``)
    gets the remembered context; the database sees at most an update of ``last_seen_at``.
    ``scope`` names the registration in the shared cache (``PlatformRegistration.scope``);
    ``memo_entry`` is what the cache held under ``memo.key(scope, sub)``, read with the state.
    """
    sub = _sub(claims)
    claims_digest = memo.digest(claims)
    remembered = memo.recall(memo_entry, claims_digest)
    if remembered is not None and _still_seen(remembered):
        if time.time() - remembered.seen_at >= LAST_SEEN_RESOLUTION.total_seconds():
            memo.remember(
                scope, sub, claims_digest, remembered.context, remembered.target, _memo_ttl()
            )
        return RecordedLaunch(remembered.context, remembered.target)
    if remembered is not None:  # the remembered user row is gone: start afresh
        memo.forget(scope, sub)
    try:
        recorded = _upsert_all(platform_id, sub, claims)
    except sa.exc.IntegrityError:
        # Another launch inserted the same new user, course or link first (a double click, or an
        # LMS that preloads the frame). Its rows are there now: upsert again, against them.
        db.session.rollback()
        recorded = _upsert_all(platform_id, sub, claims)
    memo.remember(scope, sub, claims_digest, recorded.context, recorded.link_target, _memo_ttl())
    return recorded


def _memo_ttl() -> int:
    return int(current_app.config["LAUNCH_MEMO_SECONDS"])


def _still_seen(remembered: memo.Remembered) -> bool:
    """Refresh ``last_seen_at`` when the memo says it is due (one UPDATE, no read); False when the
    remembered user row no longer exists."""
    if time.time() - remembered.seen_at < LAST_SEEN_RESOLUTION.total_seconds():
        return True
    without_transaction()  # one row: atomic on its own
    updated = _touch_last_seen(remembered.context.user_id, utcnow())
    db.session.commit()
    return updated


def _last_seen_due(last_seen_at: datetime | None) -> bool:
    # Repeated launches within the resolution leave the row alone: one UPDATE less per launch.
    return last_seen_at is None or utcnow() - last_seen_at >= LAST_SEEN_RESOLUTION


@functools.cache
def _touch_statement() -> sa.Update:
    users: sa.Table = User.__table__  # type: ignore[assignment]
    return (
        sa.update(users)
        .where(users.c.id == sa.bindparam("user_id"))
        .values(last_seen_at=sa.bindparam("seen_at", type_=users.c.last_seen_at.type))
    )


def _touch_last_seen(user_id: int, now: datetime) -> bool:
    """Write ``last_seen_at`` (a plain UPDATE: the ORM's unit of work costs more than the write);
    False when the user row is gone."""
    result = db.session.connection().execute(_touch_statement(), {"user_id": user_id, "seen_at": now})
    return bool(result.rowcount)


def _sub(claims: dict[str, Any]) -> str:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        # Anonymous launches carry no sub; Ritmo needs a person to mentor or be mentored.
        from lti_tool.launch.security import ANONYMOUS_DETAIL, LaunchRejected

        raise LaunchRejected("launch: no sub claim", ANONYMOUS_DETAIL)
    return sub


@dataclass
class _Known:
    """The rows a launch may change, as they are before it (``None``: not there yet)."""

    user: User | None = None
    course: Course | None = None
    link: ResourceLink | None = None
    enrolment: Enrolment | None = None
    programme: Programme | None = None
    participant: Participant | None = None


@functools.cache
def _known_rows_statement() -> sa.Select[User, Course, ResourceLink, Enrolment, Programme, Participant]:
    """Every row a launch may touch, by outer joins from the platform's row. Built once: assembling
    and keying a statement this size costs more than running it. A ``None`` context or link id
    compares as SQL NULL and matches nothing."""
    return (
        sa.select(User, Course, ResourceLink, Enrolment, Programme, Participant)
        .select_from(Platform)
        .outerjoin(User, sa.and_(User.platform_id == Platform.id, User.sub == sa.bindparam("sub")))
        .outerjoin(
            Course,
            sa.and_(Course.platform_id == Platform.id, Course.context_id == sa.bindparam("context_id")),
        )
        .outerjoin(
            ResourceLink,
            sa.and_(
                ResourceLink.course_id == Course.id,
                ResourceLink.resource_link_id == sa.bindparam("link_id"),
            ),
        )
        .outerjoin(Enrolment, sa.and_(Enrolment.user_id == User.id, Enrolment.course_id == Course.id))
        .outerjoin(Programme, Programme.course_id == Course.id)
        .outerjoin(
            Participant,
            sa.and_(Participant.programme_id == Programme.id, Participant.user_id == User.id),
        )
        .where(Platform.id == sa.bindparam("platform_id"))
        .order_by(Programme.id)  # the course's first programme is the one launches join
        .limit(1)
    )


def _load_known(platform_id: int, sub: str, context_id: str | None, link_id: str | None) -> _Known:
    """Every row the launch may touch, in one round trip."""
    row = db.session.execute(
        _known_rows_statement(),
        {"platform_id": platform_id, "sub": sub, "context_id": context_id, "link_id": link_id},
    ).one()
    return _Known(*row)


def _upsert_all(platform_id: int, sub: str, claims: dict[str, Any]) -> RecordedLaunch:
    lis_roles = [r for r in claims.get(CLAIM + "roles", []) if isinstance(r, str)]
    custom = _dict(claims.get(CLAIM + "custom"))
    presentation = _dict(claims.get(CLAIM + "launch_presentation"))
    locale = _text(claims.get("locale")) or _text(presentation.get("locale"))
    context_id = _text(_dict(claims.get(CLAIM + "context")).get("id"))
    link_id = _text(_dict(claims.get(CLAIM + "resource_link")).get("id"))
    outside = without_transaction()
    known = _load_known(platform_id, sub, context_id, link_id)
    if outside:
        commit_keeping_loaded()  # the read is done; writes below get a transaction if they need one

    user = _upsert_user(known.user, platform_id, sub, claims, locale)
    course = _upsert_course(known.course, platform_id, context_id, claims) if context_id else None
    link = _upsert_resource_link(known.link, course, link_id, claims) if course and link_id else None
    role = roles.course_role(lis_roles)
    mentor = roles.is_mentor(lis_roles, custom)
    if course is not None:
        _upsert_enrolment(known.enrolment, user, course, role, lis_roles, mentor)
    if any(row is not None and row.id is None for row in (user, course, link)):
        db.session.flush()  # new rows: the context carries their ids
    ctx = LaunchContext(
        platform_id=platform_id,
        user_id=user.id,
        course_id=course.id if course else None,
        role=role,
        is_mentor=mentor,
        resource_link_id=link.id if link else None,
        locale=locale,
        lis_roles=tuple(lis_roles),
    )
    joined = None
    if course is not None:
        programme = known.programme
        joined = programmes.join_from_launch(
            ctx, (programme, known.participant) if programme is not None else None
        )
    if known.user is not None and _last_seen_due(known.user.last_seen_at):
        if not _pending_writes():
            without_transaction()  # a single UPDATE is atomic on its own
        now = utcnow()
        _touch_last_seen(user.id, now)
        set_committed_value(user, "last_seen_at", now)
    commit_keeping_loaded()
    # The session's identity map holds rows weakly: keep these for the page this request renders.
    g.launch_rows = (user, course, link)
    if joined is not None:
        programmes.offer_home_rows(ctx, user, *joined)
    return RecordedLaunch(ctx, link.target if link else None)


def _pending_writes() -> bool:
    session = db.session()
    return bool(session.new or session.deleted) or any(session.is_modified(r) for r in session.dirty)


def _upsert_user(
    user: User | None, platform_id: int, sub: str, claims: dict[str, Any], locale: str | None
) -> User:
    if user is None:
        user = User(platform_id=platform_id, sub=sub)
        db.session.add(user)
    # Only overwrite what the platform chose to share this time.
    for attr in ("name", "given_name", "family_name"):
        value = _text(claims.get(attr))
        if value is not None and getattr(user, attr) != value:
            setattr(user, attr, value)
    email = _text(claims.get("email"), 320)
    if email is not None and user.email != email:
        user.email = email
    if locale is not None and user.locale != locale:
        user.locale = locale
    if user.id is None:
        user.last_seen_at = utcnow()  # an existing user's is refreshed by ``_touch_last_seen``
    return user


def _upsert_course(
    course: Course | None, platform_id: int, context_id: str, claims: dict[str, Any]
) -> Course:
    context = _dict(claims.get(CLAIM + "context"))
    if course is None:
        course = Course(platform_id=platform_id, context_id=context_id)
        db.session.add(course)
    title, label = _text(context.get("title")), _text(context.get("label"))
    if title is not None and course.title != title:
        course.title = title
    if label is not None and course.label != label:
        course.label = label
    deployment_id = _text(claims.get(CLAIM + "deployment_id"))
    if deployment_id and course.deployment_id is None:
        deployment = registry.find_deployment(registry.get_platform(platform_id), deployment_id)
        course.deployment_id = deployment.id if deployment else None
    ags = _dict(claims.get(AGS_CLAIM))
    lineitems = _text(ags.get("lineitems"), 1024)
    if lineitems and course.lineitems_url != lineitems:
        course.lineitems_url = lineitems
    nrps = _dict(claims.get(NRPS_CLAIM))
    memberships = _text(nrps.get("context_memberships_url"), 1024)
    if memberships and course.memberships_url != memberships:
        course.memberships_url = memberships
    return course


def _upsert_resource_link(
    link: ResourceLink | None, course: Course, link_id: str, claims: dict[str, Any]
) -> ResourceLink:
    link_claim = _dict(claims.get(CLAIM + "resource_link"))
    if link is None:
        link = ResourceLink(course=course, resource_link_id=link_id)
        db.session.add(link)
    title = _text(link_claim.get("title"))
    if title is not None and link.title != title:
        link.title = title
    custom = _dict(claims.get(CLAIM + "custom"))
    target = _text(custom.get("ritmo_target"))
    if target and link.target != target:
        link.target = target
    lineitem = _text(_dict(claims.get(AGS_CLAIM)).get("lineitem"), 1024)
    if lineitem and link.lineitem_url != lineitem:
        link.lineitem_url = lineitem
    return link


def _upsert_enrolment(
    enrolment: Enrolment | None, user: User, course: Course, role: CourseRole,
    lis_roles: list[str], mentor: bool,
) -> Enrolment:
    if enrolment is None:
        enrolment = Enrolment(user=user, course=course, role=role)
        db.session.add(enrolment)
    if enrolment.role != role:
        enrolment.role = role
    if enrolment.lis_roles != lis_roles:
        enrolment.lis_roles = lis_roles
    if enrolment.is_mentor != mentor:
        enrolment.is_mentor = mentor
    return enrolment
