"""Programme rules: one programme per course by default, and who joins it as what."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import audit
from lti_tool.accounts.models import Course, User
from lti_tool.db import db
from lti_tool.errors import Conflict, Forbidden, InvalidInput, NotFound
from lti_tool.events import DomainEvent, emit
from lti_tool.identity import revocation, roles
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus
from lti_tool.mentoring.programmes.models import (
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Programme,
    RoleOrigin,
    RoleSource,
)
from lti_tool.mentoring.programmes.role_rules import (  # the rule, public through this module
    disagrees,
    in_live_matches,
    origin_of,
    role_from_lms,
    settle,
)

__all__ = ["disagrees", "in_live_matches", "origin_of", "role_from_lms", "settle"]


def programme_for_course(course_id: int) -> Programme:
    """The course's programme, created with defaults the first time anyone launches."""
    programme = db.session.execute(
        sa.select(Programme).where(Programme.course_id == course_id).order_by(Programme.id).limit(1)
    ).scalar_one_or_none()
    if programme is None:
        course = db.session.get(Course, course_id)
        if course is None:
            raise NotFound("This course is unknown to Ritmo. Open Ritmo again from the course.")
        programme = Programme(course_id=course_id, title=course.title or "Mentoring programme")
        db.session.add(programme)
        db.session.flush()
    return programme


def get_programme(ctx: LaunchContext, programme_id: int) -> Programme:
    """A programme of the caller's course; anything else is invisible to them."""
    programme = db.session.get(Programme, programme_id)
    if programme is None or programme.course_id != ctx.course_id:
        raise NotFound("This programme does not exist in your course.")
    return programme


def participant_for(programme_id: int, user_id: int) -> Participant | None:
    return db.session.execute(
        sa.select(Participant).where(Participant.programme_id == programme_id, Participant.user_id == user_id)
    ).scalar_one_or_none()


def require_participant(ctx: LaunchContext, programme: Programme) -> Participant:
    participant = participant_for(programme.id, ctx.user_id)
    if participant is None:
        raise Forbidden("You are not part of this programme. Open Ritmo from the course page first.")
    return participant


def add_participant(ctx: LaunchContext, programme_id: int) -> Participant:
    """The launching person joins the programme, in the part their LMS role gives."""
    role, via_link = lms_claim(ctx)
    participant = Participant(
        programme_id=programme_id,
        user_id=ctx.user_id,
        role=role,
        role_origin=origin_of(role, via_link),
        lms_role=role,
    )
    db.session.add(participant)
    return participant


def lms_disagreement(person: Participant) -> ParticipantRole | None:
    """The role the LMS gives a participant where Ritmo holds another (``role_rules.disagrees``):
    the participants page marks it for the coordinator."""
    return person.lms_role if disagrees(person.role, person.role_origin, person.lms_role) else None


def lms_claim(ctx: LaunchContext) -> tuple[ParticipantRole, bool]:
    """What a launch says the person is, and whether only the link (a custom parameter
    ``ritmo_role=mentor``, not the LIS Mentor role) made them a mentor."""
    role = role_from_lms(ctx.is_coordinator, ctx.is_mentor)
    return role, ctx.is_mentor and not roles.is_mentor(ctx.lis_roles, None)


# -- configuration (coordinators) ----------------------------------------------------------------

#: Settings keys a coordinator may change through :func:`configure`, besides the columns.
SETTING_KEYS = ("request_deadline_hours",)
CONFIG_COLUMNS = (
    "title",
    "description",
    "matching_mode",
    "role_source",
    "default_capacity",
    "requires_approval",
    "starts_on",
    "ends_on",
    "timezone",
)


def configure(ctx: LaunchContext, programme: Programme, data: dict[str, object]) -> Programme:
    """Change a programme's configuration (``data`` as loaded by ``schemas.ProgrammeIn``)."""
    starts = data.get("starts_on", programme.starts_on)
    ends = data.get("ends_on", programme.ends_on)
    if starts is not None and ends is not None and ends < starts:  # type: ignore[operator]
        raise InvalidInput(errors={"ends_on": [_("The end date must be on or after the start date.")]})
    changed = {}
    for name in CONFIG_COLUMNS:
        if name in data and getattr(programme, name) != data[name]:
            changed[name] = str(data[name])
            setattr(programme, name, data[name])
    settings = dict(programme.settings or {})
    for key in SETTING_KEYS:
        if key in data:
            settings[key] = data[key]
            changed[key] = str(data[key])
    programme.settings = settings
    if changed:
        audit.record(
            "programme.configured", "programme", programme.id, actor_user_id=ctx.user_id, changed=changed
        )
    db.session.commit()
    return programme


