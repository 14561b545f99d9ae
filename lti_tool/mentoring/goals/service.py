"""Rules for milestones, goals and completions, and the grades they cause.

Every function takes the caller's :class:`LaunchContext` and checks role and relationship first:
coordinators manage their programme's milestones and see every match; mentors and mentees see and
edit only their own match. A completion and its score outbox row are written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import nh3
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from lti_tool import audit
from lti_tool.accounts.models import ResourceLink, User
from lti_tool.db import db, upsert_insert, utcnow
from lti_tool.errors import Conflict, Forbidden, InvalidInput, NotFound
from lti_tool.events import DomainEvent, emit, subscribe
from lti_tool.grades import service as grades
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.goals.models import (
    CompletionMode,
    CompletionSource,
    CompletionState,
    EventTally,
    Goal,
    GoalNote,
    GoalPlanAgreement,
    GoalStatus,
    Milestone,
    MilestoneCompletion,
)
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme
from lti_tool.mentoring.programmes.service import participant_for, programme_for_course

#: Events a milestone rule may count, with what they mean to a coordinator.
RULE_EVENTS: dict[str, LazyString] = {
    "meeting.held": _l("meetings held"),
    "message.sent": _l("messages exchanged"),
    "goal.plan_agreed": _l("goal plan agreed"),
    "survey.answered": _l("surveys answered"),
    "webinar.attended": _l("webinars attended"),
    "content.viewed": _l("content items viewed"),
    "content.completed": _l("content items completed"),
}
#: Events about the whole match (counted per match); the others are about one person.
MATCH_EVENTS = frozenset({"meeting.held", "message.sent", "goal.plan_agreed"})
#: Members may view a match in these states; they work on it only while it is active.
VISIBLE_STATUSES = frozenset({MatchStatus.APPROVED, MatchStatus.ACTIVE, MatchStatus.ENDED})
WORKING_STATUSES = frozenset({MatchStatus.APPROVED, MatchStatus.ACTIVE})
MAX_POINTS = 1000.0
MAX_RULE_COUNT = 10_000
MAX_OFFSET_DAYS = 3650
NOTE_MAX = 5000
TOTAL_RESOURCE_ID = "ritmo:programme:{id}"
MILESTONE_RESOURCE_ID = "ritmo:milestone:{id}"
MILESTONE_TAG = "ritmo-milestone"
TOTAL_TAG = "ritmo-programme"
#: Programme setting that sends a total of all graded milestones to its own gradebook column.
GRADE_TOTAL_SETTING = "grade_total"


def clean(text: str | None) -> str:
    """User text is stored as plain text: markup stripped, rendered escaped by the templates."""
    return nh3.clean(text or "", tags=set()).strip()


# --- who may see what ------------------------------------------------------------------------


@dataclass
class MatchAccess:
    match: Match
    programme: Programme
    me: Participant | None
    mentor: Participant
    mentees: list[Participant]
    is_coordinator: bool

    @property
    def is_mentor(self) -> bool:
        return self.me is not None and self.me.id == self.mentor.id

    @property
    def is_mentee(self) -> bool:
        return self.me is not None and any(m.id == self.me.id for m in self.mentees)

    @property
    def is_member(self) -> bool:
        return self.is_mentor or self.is_mentee


def current_programme(ctx: LaunchContext) -> Programme:
    if ctx.course_id is None:
        raise NotFound(_("Ritmo was opened outside a course. Open it from a course page."))
    return programme_for_course(ctx.course_id)


def _coordinator_programme(ctx: LaunchContext) -> Programme:
    if not ctx.is_coordinator:
        raise Forbidden(_("Only the course's coordinators (instructors) can do this."))
    return current_programme(ctx)


def match_access(ctx: LaunchContext, match_id: int) -> MatchAccess:
    """The match if the caller is one of its members or coordinates its programme; else 404."""
    programme = current_programme(ctx)
    match = db.session.get(Match, match_id)
    missing = NotFound(_("This match does not exist or is not yours. Go back to your programme page."))
    if match is None or match.programme_id != programme.id:
        raise missing
    mentees = [member.mentee for member in match.members]
    me = participant_for(programme.id, ctx.user_id)
    access = MatchAccess(match, programme, me, match.mentor, mentees, ctx.is_coordinator)
    if not access.is_coordinator and (not access.is_member or match.status not in VISIBLE_STATUSES):
        raise missing
    return access


def my_matches(ctx: LaunchContext) -> list[Match]:
    """The matches the caller belongs to (as mentor or mentee) that they may see."""
    programme = current_programme(ctx)
    me = participant_for(programme.id, ctx.user_id)
    if me is None:
        return []
    as_mentee = sa.select(MatchMentee.match_id).where(MatchMentee.mentee_id == me.id)
    return list(
        db.session.execute(
            sa.select(Match)
            .where(
                Match.programme_id == programme.id,
                Match.status.in_(VISIBLE_STATUSES),
                sa.or_(Match.mentor_id == me.id, Match.id.in_(as_mentee)),
            )
            .order_by(Match.id)
        ).scalars()
    )


# --- milestones (coordinator) ----------------------------------------------------------------


def list_milestones(programme_id: int) -> list[Milestone]:
    return list(
        db.session.execute(
            sa.select(Milestone)
            .where(Milestone.programme_id == programme_id)
            .order_by(Milestone.position, Milestone.id)
        ).scalars()
    )


def programme_milestones(ctx: LaunchContext) -> tuple[Programme, list[Milestone]]:
    programme = current_programme(ctx)
    if not ctx.is_coordinator and participant_for(programme.id, ctx.user_id) is None:
        raise Forbidden(_("You are not part of this programme. Open Ritmo from the course page first."))
    return programme, list_milestones(programme.id)


def get_milestone(ctx: LaunchContext, milestone_id: int) -> Milestone:
    programme = current_programme(ctx)
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.programme_id != programme.id:
        raise NotFound(_("This milestone does not exist in your programme."))
    return milestone


def create_milestone(ctx: LaunchContext, data: dict[str, Any]) -> Milestone:
    programme = _coordinator_programme(ctx)
    position = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.max(Milestone.position), 0)).where(
            Milestone.programme_id == programme.id
        )
    ).scalar_one()
    milestone = Milestone(
        programme_id=programme.id, position=position + 1, title="", description="", evidence="",
        graded=False, points=0.0, completion_mode=CompletionMode.MANUAL, requires_confirmation=True,
        rule_count=1,
    )
    _apply_milestone(milestone, data, creating=True)
    db.session.add(milestone)
    db.session.flush()
    audit.record("milestone.create", "milestone", milestone.id, actor_user_id=ctx.user_id,
                 title=milestone.title, graded=milestone.graded, points=milestone.points)
    _resync_totals(programme, ctx.user_id)
    db.session.commit()
    return milestone


def update_milestone(ctx: LaunchContext, milestone_id: int, data: dict[str, Any]) -> Milestone:
    _coordinator_programme(ctx)
    milestone = get_milestone(ctx, milestone_id)
    grading_before = (milestone.graded, milestone.points, milestone.title)
    _apply_milestone(milestone, data, creating=False)
    audit.record("milestone.update", "milestone", milestone.id, actor_user_id=ctx.user_id,
                 changes=sorted(data))
    if grading_before != (milestone.graded, milestone.points, milestone.title):
        # Points or grading changed: every learner's column gets the corrected score.
        _resync_milestone(milestone, ctx.user_id, clear=grading_before[0] and not milestone.graded)
        _resync_totals(db.session.get_one(Programme, milestone.programme_id), ctx.user_id)
    db.session.commit()
    return milestone


def delete_milestone(ctx: LaunchContext, milestone_id: int) -> None:
    programme = _coordinator_programme(ctx)
    milestone = get_milestone(ctx, milestone_id)
    if milestone.graded:
        # The LMS keeps its column: clear the grades Ritmo put there rather than leave them stale.
        milestone.graded = False
        _resync_milestone(milestone, ctx.user_id, clear=True)
    audit.record("milestone.delete", "milestone", milestone.id, actor_user_id=ctx.user_id,
                 title=milestone.title)
    db.session.delete(milestone)
    db.session.flush()
    _resync_totals(programme, ctx.user_id)
    db.session.commit()


def _apply_milestone(milestone: Milestone, data: dict[str, Any], *, creating: bool) -> None:
    merged: dict[str, Any] = {
        "title": milestone.title, "description": milestone.description,
        "evidence": milestone.evidence, "due_on": milestone.due_on,
        "due_offset_days": milestone.due_offset_days, "graded": milestone.graded,
        "points": milestone.points, "completion_mode": milestone.completion_mode,
        "requires_confirmation": milestone.requires_confirmation,
        "rule_event": milestone.rule_event, "rule_count": milestone.rule_count,
    }
    merged.update(data)
    errors: dict[str, list[str]] = {}
    title = clean(merged.get("title"))
    if not title:
        errors["title"] = [_("Give the milestone a title.")]
    if merged.get("due_on") and merged.get("due_offset_days") is not None:
        errors["due_offset_days"] = [
            _("Choose either a due date or a number of days after the match starts, not both.")
        ]
    offset = merged.get("due_offset_days")
    if offset is not None and not 0 <= offset <= MAX_OFFSET_DAYS:
        errors["due_offset_days"] = [_("Use a number of days between 0 and %(max)s.", max=MAX_OFFSET_DAYS)]
    graded = bool(merged.get("graded"))
    points = float(merged.get("points") or 0)
    if graded and not 0 < points <= MAX_POINTS:
        errors["points"] = [_("A graded milestone needs points between 0 and %(max)s.", max=int(MAX_POINTS))]
    if not graded and points < 0:
        errors["points"] = [_("Points cannot be negative.")]
    mode = CompletionMode(merged.get("completion_mode") or CompletionMode.MANUAL)
    rule_event = merged.get("rule_event") or None
    rule_count = 1 if merged.get("rule_count") is None else int(merged["rule_count"])
    if mode is CompletionMode.AUTOMATIC:
        if rule_event not in RULE_EVENTS:
            errors["rule_event"] = [
                _("Choose what completes this milestone: one of %(events)s.", events=", ".join(RULE_EVENTS))
            ]
        if not 1 <= rule_count <= MAX_RULE_COUNT:
            errors["rule_count"] = [_("Use a count between 1 and %(max)s.", max=MAX_RULE_COUNT)]
    else:
        rule_event = None
    if errors:
        raise InvalidInput(errors=errors)
    milestone.title = title[:255]
    milestone.description = clean(merged.get("description"))
    milestone.evidence = clean(merged.get("evidence"))
    milestone.due_on = merged.get("due_on")
    milestone.due_offset_days = offset
    milestone.graded = graded
    milestone.points = points
    milestone.completion_mode = mode
    milestone.requires_confirmation = bool(merged.get("requires_confirmation"))
    milestone.rule_event = rule_event
    milestone.rule_count = rule_count if mode is CompletionMode.AUTOMATIC else 1


def due_date(milestone: Milestone, match: Match | None) -> date | None:
    """A fixed date, or the offset counted from the day the match started."""
    if milestone.due_on is not None:
        return milestone.due_on
    if milestone.due_offset_days is not None and match is not None and match.started_at is not None:
        return match.started_at.date() + timedelta(days=milestone.due_offset_days)
    return None


def set_programme_total(ctx: LaunchContext, enabled: bool) -> Programme:
    """Send (or stop sending) each learner's total over graded milestones to its own column."""
    programme = _coordinator_programme(ctx)
    settings = dict(programme.settings or {})
    settings[GRADE_TOTAL_SETTING] = bool(enabled)
    programme.settings = settings
    audit.record("programme.grade_total", "programme", programme.id, actor_user_id=ctx.user_id,
                 enabled=bool(enabled))
    if enabled:
        _resync_totals(programme, ctx.user_id)
    db.session.commit()
    return programme


