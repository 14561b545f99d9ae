"""The programme at a launch: the person joins the course's programme, and the home shows it.

Every launch in a course runs :func:`join` (a launch step, ``launch.targets``): one read of what
the home shows, then the person's participation inserted, or its role moved by the LMS
(``role_rules.settle``, one rule with roster syncs), when needed. The home page the launch opens
reuses that read; opened later from inside Ritmo, it reads again. The join keeps its row in the
launch memo: a relaunch with the same claims reads nothing while nothing the row shows changed
(``home_changes`` renews the course's stamp when something does). Deep linking may place the
programme (:func:`offers`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _

from lti_tool.accounts.models import User, display_name
from lti_tool.db import db, without_transaction
from lti_tool.errors import NotFound
from lti_tool.events import DomainEvent, emit
from lti_tool.identity.context import LaunchContext
from lti_tool.launch.deep_linking import PlaceableItem
from lti_tool.mentoring.programmes import service
from lti_tool.mentoring.programmes.models import (
    MatchingMode,
    Participant,
    ParticipantRole,
    Programme,
    RoleOrigin,
    RoleSource,
)

# Where a launch keeps its read for the page it opens (this request only).
_READ_AT_LAUNCH = "programme_home"


class HomeRow(NamedTuple):
    """What the programme home shows of the programme and the person, and what the join needs."""

    programme_id: int
    title: str
    matching_mode: MatchingMode
    role_source: RoleSource
    participant_id: int | None  # None: not (yet) a participant
    role: ParticipantRole | None
    role_origin: RoleOrigin | None
    lms_role: ParticipantRole | None
    name: str | None
    given_name: str | None
    family_name: str | None
    sub: str


@functools.cache
def _statement() -> sa.Select[
    int, str, MatchingMode, RoleSource, int, ParticipantRole, RoleOrigin, ParticipantRole | None,
    str | None, str | None, str | None, str,
]:
    # Built once, and only the columns needed: every launch runs it.
    return (
        sa.select(
            Programme.id, Programme.title, Programme.matching_mode, Programme.role_source,
            Participant.id, Participant.role, Participant.role_origin, Participant.lms_role,
            User.name, User.given_name, User.family_name, User.sub,
        )
        .select_from(Programme)
        .join(User, User.id == sa.bindparam("user_id"))
        .outerjoin(
            Participant,
            sa.and_(Participant.programme_id == Programme.id, Participant.user_id == User.id),
        )
        .where(Programme.course_id == sa.bindparam("course_id"))
        .order_by(Programme.id)  # the course's first programme is the one launches join
        .limit(1)
    )


# The join's writes, built once.
@functools.cache
def _insert_statement() -> sa.Insert:
    return sa.insert(Participant).returning(Participant.id)


@functools.cache
def _role_statement() -> sa.Update:
    return sa.update(Participant).where(Participant.id == sa.bindparam("for_id"))


def _read(ctx: LaunchContext) -> HomeRow | None:
    # On the connection: plain columns need none of the ORM's result handling.
    row = db.session.connection().execute(
        _statement(), {"user_id": ctx.user_id, "course_id": ctx.course_id}
    ).first()
    return HomeRow(*row) if row is not None else None


def _of(programme: Programme, me: Participant | None, user: User) -> HomeRow:
    return HomeRow(
        programme.id, programme.title, programme.matching_mode, programme.role_source,
        me.id if me else None, me.role if me else None,
        me.role_origin if me else None, me.lms_role if me else None,
        user.name, user.given_name, user.family_name, user.sub,
    )


def join(ctx: LaunchContext, kept: Any = None) -> list[Any] | None:
    """The launching person takes part in the course's programme (made now if it has none).

    Staff coordinate. Learners join as mentors or mentees from the LMS role; an existing
    participant's role follows the LMS only where ``service.settle`` says so; what the LMS said
    is kept (``lms_role``) for the coordinator to see where they disagree.

    ``kept`` is what the join returned at the last launch with the same claims, while nothing it
    shows changed: that join already settled the same claims against the same row, so it stands.
    Returns the row, for the launch memo to keep.
    """
    if ctx.course_id is None:
        return None
    row = _unkept(kept, ctx)
    if row is None:
        try:
            row = _joined(ctx)
        except sa.exc.IntegrityError:
            # The same person's other launch (a double click) joined first: theirs is the row.
            db.session.rollback()
            row = _joined(ctx)
    g.setdefault(_READ_AT_LAUNCH, {})[ctx] = row
    return _keep(row, ctx)


def _keep(row: HomeRow, ctx: LaunchContext) -> list[Any]:
    """The row as JSON values, with whose and which course's it is."""
    return [ctx.user_id, ctx.course_id, *(v.value if isinstance(v, Enum) else v for v in row)]


def _unkept(kept: Any, ctx: LaunchContext) -> HomeRow | None:
    """The row :func:`_keep` stored, if it is this person's in this course (else None: read)."""
    if not isinstance(kept, list) or len(kept) != 2 + len(HomeRow._fields):
        return None
    if kept[:2] != [ctx.user_id, ctx.course_id]:
        return None
    values = dict(zip(HomeRow._fields, kept[2:], strict=True))
    try:
        for name, kind in _ENUMS.items():
            if values[name] is not None:
                values[name] = kind(values[name])
        return HomeRow(**values)
    except ValueError:  # kept by another version of Ritmo: read
        return None


