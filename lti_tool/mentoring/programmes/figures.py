"""The programme's KPI figure: who takes part, by role and status (:mod:`..kpis.figures`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus, Programme


def participants(programme: Programme, now: datetime) -> dict[str, Any]:
    rows = db.session.execute(
        sa.select(Participant.role, Participant.status, sa.func.count())
        .where(Participant.programme_id == programme.id)
        .group_by(Participant.role, Participant.status)
    ).all()
    by_role: dict[str, dict[str, int]] = {
        role.value: {status.value: 0 for status in ParticipantStatus} | {"total": 0}
        for role in ParticipantRole
    }
    for role, status, count in rows:
        by_role[role.value][status.value] = count
        by_role[role.value]["total"] += count
    return {"total": sum(r["total"] for r in by_role.values()), "by_role": by_role}
