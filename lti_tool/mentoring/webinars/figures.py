"""Training's KPI figure: webinar registrations by status, and attendance (:mod:`..kpis.figures`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.kpis.figures import count_where
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.webinars.models import RegistrationStatus, Webinar, WebinarRegistration


def webinars(programme: Programme, now: datetime) -> dict[str, int]:
    r = WebinarRegistration
    row = db.session.execute(
        sa.select(
            count_where(r.status == RegistrationStatus.REGISTERED),
            count_where(r.status == RegistrationStatus.WAITLISTED),
            count_where(r.status == RegistrationStatus.CANCELLED),
            count_where(r.attended_at.is_not(None)),
        )
        .join(Webinar, Webinar.id == r.webinar_id)
        .where(Webinar.programme_id == programme.id)
    ).one()
    return {"registered": row[0], "waitlisted": row[1], "cancelled": row[2], "attended": row[3]}