# The row's enum columns, stored by value.
_ENUMS: dict[str, type[Enum]] = {
    "matching_mode": MatchingMode, "role_source": RoleSource, "role": ParticipantRole,
    "role_origin": RoleOrigin, "lms_role": ParticipantRole,
}


def _joined(ctx: LaunchContext) -> HomeRow:
    assert ctx.course_id is not None
    without_transaction()  # the read needs none; a single write is atomic on its own
    row = _read(ctx)
    wanted, via_link = service.lms_claim(ctx)
    moved = False
    if row is None:  # the course's first launch: its programme is made now, with the participation
        db.session.commit()  # whatever ran before ends here: these writes are one transaction
        programme = service.programme_for_course(ctx.course_id)
        me = service.participant_for(programme.id, ctx.user_id) or service.add_participant(ctx, programme.id)
        db.session.flush()
        row = _of(programme, me, db.session.get_one(User, ctx.user_id))
    elif row.participant_id is None:
        participant_id = db.session.connection().execute(
            _insert_statement(),
            {
                "programme_id": row.programme_id, "user_id": ctx.user_id, "role": wanted,
                "role_origin": service.origin_of(wanted, via_link), "lms_role": wanted,
            },
        ).scalar_one()
        row = row._replace(participant_id=participant_id, role=wanted, lms_role=wanted)
    else:
        assert row.role is not None and row.role_origin is not None
        participant_id, programme_id = row.participant_id, row.programme_id
        changed = service.settle(
            current=row.role, origin=row.role_origin, lms_says=wanted, source=row.role_source,
            live_match=lambda: bool(service.in_live_matches(programme_id, [participant_id])),
        )
        values: dict[str, object] = {}
        if changed is not None:
            values |= {"role": changed, "role_origin": service.origin_of(changed, via_link)}
        if row.lms_role is not wanted:  # written when the LMS's word changes, not at every launch
            values["lms_role"] = wanted
        if values:
            db.session.connection().execute(_role_statement(), {"for_id": participant_id, **values})
        if changed is not None:
            row = row._replace(role=changed)
            moved = True
    db.session.commit()
    if moved:  # in a transaction of its own: what the role change ends (matches) is written at once
        emit(
            DomainEvent(
                "participant.role_changed",
                row.programme_id,
                participant_id=row.participant_id,
                actor_user_id=ctx.user_id,
            )
        )
        db.session.commit()
    return row


@dataclass(frozen=True)
class HomeOverview:
    """What the programme home shows."""

    programme_id: int
    title: str
    matching_mode: MatchingMode
    my_role: ParticipantRole | None  # None: not (yet) a participant
    display_name: str
    is_coordinator: bool
    # Head counts, for coordinators only.
    mentors: int = 0
    mentees: int = 0
    coordinators: int = 0


def overview(ctx: LaunchContext) -> HomeOverview:
    """What the programme home shows: the programme, the caller's part in it, and head counts.

    Every launch opens this page, so it reads only the few columns it shows, in one query, or none
    when the launch just read them; only coordinators see (and pay for) the head counts.
    """
    if ctx.course_id is None:
        raise NotFound("Ritmo was opened outside a course. Open it from a course page.")
    row = g.get(_READ_AT_LAUNCH, {}).get(ctx) or _home_row(ctx)
    result = HomeOverview(
        row.programme_id, row.title, row.matching_mode, row.role,
        display_name(row.name, row.given_name, row.family_name, row.sub), ctx.is_coordinator,
    )
    if not ctx.is_coordinator:
        return result
    counts = dict(
        db.session.execute(
            sa.select(Participant.role, sa.func.count())
            .where(Participant.programme_id == row.programme_id)
            .group_by(Participant.role)
        ).all()
    )
    return replace(
        result,
        mentors=counts.get(ParticipantRole.MENTOR, 0),
        mentees=counts.get(ParticipantRole.MENTEE, 0),
        coordinators=counts.get(ParticipantRole.COORDINATOR, 0),
    )


def _home_row(ctx: LaunchContext) -> HomeRow:
    """The caller's home row, from the database."""
    assert ctx.course_id is not None
    without_transaction()  # this page only reads
    row = _read(ctx)
    if row is None:  # no programme yet (a course opened before its first launch committed one)
        programme = service.programme_for_course(ctx.course_id)
        me = service.participant_for(programme.id, ctx.user_id)
        return _of(programme, me, db.session.get_one(User, ctx.user_id))
    return row


def offers(ctx: LaunchContext) -> list[PlaceableItem]:
    """Deep linking may place the course's programme."""
    if ctx.course_id is None:
        return []
    programme = service.programme_for_course(ctx.course_id)
    return [
        PlaceableItem(
            title=programme.title or _("Mentoring programme"),
            text=_("The mentoring programme: matches, goals, conversations and meetings."),
            target="programme",
        )
    ]
