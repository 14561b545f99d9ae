"""What a verified launch changes: the user, course, resource link and role, upserted in one go."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy.orm.attributes import set_committed_value

from lti_tool.accounts.models import Course, CourseRole, Enrolment, ResourceLink, User
from lti_tool.db import PreparedStatement, commit_keeping_loaded, db, utcnow, without_transaction
from lti_tool.identity import revocation, roles
from lti_tool.identity.context import LaunchContext
from lti_tool.launch import memo, registry
from lti_tool.launch.models import Platform
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Participant, ParticipantStatus, Programme
from lti_tool.safety.names import clean_name

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
    # What the programme home shows this person, when read.
    home: programmes.HomeRow | None = None


def record_launch(
    platform_id: int, claims: dict[str, Any], scope: str, memo_entry: dict[str, Any] | None,
    course_stamp: str | None = None,
) -> RecordedLaunch:
    """Upsert everything the launch tells us and return the context the session will carry.

    A returning user whose claims are those of their last launch (within ``LAUNCH_MEMO_SECONDS``)
    gets the remembered context; the database sees at most an update of ``last_seen_at``, and no
    read for the programme home while the course's stamp is the one its card was read under.
    ``scope`` names the registration in the shared cache (``PlatformRegistration.scope``);
    ``memo_entry`` and ``course_stamp`` are what the cache held under ``memo.key(scope, sub)`` and
    ``memo.course_key(scope, context_id)``, read with the state (so before any row).
    """
    sub = _sub(claims)
    claims_digest = memo.digest(claims)
    remembered = memo.recall(memo_entry, claims_digest, course_stamp)
    if remembered is not None and _still_seen(remembered):
        ctx = remembered.context
        home = programmes.home_row_from_card(remembered.home) if remembered.home else None
        stale_card = home is None and ctx.course_id is not None
        if stale_card:
            home = programmes.read_home_row(ctx)
        recorded = RecordedLaunch(ctx, remembered.target, home)
        # ``_still_seen`` wrote ``last_seen_at`` when it was due; otherwise the memo keeps saying when.
        touched = time.time() - remembered.seen_at >= LAST_SEEN_RESOLUTION.total_seconds()
        if stale_card or touched:
            _remember(scope, sub, claims_digest, recorded, course_stamp,
                      seen_at=None if touched else remembered.seen_at)
    else:
        if remembered is not None:  # the remembered user row is gone: start afresh
            memo.forget(scope, sub)
        try:
            recorded = _upsert_all(platform_id, sub, claims)
        except sa.exc.IntegrityError:
            # Another launch inserted the same new user, course or link first (a double click, or
            # an LMS that preloads the frame). Its rows are there now: upsert again, against them.
            db.session.rollback()
            recorded = _upsert_all(platform_id, sub, claims)
        _remember(scope, sub, claims_digest, recorded, course_stamp)
    if recorded.home is not None:
        programmes.offer_home_row(recorded.context, recorded.home)
    return recorded


def _remember(
    scope: str, sub: str, claims_digest: str, recorded: RecordedLaunch, course_stamp: str | None,
    seen_at: float | None = None,
) -> None:
    card = programmes.home_card(recorded.home) if recorded.home is not None else None
    memo.remember(
        scope, sub, claims_digest, recorded.context, recorded.link_target, _memo_ttl(), seen_at,
        home=card, stamp=course_stamp,
    )


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


# The columns a launch may write, by row (besides ids, keys and ``last_seen_at``).
USER_FIELDS = ("name", "given_name", "family_name", "email", "locale")
COURSE_FIELDS = ("title", "label", "lineitems_url", "memberships_url")
LINK_FIELDS = ("title", "target", "lineitem_url")
ENROLMENT_FIELDS = ("role", "lis_roles", "is_mentor")


@dataclass
class _Known:
    """The rows a launch may change, as they are before it (``None``: not there yet)."""

    user: User | None = None
    course: Course | None = None
    link: ResourceLink | None = None
    enrolment: Enrolment | None = None
    programme: Programme | None = None
    participant: Participant | None = None


def _known(*columns: Any) -> sa.Select[Any]:
    """Every row a launch may touch, by outer joins from the platform's row. A ``None`` context or
    link id compares as SQL NULL and matches nothing.

    Parameters: ``for_platform``, ``for_sub``, ``for_context``, ``for_link``. None is a column's
    name: an UPDATE carried by the statement (``_known_values_touching_statement``) would otherwise
    also SET every column named like a parameter."""
    return (
        sa.select(*columns)
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
        .outerjoin(Programme, Programme.course_id == Course.id)
        .outerjoin(
            Participant,
            sa.and_(Participant.programme_id == Programme.id, Participant.user_id == User.id),
        )
        .where(Platform.id == sa.bindparam("for_platform"))
        .order_by(Programme.id)  # the course's first programme is the one launches join
        .limit(1)
    )


# Statements are built once: assembling and keying a statement this size costs more than running it.
@functools.cache
def _known_rows_statement() -> sa.Select[Any]:
    return _known(User, Course, ResourceLink, Enrolment, Programme, Participant)


@functools.cache
def _known_values_statement() -> sa.Select[Any]:
    """The same rows as plain values: the ids, what a launch may write, and what the home shows."""
    return _known(
        User.id.label("user_id"), User.sub.label("user_sub"), User.last_seen_at.label("user_last_seen_at"),
        *(getattr(User, name).label("user_" + name) for name in USER_FIELDS),
        Course.id.label("course_id"), Course.deployment_id.label("course_deployment_id"),
        *(getattr(Course, name).label("course_" + name) for name in COURSE_FIELDS),
        ResourceLink.id.label("link_id"),
        *(getattr(ResourceLink, name).label("link_" + name) for name in LINK_FIELDS),
        Enrolment.id.label("enrolment_id"),
        *(getattr(Enrolment, name).label("enrolment_" + name) for name in ENROLMENT_FIELDS),
        Programme.id.label("programme_id"), Programme.title.label("programme_title"),
        Programme.matching_mode.label("programme_matching_mode"),
        Programme.role_source.label("programme_role_source"),
        Participant.id.label("participant_id"), Participant.role.label("participant_role"),
    )


_prepared: dict[tuple[Callable[[], sa.Select[Any]], type[sa.Dialect]], PreparedStatement] = {}


def _prepare(build: Callable[[], sa.Select[Any]], dialect: sa.Dialect) -> PreparedStatement:
    """``build()`` compiled once per dialect (one per process in production)."""
    key = (build, type(dialect))
    prepared = _prepared.get(key)
    if prepared is None:
        prepared = _prepared[key] = PreparedStatement(build(), dialect)
    return prepared


@functools.cache
def _known_values_touching_statement() -> sa.Select[Any]:
    """PostgreSQL: the known values, and ``last_seen_at`` refreshed when due, in one statement.

    A data-modifying CTE runs once whether or not the query reads it, and the query sees the rows
    as they were before it (``user_last_seen_at`` is the old value). Parameters: those of
    ``_known``, plus ``seen_at`` (now) and ``seen_due`` (refresh when older than this)."""
    users: sa.Table = User.__table__  # type: ignore[assignment]
    stamp = users.c.last_seen_at.type
    touch = (
        sa.update(users)
        .where(
            users.c.platform_id == sa.bindparam("for_platform"),
            users.c.sub == sa.bindparam("for_sub"),
            sa.or_(
                users.c.last_seen_at.is_(None), users.c.last_seen_at <= sa.bindparam("seen_due", type_=stamp)
            ),
        )
        .values(last_seen_at=sa.bindparam("seen_at", type_=stamp))
        .returning(users.c.id)
        .cte("touch_last_seen")
    )
    return _known_values_statement().add_cte(touch)


@functools.cache
def _first_launch_statement() -> sa.Select[Any]:
    """PostgreSQL: a person's user row, enrolment and participation, inserted by one statement (so
    all or none). Every column is given: Python-side defaults do not run for a precompiled
    statement. Parameters: ``for_platform``, ``for_sub``, ``seen_at``, ``user_<field>`` and
    ``enrolment_<field>`` (the ``*_FIELDS``), ``course_id``, ``programme_id``, ``participant_role``."""
    users: sa.Table = User.__table__  # type: ignore[assignment]
    enrolments: sa.Table = Enrolment.__table__  # type: ignore[assignment]
    participants: sa.Table = Participant.__table__  # type: ignore[assignment]

    def bind(table: sa.Table, column: str, name: str) -> sa.BindParameter[Any]:
        return sa.bindparam(name, type_=table.c[column].type)

    new_user = (
        sa.insert(users)
        .values(
            platform_id=bind(users, "platform_id", "for_platform"),
            sub=bind(users, "sub", "for_sub"),
            last_seen_at=bind(users, "last_seen_at", "seen_at"),
            created_at=bind(users, "created_at", "seen_at"),
            **{name: bind(users, name, "user_" + name) for name in USER_FIELDS},
        )
        .returning(users.c.id)
        .cte("new_user")
    )
    enrolled = sa.insert(enrolments).from_select(
        ["user_id", "course_id", "updated_at", *ENROLMENT_FIELDS],
        sa.select(
            new_user.c.id, bind(enrolments, "course_id", "course_id"),
            bind(enrolments, "updated_at", "seen_at"),
            *(bind(enrolments, name, "enrolment_" + name) for name in ENROLMENT_FIELDS),
        ),
    ).cte("new_enrolment")
    joined = sa.insert(participants).from_select(
        ["user_id", "programme_id", "role", "status", "created_at"],
        sa.select(
            new_user.c.id, bind(participants, "programme_id", "programme_id"),
            bind(participants, "role", "participant_role"),
            sa.literal(ParticipantStatus.ACTIVE, participants.c.status.type),
            bind(participants, "created_at", "seen_at"),
        ),
    ).cte("new_participation")
    return sa.select(new_user.c.id.label("user_id")).add_cte(enrolled).add_cte(joined)


@dataclass(frozen=True)
class _Wanted:
    """What a launch's claims give each row it upserts: only what the platform chose to share this
    time (a claim left out never blanks a column). Keys are among the ``*_FIELDS`` below."""

    context_id: str | None
    link_id: str | None
    deployment_id: str | None
    role: CourseRole
    mentor: bool
    lis_roles: list[str]
    locale: str | None
    user: dict[str, Any]
    course: dict[str, Any]
    link: dict[str, Any]
    enrolment: dict[str, Any]

    def context(
        self, platform_id: int, user_id: int, course_id: int | None, link_id: int | None
    ) -> LaunchContext:
        return LaunchContext(
            platform_id=platform_id,
            user_id=user_id,
            course_id=course_id,
            role=self.role,
            is_mentor=self.mentor,
            resource_link_id=link_id,
            locale=self.locale,
            lis_roles=tuple(self.lis_roles),
        )


def _present(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def _wanted(claims: dict[str, Any]) -> _Wanted:
    lis_roles = [r for r in claims.get(CLAIM + "roles", []) if isinstance(r, str)]
    custom = _dict(claims.get(CLAIM + "custom"))
    presentation = _dict(claims.get(CLAIM + "launch_presentation"))
    context = _dict(claims.get(CLAIM + "context"))
    link = _dict(claims.get(CLAIM + "resource_link"))
    ags, nrps = _dict(claims.get(AGS_CLAIM)), _dict(claims.get(NRPS_CLAIM))
    locale = _text(claims.get("locale")) or _text(presentation.get("locale"))
    role, mentor = roles.course_role(lis_roles), roles.is_mentor(lis_roles, custom)
    return _Wanted(
        context_id=_text(context.get("id")),
        link_id=_text(link.get("id")),
        deployment_id=_text(claims.get(CLAIM + "deployment_id")),
        role=role,
        mentor=mentor,
        lis_roles=lis_roles,
        locale=locale,
        user=_present(
            name=clean_name(_text(claims.get("name"))),
            given_name=clean_name(_text(claims.get("given_name"))),
            family_name=clean_name(_text(claims.get("family_name"))),
            email=_text(claims.get("email"), 320),
            locale=locale,
        ),
        course=_present(
            title=_text(context.get("title")),
            label=_text(context.get("label")),
            lineitems_url=_text(ags.get("lineitems"), 1024),
            memberships_url=_text(nrps.get("context_memberships_url"), 1024),
        ),
        link=_present(
            title=_text(link.get("title")),
            target=_text(custom.get("ritmo_target")),
            lineitem_url=_text(ags.get("lineitem"), 1024),
        ),
        enrolment={"role": role, "lis_roles": lis_roles, "is_mentor": mentor},
    )


def _upsert_all(platform_id: int, sub: str, claims: dict[str, Any]) -> RecordedLaunch:
    wanted = _wanted(claims)
    params = {
        "for_platform": platform_id, "for_sub": sub, "for_context": wanted.context_id,
        "for_link": wanted.link_id,
    }
    # Most launches that miss the memo come from people whose rows already say it all: read them
    # as plain values, and load ORM rows only when something is to be written. On PostgreSQL the
    # same statement refreshes ``last_seen_at`` when due: one round trip, no transaction. Elsewhere
    # (SQLite) a read, then an UPDATE when due.
    engine = db.engine
    touching = PreparedStatement.runs_on(engine)
    if touching:
        now = utcnow()
        values = _prepare(_known_values_touching_statement, engine.dialect).one(
            engine, {**params, "seen_at": now, "seen_due": now - LAST_SEEN_RESOLUTION}
        )
    else:
        without_transaction()
        values = db.session.connection().execute(_known_values_statement(), params).one()
    unchanged = _recorded_if_unchanged(platform_id, wanted, values)
    if unchanged is not None:
        if not touching:
            if _last_seen_due(values.user_last_seen_at):
                _touch_last_seen(values.user_id, utcnow())  # one row: atomic on its own
            db.session.commit()
        return unchanged
    if values.user_id is None and wanted.context_id is not None and _course_settled(wanted, values):
        return _first_in_settled_course(platform_id, sub, wanted, values)
    outside = without_transaction()
    known = _load_known(params)
    if outside:
        commit_keeping_loaded()  # the reads are done; writes below get a transaction if they need one

    user = _upsert_user(known.user, platform_id, sub, wanted)
    course = _upsert_course(known.course, platform_id, wanted) if wanted.context_id else None
    link = _upsert_resource_link(known.link, course, wanted) if course and wanted.link_id else None
    if course is not None:
        _upsert_enrolment(known.enrolment, user, course, wanted)
    if any(row is not None and row.id is None for row in (user, course, link)):
        db.session.flush()  # new rows: the context carries their ids
    ctx = wanted.context(platform_id, user.id, course.id if course else None, link.id if link else None)
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
    home = programmes.home_row_of(joined[0], joined[1], user) if joined is not None else None
    return RecordedLaunch(ctx, link.target if link else None, home)


def _load_known(params: dict[str, Any]) -> _Known:
    """Every row the launch may touch, as ORM rows to change, in one round trip."""
    return _Known(*db.session.execute(_known_rows_statement(), params).one())


def _course_settled(wanted: _Wanted, row: Any) -> bool:
    """The course, the link and the programme exist and already say what the claims say."""
    return (
        row.course_id is not None
        and _same(row, "course_", wanted.course)
        and not (wanted.deployment_id and row.course_deployment_id is None)
        and (wanted.link_id is None or (row.link_id is not None and _same(row, "link_", wanted.link)))
        and row.programme_id is not None
    )


def _recorded_if_unchanged(platform_id: int, wanted: _Wanted, row: Any) -> RecordedLaunch | None:
    """The launch as recorded, straight from ``row`` (``_known_values_statement``), when the rows
    already hold everything the launch would write but ``last_seen_at``; ``None`` otherwise."""
    if row.user_id is None or not _same(row, "user_", wanted.user):
        return None
    in_course = wanted.context_id is not None
    with_link = in_course and wanted.link_id is not None
    ctx = wanted.context(
        platform_id, row.user_id, row.course_id if in_course else None, row.link_id if with_link else None
    )
    if not in_course:
        return RecordedLaunch(ctx, None)
    if (
        not _course_settled(wanted, row)
        or row.enrolment_id is None
        or not _same(row, "enrolment_", wanted.enrolment)
        or row.participant_id is None
        or programmes.lms_role_change(
            programmes.role_from_lms(ctx.is_coordinator, ctx.is_mentor),
            row.participant_role, row.programme_role_source,
        )
    ):
        return None
    home = programmes.HomeRow(
        row.programme_id, row.programme_title, row.programme_matching_mode, row.participant_role,
        row.user_name, row.user_given_name, row.user_family_name, row.user_sub,
    )
    return RecordedLaunch(ctx, row.link_target if with_link else None, home)


def _first_in_settled_course(platform_id: int, sub: str, wanted: _Wanted, row: Any) -> RecordedLaunch:
    """A person's first launch, in a course whose rows already say what the claims say (the usual
    first launch): insert the person, their enrolment and participation by the ids in ``row``.

    Plain inserts, not ORM rows: nothing later in the request needs the objects, and the unit of
    work would cost more than the statements. On PostgreSQL, one statement inserts all three."""
    link_id = row.link_id if wanted.link_id is not None else None
    role = programmes.role_from_lms(wanted.role is CourseRole.COORDINATOR, wanted.mentor)
    engine = db.engine
    now = utcnow()
    if PreparedStatement.runs_on(engine):
        user_id = _prepare(_first_launch_statement, engine.dialect).one(engine, {
            "for_platform": platform_id, "for_sub": sub, "seen_at": now, "course_id": row.course_id,
            "programme_id": row.programme_id, "participant_role": role,
            **{"user_" + name: wanted.user.get(name) for name in USER_FIELDS},
            **{"enrolment_" + name: value for name, value in wanted.enrolment.items()},
        }).user_id
    else:
        conn = db.session.connection()
        user_id = conn.execute(
            sa.insert(User).returning(User.id),
            {"platform_id": platform_id, "sub": sub, "last_seen_at": now, **wanted.user},
        ).scalar_one()
        conn.execute(
            sa.insert(Enrolment), {"user_id": user_id, "course_id": row.course_id, **wanted.enrolment}
        )
        conn.execute(
            sa.insert(Participant), {"programme_id": row.programme_id, "user_id": user_id, "role": role}
        )
        db.session.commit()
    ctx = wanted.context(platform_id, user_id, row.course_id, link_id)
    user = wanted.user
    home = programmes.HomeRow(
        row.programme_id, row.programme_title, row.programme_matching_mode, role,
        user.get("name"), user.get("given_name"), user.get("family_name"), sub,
    )
    return RecordedLaunch(ctx, row.link_target if link_id is not None else None, home)


def _same(row: Any, prefix: str, values: dict[str, Any]) -> bool:
    return all(getattr(row, prefix + name) == value for name, value in values.items())


def _apply(row: Any, values: dict[str, Any]) -> None:
    """Set what differs only: an unchanged attribute set again would still be written."""
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def _pending_writes() -> bool:
    session = db.session()
    return bool(session.new or session.deleted) or any(session.is_modified(r) for r in session.dirty)


def _upsert_user(user: User | None, platform_id: int, sub: str, wanted: _Wanted) -> User:
    if user is None:
        user = User(platform_id=platform_id, sub=sub, last_seen_at=utcnow())
        db.session.add(user)  # an existing user's last_seen_at is refreshed by ``_touch_last_seen``
    _apply(user, wanted.user)
    return user


def _upsert_course(course: Course | None, platform_id: int, wanted: _Wanted) -> Course:
    if course is None:
        course = Course(platform_id=platform_id, context_id=wanted.context_id)
        db.session.add(course)
    _apply(course, wanted.course)
    if wanted.deployment_id and course.deployment_id is None:
        deployment = registry.find_deployment(registry.get_platform(platform_id), wanted.deployment_id)
        course.deployment_id = deployment.id if deployment else None
    return course


def _upsert_resource_link(link: ResourceLink | None, course: Course, wanted: _Wanted) -> ResourceLink:
    if link is None:
        link = ResourceLink(course=course, resource_link_id=wanted.link_id)
        db.session.add(link)
    _apply(link, wanted.link)
    return link


def _upsert_enrolment(enrolment: Enrolment | None, user: User, course: Course, wanted: _Wanted) -> Enrolment:
    if enrolment is None:
        enrolment = Enrolment(user=user, course=course, role=wanted.role)
        db.session.add(enrolment)
    elif (enrolment.role, enrolment.is_mentor) != (wanted.role, wanted.mentor):
        # Sessions from before carry the old role; this launch's own session is issued after.
        revocation.revoke([user.id])
    _apply(enrolment, wanted.enrolment)
    return enrolment
