"""A programme with two active matches and a survey with a schedule, for the schedules' tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.mentoring.nudges.models import Nudge
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole
from lti_tool.mentoring.surveys.models import Audience, ItemType, Survey, SurveyInvitation, SurveyItem
from lti_tool.notifications.models import Notification
from tests.mentoring.conversations.factories import World


def add_survey(world: World, schedule: dict[str, Any], audience: Audience = Audience.EVERYONE) -> Survey:
    """A one-question survey as the builder stores it, with ``schedule`` as the schedule form saves it."""
    survey = Survey(
        programme_id=world.programme.id,
        title_en="How is it going?",
        title_it="Come va?",
        audience=audience,
        schedule=schedule,
    )
    db.session.add(survey)
    db.session.flush()
    db.session.add(
        SurveyItem(
            survey_id=survey.id,
            position=1,
            type=ItemType.LIKERT,
            text_en="My mentoring relationship is useful.",
            text_it="La mia relazione di mentoring è utile.",
            scale={"points": 5, "min_label_en": "Disagree", "max_label_en": "Agree"},
        )
    )
    db.session.commit()
    return survey


def participant(world: World, user: User) -> Participant:
    return db.session.execute(
        sa.select(Participant).where(
            Participant.programme_id == world.programme.id, Participant.user_id == user.id
        )
    ).scalar_one()


def add_person(world: World, sub: str, role: ParticipantRole) -> Participant:
    user = User(platform_id=world.platform.id, sub=sub, name=sub.title(), email=f"{sub}@example.org")
    db.session.add(user)
    db.session.flush()
    person = Participant(programme_id=world.programme.id, user_id=user.id, role=role)
    db.session.add(person)
    db.session.commit()
    return person


def invited(survey: Survey, occasion: str | None = None) -> list[tuple[int, str]]:
    """(user id, occasion) of every invitation to ``survey``, sorted."""
    query = sa.select(SurveyInvitation.user_id, SurveyInvitation.occasion).where(
        SurveyInvitation.survey_id == survey.id
    )
    if occasion is not None:
        query = query.where(SurveyInvitation.occasion == occasion)
    return sorted((int(u), str(o)) for u, o in db.session.execute(query).all())


def notifications(kind: str) -> list[Notification]:
    return list(db.session.execute(sa.select(Notification).where(Notification.kind == kind)).scalars())


def nudges(kind: str) -> list[Nudge]:
    return list(db.session.execute(sa.select(Nudge).where(Nudge.kind == kind).order_by(Nudge.id)).scalars())
