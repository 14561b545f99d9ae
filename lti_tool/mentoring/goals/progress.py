"""What people read about milestones and goals: a match's timeline, and progress across a programme.

Read-only: the timeline merges a match's milestones (with each mentee's completion) and goals by
due date; progress counts completions per milestone over the programme's visible matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.goals.milestones import coordinator_programme, due_date, list_milestones
from lti_tool.mentoring.goals.models import (
    CompletionState,
    Goal,
    GoalPlanAgreement,
    Milestone,
    MilestoneCompletion,
)
from lti_tool.mentoring.matching.access import MatchAccess, match_access
from lti_tool.mentoring.matching.models import Match, MatchMentee
from lti_tool.mentoring.matching.statuses import VISIBLE_TO_MEMBERS


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
    programme = coordinator_programme(ctx)
    rows = db.session.execute(
        sa.select(Match.id, MatchMentee.mentee_id)
        .join(MatchMentee, MatchMentee.match_id == Match.id)
        .where(Match.programme_id == programme.id, Match.status.in_(VISIBLE_TO_MEMBERS))
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
