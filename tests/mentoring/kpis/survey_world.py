"""Survey rows for the KPI tests, written as the surveys feature stores them: one survey with a
5-point rating item and an NPS item, invitations, and responses whose answers are given here."""

from __future__ import annotations

from datetime import datetime, timedelta

from lti_tool.db import db
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole
from lti_tool.mentoring.surveys.models import (
    ItemType,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyItem,
    SurveyResponse,
)
from tests.mentoring.programmes.factories import World


def survey(w: World, *, anonymous: bool, title: str = "Pulse") -> tuple[Survey, SurveyItem, SurveyItem]:
    row = Survey(programme_id=w.programme.id, title_en=title, title_it=title + " IT", anonymous=anonymous)
    db.session.add(row)
    db.session.flush()
    rating = SurveyItem(
        survey_id=row.id, position=0, type=ItemType.LIKERT, text_en="Useful?", scale={"points": 5}
    )
    recommend = SurveyItem(survey_id=row.id, position=1, type=ItemType.NPS, text_en="Recommend?")
    db.session.add_all([rating, recommend])
    db.session.flush()
    return row, rating, recommend


def answered(
    w: World,
    items: tuple[Survey, SurveyItem, SurveyItem],
    who: Participant,
    at: datetime,
    rating: float | None,
    nps: float | None,
) -> SurveyInvitation:
    """``who`` invited a day before ``at``; answers given at ``at`` unless both are ``None`` (no answer)."""
    survey_row, rating_item, nps_item = items
    invitation = SurveyInvitation(
        survey_id=survey_row.id,
        user_id=who.user_id,
        participant_id=who.id,
        occasion="manual",
        opens_at=at - timedelta(days=1),
        closes_at=at + timedelta(days=10),
    )
    db.session.add(invitation)
    db.session.flush()
    if rating is None and nps is None:
        return invitation
    role = "mentor" if who.role is ParticipantRole.MENTOR else "mentee"
    response = SurveyResponse(
        survey_id=survey_row.id,
        invitation_id=invitation.id,
        occasion="manual",
        user_id=who.user_id,
        participant_role=role,
        submitted_at=at,
        updated_at=at,
    )
    db.session.add(response)
    db.session.flush()
    for item, value in ((rating_item, rating), (nps_item, nps)):
        if value is not None:
            db.session.add(SurveyAnswer(response_id=response.id, item_id=item.id, value_num=value))
    db.session.flush()
    return invitation
