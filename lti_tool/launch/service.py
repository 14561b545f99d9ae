"""What a verified launch changes: the user, course, resource link and role, upserted in one go."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, g

from lti_tool.accounts.models import Course, CourseRole, Enrolment, ResourceLink, User
from lti_tool.db import db, utcnow
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


def record_launch(platform_id: int, claims: dict[str, Any], scope: str) -> RecordedLaunch:
    """Upsert everything the launch tells us and return the context the session will carry.

    A returning user whose claims are those of their last launch (within ``LAUNCH_MEMO_SECONDS``)
    gets the remembered context; the database sees at most an update of ``last_seen_at``.
    ``scope`` names the registration in the shared cache (``PlatformRegistration.scope``).
    """
    sub = _sub(claims)
    claims_digest = memo.digest(claims)
    remembered = memo.recall(scope, sub, claims_digest)
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
    updated = db.session.execute(
        sa.update(User).where(User.id == remembered.context.user_id).values(last_seen_at=utcnow())
    )
    db.session.commit()
    return bool(updated.rowcount)  # type: ignore[attr-defined]


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


def _load_known(platform_id: int, sub: str, context_id: str | None, link_id: str | None) -> _Known:
    """Every row the launch may touch, in one round trip (outer joins from the platform's row)."""
    no_match = sa.false()
    user_on = sa.and_(User.platform_id == Platform.id, User.sub == sub)
    course_on = (
        sa.and_(Course.platform_id == Platform.id, Course.context_id == context_id)
        if context_id else no_match
    )
    link_on = (
        sa.and_(ResourceLink.course_id == Course.id, ResourceLink.resource_link_id == link_id)
        if link_id else no_match
    )
    row = db.session.execute(
        sa.select(User, Course, ResourceLink, Enrolment, Programme, Participant)
        .select_from(Platform)
        .outerjoin(User, user_on)
        .outerjoin(Course, course_on)
        .outerjoin(ResourceLink, link_on)
        .outerjoin(Enrolment, sa.and_(Enrolment.user_id == User.id, Enrolment.course_id == Course.id))
        .outerjoin(Programme, Programme.course_id == Course.id)
        .outerjoin(
            Participant,
            sa.and_(Participant.programme_id == Programme.id, Participant.user_id == User.id),
        )
        .where(Platform.id == platform_id)
        .order_by(Programme.id)  # the course's first programme is the one launches join
        .limit(1)
    ).one()
    return _Known(*row)


def _upsert_all(platform_id: int, sub: str, claims: dict[str, Any]) -> RecordedLaunch:
    lis_roles = [r for r in claims.get(CLAIM + "roles", []) if isinstance(r, str)]
    custom = _dict(claims.get(CLAIM + "custom"))
    presentation = _dict(claims.get(CLAIM + "launch_presentation"))
    locale = _text(claims.get("locale")) or _text(presentation.get("locale"))
    context_id = _text(_dict(claims.get(CLAIM + "context")).get("id"))
    link_id = _text(_dict(claims.get(CLAIM + "resource_link")).get("id"))
    known = _load_known(platform_id, sub, context_id, link_id)

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
    participant = None
    if course is not None:
        programme = known.programme
        participant = programmes.join_from_launch(
            ctx, (programme, known.participant) if programme is not None else None
        )
    _commit_keeping_loaded()
    # The session's identity map holds rows weakly: keep these for the page this request renders.
    g.launch_rows = (user, course, link)
    if participant is not None:
        programmes.offer_home_rows(ctx, user, participant)
    return RecordedLaunch(ctx, link.target if link else None)


def _commit_keeping_loaded() -> None:
    """Commit without expiring what the launch just wrote: the page it opens reads the same user,
    link and participant, and would otherwise load each again (a query apiece)."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


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
    now = utcnow()
    # Repeated launches within the resolution leave the row alone: one UPDATE less per launch.
    if user.last_seen_at is None or now - user.last_seen_at >= LAST_SEEN_RESOLUTION:
        user.last_seen_at = now
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
