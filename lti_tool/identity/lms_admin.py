"""Who is an LMS administrator of a platform, for the pages that are theirs alone (the KPI roll-up,
webhooks).

The rule, explicit: the person's latest launch (or roster sync) into the course they opened Ritmo
from recorded, in ``enrolment.lis_roles``, the LIS *system* role ``Administrator`` (or Canvas's
``SysAdmin``) or the LIS *institution* role ``Administrator``
(``.../lis/v2/institution/person#Administrator``). The launch's platform bounds what they act on.
A course role (Instructor, TeachingAssistant...) never counts, so a coordinator of one course never
reaches another course's data; ``LTI_SYSTEM_ADMIN_COORDINATES`` does not change this rule either way.
"""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.accounts.models import Enrolment
from lti_tool.db import db
from lti_tool.errors import Forbidden
from lti_tool.identity import roles
from lti_tool.identity.context import LaunchContext

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


def require_lms_admin(ctx: LaunchContext, message: str) -> None:
    """403 with ``message`` (what the page is, and who may open it) unless an LMS admin asks."""
    if not is_lms_admin(ctx):
        raise Forbidden(message)