def placeable_milestones(programme: Programme) -> list[dict[str, Any]]:
    """What deep linking can place as a graded resource link, with its ``lineItem`` declaration.

    The ``resourceId``/``tag`` pair is the one delivery searches for, so a placed link's line item is
    found and used instead of a second column being created.
    """
    items: list[dict[str, Any]] = []
    graded = [m for m in list_milestones(programme.id) if m.graded]
    if graded:
        items.append({
            "title": programme.title,
            "target": "programme",
            "line_item": {
                "scoreMaximum": sum(m.points for m in graded),
                "label": programme.title,
                "resourceId": TOTAL_RESOURCE_ID.format(id=programme.id),
                "tag": TOTAL_TAG,
            },
        })
    for milestone in list_milestones(programme.id):
        entry: dict[str, Any] = {"title": milestone.title, "target": f"milestone:{milestone.id}"}
        if milestone.graded:
            entry["line_item"] = {
                "scoreMaximum": milestone.points,
                "label": milestone.title,
                "resourceId": MILESTONE_RESOURCE_ID.format(id=milestone.id),
                "tag": MILESTONE_TAG,
            }
        items.append(entry)
    return items


# --- completion --------------------------------------------------------------------------------


def _completion(milestone_id: int, participant_id: int) -> MilestoneCompletion | None:
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
    if not access.is_coordinator and access.match.status not in WORKING_STATUSES:
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
    existing = _completion(milestone.id, mentee.id)
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
        _complete(completion, milestone, mentee, access.programme, ctx.user_id)
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
    completion = _completion(milestone.id, mentee.id)
    if completion is None:
        raise Conflict(_("The mentee has not marked this milestone done yet."))
    if completion.state is CompletionState.COMPLETED:
        raise Conflict(_("This milestone is already complete."))
    _complete(completion, milestone, mentee, access.programme, ctx.user_id)
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
    completion = _completion(milestone.id, mentee.id)
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
        _send_scores(milestone, mentee, access.programme, ctx.user_id)
    audit.record("milestone.undo", "milestone_completion", f"{milestone.id}:{mentee.id}",
                 actor_user_id=ctx.user_id, was_completed=was_completed)
    db.session.commit()


