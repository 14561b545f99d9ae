"""A match's goal plan: goals its members write together, progress notes, and agreeing on the plan.

Only the match's mentor and mentees edit it, and only while the match is confirmed. When the last
member agrees, ``goal.plan_agreed`` is emitted once (an automatic milestone may count it).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import audit
from lti_tool.db import db
from lti_tool.errors import Conflict, Forbidden, InvalidInput, NotFound
from lti_tool.events import DomainEvent, emit
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.goals.milestones import NOTE_MAX, clean
from lti_tool.mentoring.goals.models import Goal, GoalNote, GoalPlanAgreement, GoalStatus
from lti_tool.mentoring.matching.access import MatchAccess, match_access
from lti_tool.mentoring.matching.statuses import CONFIRMED


def _require_member(access: MatchAccess) -> None:
    if not access.is_member:
        raise Forbidden(_("Only the match's mentor and mentees edit its goals."))
    if access.match.status not in CONFIRMED:
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

