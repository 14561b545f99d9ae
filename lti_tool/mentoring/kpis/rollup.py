"""The roll-up of every programme of a platform, for the LMS's administrators.

Who is an LMS admin here (the rule, explicit): the person's latest launch (or roster sync) into the
course they opened Ritmo from recorded, in ``enrolment.lis_roles``, the LIS *system* role
``Administrator`` (or Canvas's ``SysAdmin``) or the LIS *institution* role ``Administrator``
(``.../lis/v2/institution/person#Administrator``). The launch's platform bounds what they see: only
that platform's programmes. A course role (Instructor, TeachingAssistant...) never counts, so a
coordinator of one course never sees another course's figures; and ``LTI_SYSTEM_ADMIN_COORDINATES``
(whether system admins coordinate a course's programme) does not change this rule either way.

The roll-up reads each programme's latest daily snapshot (:mod:`.trends`), not live figures, so it
costs one query however many programmes there are; and it shows no people, only figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.accounts.models import Course, Enrolment
from lti_tool.db import db
from lti_tool.errors import Forbidden
from lti_tool.identity import roles
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.kpis.catalogue import CATALOGUE
from lti_tool.mentoring.kpis.models import KpiSnapshot
from lti_tool.mentoring.programmes.models import Programme

INSTITUTION_ADMIN = roles.LIS + "institution/person#Administrator"
LEGACY_INSTITUTION_ADMIN = "urn:lti:instrole:ims/lis/Administrator"


def is_admin_role(role: str) -> bool:
    role = role.strip()
    return roles.is_system_admin(role) or role in (INSTITUTION_ADMIN, LEGACY_INSTITUTION_ADMIN)


def is_lms_admin(ctx: LaunchContext) -> bool:
    """Whether the person's latest launch carried a system or institution Administrator role."""
    if ctx.course_id is None:
        return False
    lis_roles = db.session.execute(
        sa.select(Enrolment.lis_roles).where(
            Enrolment.user_id == ctx.user_id, Enrolment.course_id == ctx.course_id
        )
    ).scalar_one_or_none()
    return any(is_admin_role(str(role)) for role in lis_roles or ())


def require_lms_admin(ctx: LaunchContext) -> None:
    if not is_lms_admin(ctx):
        raise Forbidden(_("Only the LMS's administrators can see the figures of every programme."))


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