def _complete(
    completion: MilestoneCompletion, milestone: Milestone, mentee: Participant,
    programme: Programme, actor_user_id: int | None,
) -> None:
    completion.state = CompletionState.COMPLETED
    completion.completed_at = utcnow()
    if completion.source is CompletionSource.MANUAL:
        completion.confirmed_by_user_id = actor_user_id
    db.session.flush()
    _send_scores(milestone, mentee, programme, actor_user_id, completed=True)


def _send_scores(
    milestone: Milestone, mentee: Participant, programme: Programme, actor_user_id: int | None,
    *, clear: bool = False, completed: bool | None = None,
) -> None:
    """Put the milestone's and the programme total's current value into the score outbox."""
    user = db.session.get_one(User, mentee.user_id)
    if milestone.graded or clear:
        if completed is None:
            done = _completion(milestone.id, mentee.id)
            completed = done is not None and done.state is CompletionState.COMPLETED
        completed = completed and not clear
        item = grades.ensure_line_item(
            programme.course_id, MILESTONE_RESOURCE_ID.format(id=milestone.id), MILESTONE_TAG,
            milestone.title, milestone.points or 1.0,
        )
        _adopt_placed_url(item, programme.course_id, f"milestone:{milestone.id}")
        score = (
            grades.Score(milestone.points, milestone.points)
            if completed else grades.Score.cleared(milestone.points or 1.0)
        )
        grades.set_score(item, user, score, actor_user_id=actor_user_id)
    _send_total(programme, mentee, user, actor_user_id)


