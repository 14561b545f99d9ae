"""The roll-up of every programme of a platform, for the LMS's administrators.

Who is an LMS admin here: the rule of ``identity.lms_admin`` (a system or institution
Administrator role at the person's latest launch). The launch's platform bounds what they see: only
that platform's programmes.

The roll-up reads each programme's latest daily snapshot (:mod:`.trends`), not live figures, so it
costs one query however many programmes there are; and it shows no people, only figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.accounts.models import Course
from lti_tool.db import db
from lti_tool.identity import lms_admin
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.kpis.catalogue import CATALOGUE
from lti_tool.mentoring.kpis.models import KpiSnapshot
from lti_tool.mentoring.programmes.models import Programme


def require_lms_admin(ctx: LaunchContext) -> None:
    lms_admin.require_lms_admin(
        ctx, _("Only the LMS's administrators can see the figures of every programme.")
    )


@dataclass
class RollupRow:
    programme_id: int
    course: str
    programme: str
    day: date | None
    values: dict[str, float | None]


def rollup(ctx: LaunchContext) -> list[RollupRow]:
    """Every programme of the admin's platform with each figure's latest snapshot."""
    require_lms_admin(ctx)
    programmes = db.session.execute(
        sa.select(Programme.id, Course.title, Course.context_id, Programme.title)
        .join(Course, Course.id == Programme.course_id)
        .where(Course.platform_id == ctx.platform_id)
        .order_by(Course.title, Programme.title, Programme.id)
    ).all()
    ids = [row[0] for row in programmes]
    latest = (
        sa.select(KpiSnapshot.programme_id, KpiSnapshot.kpi, sa.func.max(KpiSnapshot.day).label("day"))
        .where(KpiSnapshot.programme_id.in_(ids))
        .group_by(KpiSnapshot.programme_id, KpiSnapshot.kpi)
        .subquery()
    )
    found: dict[int, dict[str, tuple[date, float | None]]] = {}
    for pid, kpi, day, value in db.session.execute(
        sa.select(KpiSnapshot.programme_id, KpiSnapshot.kpi, KpiSnapshot.day, KpiSnapshot.value).join(
            latest,
            sa.and_(
                latest.c.programme_id == KpiSnapshot.programme_id,
                latest.c.kpi == KpiSnapshot.kpi,
                latest.c.day == KpiSnapshot.day,
            ),
        )
    ):
        found.setdefault(pid, {})[kpi] = (day, value)
    rows = []
    for pid, course_title, context_id, title in programmes:
        mine = found.get(pid, {})
        days = [day for day, _v in mine.values()]
        rows.append(
            RollupRow(
                pid,
                course_title or context_id,
                title,
                max(days) if days else None,
                {k.key: mine[k.key][1] if k.key in mine else None for k in CATALOGUE},
            )
        )
    return rows