def get_participant(programme: Programme, participant_id: int) -> Participant:
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.programme_id != programme.id:
        raise NotFound("This person is not part of the programme.")
    return participant


def set_participant(
    ctx: LaunchContext, programme: Programme, participant: Participant, data: dict[str, object]
) -> Participant:
    """A coordinator sets someone's role, capacity or status."""
    changed = {}
    for name in ("role", "capacity", "status"):
        if name in data and getattr(participant, name) != data[name]:
            changed[name] = str(data[name])
            setattr(participant, name, data[name])
    if "role" in changed:
        participant.role_origin = RoleOrigin.COORDINATOR  # no sync or launch undoes it
    if changed:
        audit.record(
            "participant.changed", "participant", participant.id, actor_user_id=ctx.user_id, changed=changed
        )
    if {"role", "status"} & changed.keys():
        revocation.revoke([participant.user_id])  # their open sessions end: they open Ritmo again
    if "status" in changed and participant.status is ParticipantStatus.WITHDRAWN:
        emit(
            DomainEvent(
                "participant.withdrawn",
                programme.id,
                participant_id=participant.id,
                actor_user_id=ctx.user_id,
            )
        )
    elif "role" in changed:
        emit(
            DomainEvent(
                "participant.role_changed",
                programme.id,
                participant_id=participant.id,
                actor_user_id=ctx.user_id,
            )
        )
    db.session.commit()
    return participant


def choose_role(ctx: LaunchContext, programme: Programme, role: ParticipantRole) -> Participant:
    """A learner picks mentor or mentee, where the programme lets people choose."""
    me = require_participant(ctx, programme)
    if programme.role_source is not RoleSource.SELF:
        raise Forbidden(
            _("In this programme roles are set by the coordinator or the LMS; ask your coordinator.")
        )
    if me.role is ParticipantRole.COORDINATOR or role is ParticipantRole.COORDINATOR:
        raise Forbidden(_("Coordinators keep their role."))
    busy = db.session.execute(
        sa.select(Match.id)
        .outerjoin(MatchMentee, MatchMentee.match_id == Match.id)
        .where(
            Match.status != MatchStatus.ENDED,
            sa.or_(Match.mentor_id == me.id, MatchMentee.mentee_id == me.id),
        )
        .limit(1)
    ).first()
    if busy is not None and me.role is not role:
        raise Conflict(_("You already have a match; ask your coordinator to change your role."))
    if me.role is not role:
        audit.record(
            "participant.role_chosen", "participant", me.id, actor_user_id=ctx.user_id, role=role.value
        )
        me.role = role
        me.role_origin = RoleOrigin.SELF  # no sync or launch undoes it
    db.session.commit()
    return me


def participants_page(
    programme: Programme,
    *,
    role: ParticipantRole | None = None,
    search: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[tuple[Participant, object]], int]:
    """Participants with their users, filtered and paginated (name or e-mail search)."""
    query = (
        sa.select(Participant, User)
        .join(User, Participant.user_id == User.id)
        .where(Participant.programme_id == programme.id)
    )
    if role is not None:
        query = query.where(Participant.role == role)
    if search:
        like = f"%{search.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.name).like(like), sa.func.lower(User.email).like(like)))
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(
        query.order_by(User.name, Participant.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return [(p, u) for p, u in rows], total


# -- reached by an institution's system (an API key bound to one platform) -----------------------


def platform_programmes(platform_id: int) -> list[Programme]:
    """The programmes of the platform's courses, oldest first."""
    return list(
        db.session.execute(
            sa.select(Programme)
            .join(Course, Course.id == Programme.course_id)
            .where(Course.platform_id == platform_id)
            .order_by(Programme.id)
        ).scalars()
    )


def platform_programme(platform_id: int, programme_id: int) -> Programme:
    """A programme of the platform's courses; another platform's is as if it did not exist."""
    programme = db.session.get(Programme, programme_id)
    if programme is None or programme.course.platform_id != platform_id:
        raise NotFound(_("There is no programme %(id)s on this platform.", id=programme_id))
    return programme
