"""Milestone completion by people: a mentee marks a milestone done, the mentor confirms, either undoes.

A completion and the scores it causes are written in one transaction (see :mod:`.gradebook`).
Automatic milestones complete from events instead (see :mod:`.rules`).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import audit
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, Forbidden, InvalidInput, NotFound
from lti_tool.events import DomainEvent, emit
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.goals.gradebook import send_scores
from lti_tool.mentoring.goals.milestones import NOTE_MAX, clean
from lti_tool.mentoring.goals.models import (
    RULE_EVENTS,
    CompletionMode,
    CompletionSource,
    CompletionState,
    Milestone,
    MilestoneCompletion,
)
from lti_tool.mentoring.matching.access import MatchAccess, match_access
from lti_tool.mentoring.matching.statuses import CONFIRMED
from lti_tool.mentoring.programmes.models import Participant, Programme


def completion_of(milestone_id: int, participant_id: int) -> MilestoneCompletion | None:
    """The mentee's mark or completion of a milestone, if any."""
    return db.session.execute(
        sa.select(MilestoneCompletion).where(
            MilestoneCompletion.milestone_id == milestone_id,
            MilestoneCompletion.participant_id == participant_id,
        )
    ).scalar_one_or_none()


def _target_mentee(access: MatchAccess, participant_id: int | None) -> Participant:
    if participant_id is None:
        if access.is_mentee:
            assert access.me is not None
            return access.me
        if len(access.mentees) == 1:
            return access.mentees[0]
        raise InvalidInput(errors={"participant_id": [_("Say which mentee this is for.")]})
    for mentee in access.mentees:
        if mentee.id == participant_id:
            return mentee
    raise InvalidInput(errors={"participant_id": [_("This person is not a mentee of the match.")]})


def _milestone_of(access: MatchAccess, milestone_id: int) -> Milestone:
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.programme_id != access.programme.id:
        raise NotFound(_("This milestone does not exist in your programme."))
    return milestone


def mark_done(
    ctx: LaunchContext, match_id: int, milestone_id: int, *, participant_id: int | None = None,
    note: str = "",
) -> MilestoneCompletion:
    """A mentee marks a milestone done (awaiting the mentor when the milestone asks for that);
    a mentor or coordinator marking it completes it at once."""
    access = match_access(ctx, match_id)
    milestone = _milestone_of(access, milestone_id)
    if not (access.is_member or access.is_coordinator):
        raise Forbidden()
    if not access.is_coordinator and access.match.status not in CONFIRMED:
        raise Conflict(_("This match has ended; its milestones can no longer change."))
    if milestone.completion_mode is CompletionMode.AUTOMATIC and not access.is_coordinator:
        raise Conflict(_(
            "This milestone completes by itself when the match reaches it (%(rule)s). "
            "Ask your coordinator if it should be marked by hand.",
            rule=RULE_EVENTS.get(milestone.rule_event or "", ""),
        ))
    mentee = _target_mentee(access, participant_id)
    if access.is_mentee and not access.is_mentor and access.me is not None and mentee.id != access.me.id:
        raise Forbidden(_("You can only mark your own milestones."))
    existing = completion_of(milestone.id, mentee.id)
    if existing is not None and existing.state is CompletionState.COMPLETED:
        raise Conflict(_("This milestone is already complete."))
    confirms = access.is_mentor or access.is_coordinator or not milestone.requires_confirmation
    completion = existing or MilestoneCompletion(
        milestone_id=milestone.id, participant_id=mentee.id, match_id=access.match.id,
        source=CompletionSource.MANUAL, marked_by_user_id=ctx.user_id, marked_at=utcnow(),
        state=CompletionState.AWAITING_CONFIRMATION,
    )
    completion.note = clean(note)[:NOTE_MAX] or completion.note
    if existing is None:
        db.session.add(completion)
    if confirms:
        complete(completion, milestone, mentee, access.programme, ctx.user_id)
    audit.record("milestone.mark", "milestone_completion", f"{milestone.id}:{mentee.id}",
                 actor_user_id=ctx.user_id, state=completion.state.value)
    db.session.commit()
    return completion


def confirm(
    ctx: LaunchContext, match_id: int, milestone_id: int, participant_id: int | None = None
) -> MilestoneCompletion:
    """The mentor (or a coordinator) confirms what the mentee marked done."""
    access = match_access(ctx, match_id)
    milestone = _milestone_of(access, milestone_id)
    if not (access.is_mentor or access.is_coordinator):
        raise Forbidden(_("Only the mentor or a coordinator can confirm a milestone."))
    mentee = _target_mentee(access, participant_id)
    completion = completion_of(milestone.id, mentee.id)
    if completion is None:
        raise Conflict(_("The mentee has not marked this milestone done yet."))
    if completion.state is CompletionState.COMPLETED:
        raise Conflict(_("This milestone is already complete."))
    complete(completion, milestone, mentee, access.programme, ctx.user_id)
    audit.record("milestone.confirm", "milestone_completion", f"{milestone.id}:{mentee.id}",
                 actor_user_id=ctx.user_id)
    db.session.commit()
    return completion


def undo(ctx: LaunchContext, match_id: int, milestone_id: int, participant_id: int | None = None) -> None:
    """Take a completion back; the gradebook gets the corrected (cleared) score.

    Mentors and coordinators undo anything; a mentee only withdraws a mark not yet confirmed.
    """
    access = match_access(ctx, match_id)
    milestone = _milestone_of(access, milestone_id)
    mentee = _target_mentee(access, participant_id)
    completion = completion_of(milestone.id, mentee.id)
    if completion is None:
        raise Conflict(_("This milestone is not marked done; there is nothing to undo."))
    may = access.is_mentor or access.is_coordinator or (
        access.is_mentee and completion.state is CompletionState.AWAITING_CONFIRMATION
    )
    if not may:
        raise Forbidden(_("Only the mentor or a coordinator can undo a confirmed milestone."))
    was_completed = completion.state is CompletionState.COMPLETED
    db.session.delete(completion)
    db.session.flush()
    if was_completed:
        send_scores(milestone, mentee, access.programme, ctx.user_id)
    audit.record("milestone.undo", "milestone_completion", f"{milestone.id}:{mentee.id}",
                 actor_user_id=ctx.user_id, was_completed=was_completed)
    db.session.commit()


def complete(
    completion: MilestoneCompletion, milestone: Milestone, mentee: Participant,
    programme: Programme, actor_user_id: int | None,
) -> None:
    completion.state = CompletionState.COMPLETED
    completion.completed_at = utcnow()
    if completion.source is CompletionSource.MANUAL:
        completion.confirmed_by_user_id = actor_user_id
    db.session.flush()
    send_scores(milestone, mentee, programme, actor_user_id, completed=True)
    # Every way a milestone completes (a mentor's mark or confirmation, a rule) passes here.
    emit(DomainEvent("milestone.completed", programme.id, match_id=completion.match_id,
                     participant_id=mentee.id, actor_user_id=actor_user_id,
                     data={"milestone_id": milestone.id}))

