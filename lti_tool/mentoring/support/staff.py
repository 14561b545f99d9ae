"""Who answers a programme's support requests, and how fast they aim to.

Support is the programme's coordinators plus the participants they name as support staff. The
response-time target is a programme setting in hours; reminders follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.errors import Conflict, Forbidden, InvalidInput, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.programmes.models import (
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Programme,
)
from lti_tool.mentoring.support.models import SupportRequest, SupportStaff

RESPONSE_HOURS_SETTING = "support_response_hours"
DEFAULT_RESPONSE_HOURS = 48
MAX_RESPONSE_HOURS = 24 * 30


@dataclass(frozen=True)
class StaffMember:
    user_id: int
    name: str
    is_coordinator: bool


def coordinator_user_ids(programme_id: int) -> list[int]:
    """The programme's active coordinators (participants with the coordinator role)."""
    return list(
        db.session.execute(
            sa.select(Participant.user_id)
            .where(
                Participant.programme_id == programme_id,
                Participant.role == ParticipantRole.COORDINATOR,
                Participant.status == ParticipantStatus.ACTIVE,
            )
            .order_by(Participant.user_id)
        ).scalars()
    )


def staff_user_ids(programme_id: int) -> list[int]:
    """The participants named support staff."""
    return list(
        db.session.execute(
            sa.select(SupportStaff.user_id)
            .where(SupportStaff.programme_id == programme_id)
            .order_by(SupportStaff.user_id)
        ).scalars()
    )


def support_user_ids(programme_id: int) -> list[int]:
    """Everyone who answers requests: coordinators, then the named staff."""
    coordinators = coordinator_user_ids(programme_id)
    return coordinators + [u for u in staff_user_ids(programme_id) if u not in coordinators]


def is_support_user(programme_id: int, user_id: int) -> bool:
    """Whether ``user_id`` answers this programme's requests (no session needed: timeline, jobs)."""
    return user_id in support_user_ids(programme_id)


def is_support(ctx: LaunchContext, programme: Programme) -> bool:
    """Whether the caller answers this programme's requests: a coordinator of the course, or staff."""
    return ctx.is_coordinator or is_support_user(programme.id, ctx.user_id)


def members(programme: Programme) -> list[StaffMember]:
    """Who answers, with names, for the support page and the assignment choice."""
    coordinators = set(coordinator_user_ids(programme.id))
    ids = support_user_ids(programme.id)
    users = {u.id: u for u in db.session.execute(sa.select(User).where(User.id.in_(ids))).scalars()}
    return [StaffMember(i, users[i].display_name, i in coordinators) for i in ids if i in users]


def add_staff(ctx: LaunchContext, programme: Programme, user_id: int) -> SupportStaff:
    """Name a participant of the programme support staff (coordinators only)."""
    _require_coordinator(ctx)
    participant = db.session.execute(
        sa.select(Participant).where(Participant.programme_id == programme.id, Participant.user_id == user_id)
    ).scalar_one_or_none()
    if participant is None or participant.status is not ParticipantStatus.ACTIVE:
        raise InvalidInput(errors={"user_id": [_("Choose an active participant of this programme.")]})
    if user_id in staff_user_ids(programme.id):
        raise Conflict(_("This person is support staff already."))
    staff = SupportStaff(programme_id=programme.id, user_id=user_id, added_by_user_id=ctx.user_id)
    db.session.add(staff)
    db.session.commit()
    return staff


def remove_staff(ctx: LaunchContext, programme: Programme, user_id: int) -> None:
    """Stop counting someone as support staff; requests assigned to them go back to the queue."""
    _require_coordinator(ctx)
    staff = db.session.execute(
        sa.select(SupportStaff).where(
            SupportStaff.programme_id == programme.id, SupportStaff.user_id == user_id
        )
    ).scalar_one_or_none()
    if staff is None:
        raise NotFound(_("This person is not support staff of the programme."))
    db.session.delete(staff)
    db.session.flush()
    if not is_support_user(programme.id, user_id):
        _unassign(programme.id, user_id)
    db.session.commit()


def _unassign(programme_id: int, user_id: int) -> None:
    db.session.execute(
        sa.update(SupportRequest)
        .where(SupportRequest.programme_id == programme_id, SupportRequest.assignee_user_id == user_id)
        .values(assignee_user_id=None)
    )


def response_hours(programme: Programme) -> int:
    """The response-time target of the programme, in hours."""
    value = (programme.settings or {}).get(RESPONSE_HOURS_SETTING)
    return int(value) if isinstance(value, int) and value > 0 else DEFAULT_RESPONSE_HOURS


def set_response_hours(ctx: LaunchContext, programme: Programme, hours: int) -> Programme:
    _require_coordinator(ctx)
    if not 1 <= hours <= MAX_RESPONSE_HOURS:
        raise InvalidInput(
            errors={"response_hours": [_("Give between 1 and %(max)d hours.", max=MAX_RESPONSE_HOURS)]}
        )
    settings = dict(programme.settings or {})
    settings[RESPONSE_HOURS_SETTING] = hours
    programme.settings = settings
    db.session.commit()
    return programme


def _require_coordinator(ctx: LaunchContext) -> None:
    if not ctx.is_coordinator:
        raise Forbidden(_("Only the programme's coordinators choose who answers support requests."))


def candidates(programme: Programme) -> list[StaffMember]:
    """Active participants who could be named support staff (not coordinators, not staff yet)."""
    taken = set(support_user_ids(programme.id))
    rows = db.session.execute(
        sa.select(User)
        .join(Participant, Participant.user_id == User.id)
        .where(
            Participant.programme_id == programme.id,
            Participant.status == ParticipantStatus.ACTIVE,
            Participant.role != ParticipantRole.COORDINATOR,
        )
        .order_by(User.name, User.id)
    ).scalars()
    return [StaffMember(u.id, u.display_name, False) for u in rows if u.id not in taken]
