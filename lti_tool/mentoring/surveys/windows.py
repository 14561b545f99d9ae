"""A survey's window closing: ``survey.closed`` once per survey, occasion and match.

A window is the invitations of one survey on one occasion (and match, for the occasions about one):
it closes when the last of them closes. The hourly run (``occasions.run``) looks at windows that
closed within :data:`LOOKBACK`; an audit record ``survey.closed`` both records the fact and marks
the window as announced, so a run repeated, late or on two workers announces it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from lti_tool import audit
from lti_tool.audit import AuditEvent
from lti_tool.db import db
from lti_tool.events import DomainEvent, emit
from lti_tool.mentoring.surveys.models import Survey, SurveyInvitation

EVENT = "survey.closed"
#: Windows that closed longer ago than this are history, not news (a new installation's past).
LOOKBACK = timedelta(days=7)


def _subject(survey_id: int, occasion: str, match_id: int | None) -> str:
    return f"{survey_id}|{occasion}|{match_id or ''}"[:64]


def announce_closed(now: datetime) -> int:
    """Emit ``survey.closed`` for every window closed by ``now`` and not announced yet; the
    caller commits. Returns how many."""
    closes = sa.func.max(SurveyInvitation.closes_at)
    windows = db.session.execute(
        sa.select(Survey.programme_id, SurveyInvitation.survey_id, SurveyInvitation.occasion,
                  SurveyInvitation.match_id, closes)
        .join(Survey, Survey.id == SurveyInvitation.survey_id)
        .group_by(Survey.programme_id, SurveyInvitation.survey_id, SurveyInvitation.occasion,
                  SurveyInvitation.match_id)
        .having(closes <= now, closes > now - LOOKBACK)
    ).all()
    if not windows:
        return 0
    announced = set(db.session.execute(
        sa.select(AuditEvent.subject_id).where(AuditEvent.subject_type == "survey_window",
                                               AuditEvent.action == EVENT)
    ).scalars())
    count = 0
    for programme_id, survey_id, occasion, match_id, closed_at in windows:
        subject = _subject(survey_id, occasion, match_id)
        if subject in announced:
            continue
        audit.record(EVENT, "survey_window", subject)
        emit(DomainEvent(EVENT, programme_id, match_id=match_id, at=closed_at,
                         data={"survey_id": survey_id, "occasion": occasion}))
        count += 1
    return count