def _placed_link(course_id: int, target: str) -> ResourceLink | None:
    """A link deep linking placed for ``target`` whose launch told Ritmo its gradebook column."""
    return db.session.execute(
        sa.select(ResourceLink)
        .where(ResourceLink.course_id == course_id, ResourceLink.target == target,
               ResourceLink.lineitem_url.is_not(None))
        .order_by(ResourceLink.id)
        .limit(1)
    ).scalar_one_or_none()


def _adopt_placed_url(item: Any, course_id: int, target: str) -> None:
    if item.url is None:
        link = _placed_link(course_id, target)
        if link is not None:
            item.url = link.lineitem_url


def _total_wanted(programme: Programme) -> bool:
    """The total goes out when the coordinator asked for it or placed the programme graded."""
    if (programme.settings or {}).get(GRADE_TOTAL_SETTING):
        return True
    return _placed_link(programme.course_id, "programme") is not None


def _send_total(programme: Programme, mentee: Participant, user: User, actor_user_id: int | None) -> None:
    if not _total_wanted(programme):
        return
    graded = [m for m in list_milestones(programme.id) if m.graded]
    maximum = sum(m.points for m in graded)
    if maximum <= 0:
        return
    earned = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Milestone.points), 0.0))
        .join(MilestoneCompletion, MilestoneCompletion.milestone_id == Milestone.id)
        .where(
            Milestone.programme_id == programme.id, Milestone.graded.is_(True),
            MilestoneCompletion.participant_id == mentee.id,
            MilestoneCompletion.state == CompletionState.COMPLETED,
        )
    ).scalar_one()
    item = grades.ensure_line_item(
        programme.course_id, TOTAL_RESOURCE_ID.format(id=programme.id), TOTAL_TAG,
        programme.title, maximum,
    )
    _adopt_placed_url(item, programme.course_id, "programme")
    activity = grades.ACTIVITY_COMPLETED if earned >= maximum else "InProgress"
    grades.set_score(item, user, grades.Score(float(earned), maximum, activity), actor_user_id=actor_user_id)


