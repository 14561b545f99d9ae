"""Goals' KPI figure: milestones completed, and by how many mentees (:mod:`..kpis.figures`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.goals.models import CompletionState, Milestone, MilestoneCompletion
from lti_tool.mentoring.programmes.models import Programme


def milestones(programme: Programme, now: datetime) -> dict[str, int]:
    row = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(MilestoneCompletion.participant_id)))
        .join(Milestone, Milestone.id == MilestoneCompletion.milestone_id)
        .where(
            Milestone.programme_id == programme.id,
            MilestoneCompletion.state == CompletionState.COMPLETED,
        )
    ).one()
    return {"completed": row[0], "mentees_with_one_completed": row[1]}
