"""Who is looking: the caller's programme, participant row and role, shared by webinars and content."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.errors import Forbidden, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import (
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Programme,
)


@dataclass(frozen=True)
class Viewer:
    user_id: int
    programme: Programme
    participant: Participant | None
    is_coordinator: bool

    @property
    def role(self) -> ParticipantRole:
        if self.is_coordinator:
            return ParticipantRole.COORDINATOR
        assert self.participant is not None
        return self.participant.role

    @property
    def user(self) -> User:
        user = db.session.get(User, self.user_id)
        assert user is not None
        return user

    def require_participant(self) -> Participant:
        if self.participant is None:
            raise Forbidden(_("You are not part of this programme. Open Ritmo from the course page first."))
        return self.participant


def viewer(ctx: LaunchContext) -> Viewer:
    """The caller in their course's programme; participants who withdrew see nothing."""
    if ctx.course_id is None:
        raise NotFound(_("Ritmo was opened outside a course. Open it from a course page."))
    programme = programmes.programme_for_course(ctx.course_id)
    participant = programmes.participant_for(programme.id, ctx.user_id)
    if not ctx.is_coordinator and (participant is None or participant.status is ParticipantStatus.WITHDRAWN):
        raise Forbidden(_("You are not part of this programme. Open Ritmo from the course page first."))
    return Viewer(ctx.user_id, programme, participant, ctx.is_coordinator)