def _resync_milestone(milestone: Milestone, actor_user_id: int | None, *, clear: bool = False) -> None:
    """Resend the milestone's score to everyone who has one (completed or previously scored)."""
    programme = db.session.get_one(Programme, milestone.programme_id)
    participant_ids = set(
        db.session.execute(
            sa.select(MilestoneCompletion.participant_id).where(
                MilestoneCompletion.milestone_id == milestone.id,
                MilestoneCompletion.state == CompletionState.COMPLETED,
            )
        ).scalars()
    )
    for participant in db.session.execute(
        sa.select(Participant).where(Participant.id.in_(participant_ids))
    ).scalars():
        _send_scores(milestone, participant, programme, actor_user_id, clear=clear)


def _resync_totals(programme: Programme, actor_user_id: int | None) -> None:
    """The total's maximum changed (a graded milestone added, changed or removed): resend totals."""
    if not _total_wanted(programme):
        return
    mentees = db.session.execute(
        sa.select(Participant)
        .join(MatchMentee, MatchMentee.mentee_id == Participant.id)
        .join(Match, Match.id == MatchMentee.match_id)
        .where(Match.programme_id == programme.id, Match.status.in_(VISIBLE_STATUSES))
        .distinct()
    ).scalars()
    for mentee in mentees:
        _send_total(programme, mentee, db.session.get_one(User, mentee.user_id), actor_user_id)


# --- automatic completion from events --------------------------------------------------------


def on_event(event: DomainEvent) -> None:
    """Count the event and complete every automatic milestone whose rule it satisfies."""
    milestones = list(
        db.session.execute(
            sa.select(Milestone).where(
                Milestone.programme_id == event.programme_id,
                Milestone.completion_mode == CompletionMode.AUTOMATIC,
                Milestone.rule_event == event.name,
            )
        ).scalars()
    )
    if not milestones:
        return
    affected = _affected_mentees(event)
    if not affected:
        return
    step = int(event.data.get("count", 1) or 1)
    if event.name in MATCH_EVENTS:
        counts = {mentee.id: _tally(event.programme_id, f"m:{event.match_id}", event.name, step)
                  for mentee, _match_id in affected}
    else:
        counts = {mentee.id: _tally(event.programme_id, f"p:{mentee.id}", event.name, step)
                  for mentee, _match_id in affected}
    programme = db.session.get_one(Programme, event.programme_id)
    for milestone in milestones:
        for mentee, match_id in affected:
            if counts[mentee.id] < milestone.rule_count:
                continue
            existing = _completion(milestone.id, mentee.id)
            if existing is not None and existing.state is CompletionState.COMPLETED:
                continue
            completion = existing or MilestoneCompletion(
                milestone_id=milestone.id, participant_id=mentee.id, match_id=match_id,
                source=CompletionSource.RULE, marked_by_user_id=event.actor_user_id,
                marked_at=utcnow(), state=CompletionState.COMPLETED,
            )
            if existing is None:
                db.session.add(completion)
            _complete(completion, milestone, mentee, programme, event.actor_user_id)
            audit.record("milestone.auto_complete", "milestone_completion",
                         f"{milestone.id}:{mentee.id}", actor_user_id=event.actor_user_id,
                         event=event.name, count=counts[mentee.id])


