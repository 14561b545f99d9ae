"""The profiles' KPI figure: who has started their questionnaire (:mod:`..kpis.figures`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.profiles.models import Answer
from lti_tool.mentoring.programmes.models import Participant, Programme


def profiles_started(programme: Programme, now: datetime) -> int:
    """Participants who answered at least one question of the questionnaire."""
    answered = sa.exists().where(Answer.participant_id == Participant.id)
    return db.session.execute(
        sa.select(sa.func.count()).where(Participant.programme_id == programme.id, answered)
    ).scalar_one()