def _affected_mentees(event: DomainEvent) -> list[tuple[Participant, int | None]]:
    """Match events count for all the match's mentees; personal events only for that mentee."""
    if event.name in MATCH_EVENTS:
        match = db.session.get(Match, event.match_id) if event.match_id else None
        if match is None or match.programme_id != event.programme_id:
            return []
        return [(member.mentee, match.id) for member in match.members]
    if event.participant_id is None:
        return []
    person = db.session.get(Participant, event.participant_id)
    if (
        person is None or person.programme_id != event.programme_id
        or person.role is not ParticipantRole.MENTEE
    ):
        return []
    match_id = event.match_id or db.session.execute(
        sa.select(Match.id)
        .join(MatchMentee, MatchMentee.match_id == Match.id)
        .where(MatchMentee.mentee_id == person.id, Match.status.in_(WORKING_STATUSES))
        .order_by(Match.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return [(person, match_id)]


def _tally(programme_id: int, scope_key: str, name: str, step: int) -> int:
    """Add ``step`` to a tally and return the new count, in one upsert statement."""
    now = utcnow()
    statement = upsert_insert(db.session.get_bind(), EventTally).values(
        programme_id=programme_id, scope_key=scope_key, event_name=name, count=step, updated_at=now
    )
    upsert = statement.on_conflict_do_update(
        index_elements=["programme_id", "scope_key", "event_name"],
        set_={"count": EventTally.count + step, "updated_at": now},
    ).returning(EventTally.count)
    return int(db.session.execute(upsert).scalar_one())


for _name in RULE_EVENTS:
    subscribe(_name)(on_event)


# --- goals ---------------------------------------------------------------------------------------


def _require_member(access: MatchAccess) -> None:
    if not access.is_member:
        raise Forbidden(_("Only the match's mentor and mentees edit its goals."))
    if access.match.status not in WORKING_STATUSES:
        raise Conflict(_("This match has ended; its goals can no longer change."))


def _goal_of(ctx: LaunchContext, goal_id: int) -> tuple[Goal, MatchAccess]:
    goal = db.session.get(Goal, goal_id)
    if goal is None:
        raise NotFound(_("This goal does not exist or is not yours."))
    return goal, match_access(ctx, goal.match_id)


def create_goal(ctx: LaunchContext, match_id: int, data: dict[str, Any]) -> Goal:
    access = match_access(ctx, match_id)
    _require_member(access)
    goal = Goal(match_id=match_id, created_by_user_id=ctx.user_id, status=GoalStatus.OPEN)
    _apply_goal(goal, data)
    db.session.add(goal)
    db.session.flush()
    audit.record("goal.create", "goal", goal.id, actor_user_id=ctx.user_id)
    db.session.commit()
    return goal


def update_goal(ctx: LaunchContext, goal_id: int, data: dict[str, Any]) -> Goal:
    goal, access = _goal_of(ctx, goal_id)
    _require_member(access)
    _apply_goal(goal, data)
    audit.record("goal.update", "goal", goal.id, actor_user_id=ctx.user_id, changes=sorted(data))
    db.session.commit()
    return goal


def add_note(ctx: LaunchContext, goal_id: int, text: str) -> GoalNote:
    goal, access = _goal_of(ctx, goal_id)
    _require_member(access)
    body = clean(text)
    if not body:
        raise InvalidInput(errors={"text": [_("Write what progress you made.")]})
    note = GoalNote(goal_id=goal.id, author_user_id=ctx.user_id, text=body[:NOTE_MAX])
    db.session.add(note)
    db.session.commit()
    return note


def _apply_goal(goal: Goal, data: dict[str, Any]) -> None:
    if "title" in data or goal.title is None:
        title = clean(data.get("title"))
        if not title:
            raise InvalidInput(errors={"title": [_("Say what the goal is.")]})
        goal.title = title[:255]
    if "measure" in data:
        goal.measure = clean(data.get("measure"))[:NOTE_MAX]
    if "due_on" in data:
        goal.due_on = data["due_on"]
    if "status" in data and data["status"] is not None:
        goal.status = GoalStatus(data["status"])


def agree_plan(ctx: LaunchContext, match_id: int) -> bool:
    """Record the caller's agreement to the goal plan; returns True when everyone has agreed.

    When the last member agrees, ``goal.plan_agreed`` is emitted once (milestone rules listen).
    """
    access = match_access(ctx, match_id)
    _require_member(access)
    assert access.me is not None
    has_goals = db.session.execute(
        sa.select(sa.func.count()).select_from(Goal).where(Goal.match_id == match_id)
    ).scalar_one()
    if not has_goals:
        raise Conflict(_("Write at least one goal together before agreeing on the plan."))
    members = {access.mentor.id, *(m.id for m in access.mentees)}
    agreed = set(
        db.session.execute(
            sa.select(GoalPlanAgreement.participant_id).where(GoalPlanAgreement.match_id == match_id)
        ).scalars()
    )
    if access.me.id in agreed:
        return members <= agreed
    db.session.add(GoalPlanAgreement(match_id=match_id, participant_id=access.me.id))
    agreed.add(access.me.id)
    everyone = members <= agreed
    if everyone:
        emit(DomainEvent("goal.plan_agreed", access.programme.id, match_id=match_id,
                         participant_id=access.me.id, actor_user_id=ctx.user_id))
    db.session.commit()
    return everyone


# --- timeline and progress -----------------------------------------------------------------------


@dataclass
class MilestoneView:
    milestone: Milestone
    due: date | None
    completions: dict[int, MilestoneCompletion | None] = field(default_factory=dict)


@dataclass
class Timeline:
    access: MatchAccess
    milestones: list[MilestoneView]
    goals: list[Goal]
    agreed_participant_ids: set[int]
    names: dict[int, str]

    @property
    def plan_agreed(self) -> bool:
        members = {self.access.mentor.id, *(m.id for m in self.access.mentees)}
        return members <= self.agreed_participant_ids

    def entries(self) -> list[tuple[date | None, str, Any]]:
        """Milestones and goals in one list by due date (undated last)."""
        items: list[tuple[date | None, str, Any]] = [(v.due, "milestone", v) for v in self.milestones]
        items += [(g.due_on, "goal", g) for g in self.goals]
        return sorted(items, key=lambda e: (e[0] is None, e[0] or date.min))


def timeline(ctx: LaunchContext, match_id: int) -> Timeline:
    access = match_access(ctx, match_id)
    mentee_ids = [m.id for m in access.mentees]
    completions = {
        (c.milestone_id, c.participant_id): c
        for c in db.session.execute(
            sa.select(MilestoneCompletion).where(MilestoneCompletion.participant_id.in_(mentee_ids))
        ).scalars()
    }
    views = []
    for milestone in list_milestones(access.programme.id):
        view = MilestoneView(milestone, due_date(milestone, access.match))
        view.completions = {pid: completions.get((milestone.id, pid)) for pid in mentee_ids}
        views.append(view)
    goals = list(
        db.session.execute(sa.select(Goal).where(Goal.match_id == match_id).order_by(Goal.id)).scalars()
    )
    agreed = set(
        db.session.execute(
            sa.select(GoalPlanAgreement.participant_id).where(GoalPlanAgreement.match_id == match_id)
        ).scalars()
    )
    people = [access.mentor, *access.mentees]
    names = {p.id: p.user.display_name for p in people}
    return Timeline(access, views, goals, agreed, names)


@dataclass
class MilestoneProgress:
    milestone: Milestone
    completed: int
    awaiting: int
    total: int


def progress(ctx: LaunchContext) -> dict[str, Any]:
    """Completion of each milestone across all the programme's matches (coordinators)."""
    programme = _coordinator_programme(ctx)
    rows = db.session.execute(
        sa.select(Match.id, MatchMentee.mentee_id)
        .join(MatchMentee, MatchMentee.match_id == Match.id)
        .where(Match.programme_id == programme.id, Match.status.in_(VISIBLE_STATUSES))
        .order_by(Match.id)
    ).all()
    mentee_ids = {mentee_id for _match, mentee_id in rows}
    counts: dict[tuple[int, str], int] = {}
    per_match: dict[int, dict[int, str]] = {}
    mentee_match = {mentee_id: match_id for match_id, mentee_id in rows}
    for milestone_id, participant_id, state in db.session.execute(
        sa.select(MilestoneCompletion.milestone_id, MilestoneCompletion.participant_id,
                  MilestoneCompletion.state)
        .join(Milestone, Milestone.id == MilestoneCompletion.milestone_id)
        .where(Milestone.programme_id == programme.id)
    ).all():
        if participant_id not in mentee_ids:
            continue
        key = (milestone_id, CompletionState(state).value)
        counts[key] = counts.get(key, 0) + 1
        match_id = mentee_match[participant_id]
        per_match.setdefault(match_id, {})
        if per_match[match_id].get(milestone_id) != CompletionState.AWAITING_CONFIRMATION.value:
            per_match[match_id][milestone_id] = CompletionState(state).value
    milestones = list_milestones(programme.id)
    summary = [
        MilestoneProgress(
            m, counts.get((m.id, CompletionState.COMPLETED.value), 0),
            counts.get((m.id, CompletionState.AWAITING_CONFIRMATION.value), 0), len(mentee_ids),
        )
        for m in milestones
    ]
    matches = sorted({match_id for match_id, _mentee in rows})
    return {"programme": programme, "milestones": summary, "matches": matches, "per_match": per_match}
