"""The catalogue's survey figures: response rate, mean rating score and NPS, read from the surveys
feature's tables, within its privacy rule (:mod:`lti_tool.mentoring.surveys.privacy`): a score or
an NPS of fewer people than the programme's ``min_group`` is not shown (``None``), nor is a
response rate of fewer invitations. All three are computed from timestamps (a response's
``submitted_at``, an invitation's ``opens_at``), so their trends are back-filled.

Score: the mean of rating answers (Likert items and matrix rows), each put on 0-100 by its scale
(``(value - 1) / (points - 1) * 100``), so scales of 5 and 7 points mix. NPS: the percentage of
0-10 answers of 9 or 10 minus the percentage of 0 to 6, on the programme's NPS items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from lti_tool.cache import cache
from lti_tool.db import db
from lti_tool.mentoring.kpis.figures import count_where
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.surveys import privacy
from lti_tool.mentoring.surveys.models import (
    ItemType,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyItem,
    SurveyResponse,
)

RATINGS = (ItemType.LIKERT, ItemType.MATRIX)
FIGURES = ("survey_response_rate", "survey_score", "nps")
CACHE_SECONDS = 24 * 3600
DEFAULT_POINTS = 5


@dataclass(frozen=True)
class Ratings:
    """One survey's (or the programme's) rating and NPS answers, and how many people gave them."""

    score: float | None
    score_people: int
    nps: float | None
    nps_people: int


def points(item_scale: dict | None) -> int:
    try:
        value = int((item_scale or {}).get("points", DEFAULT_POINTS))
    except (TypeError, ValueError):
        value = DEFAULT_POINTS
    return max(value, 2)


def invitation_counts(programme_id: int, at: datetime) -> sa.Select[*tuple[Any, ...]]:
    """Per survey: invitations opened before ``at``, and those answered before ``at``."""
    answered = sa.exists().where(
        SurveyResponse.invitation_id == SurveyInvitation.id, SurveyResponse.submitted_at < at
    )
    return (
        sa.select(SurveyInvitation.survey_id, sa.func.count(), count_where(answered))
        .join(Survey, Survey.id == SurveyInvitation.survey_id)
        .where(Survey.programme_id == programme_id, SurveyInvitation.opens_at < at)
        .group_by(SurveyInvitation.survey_id)
    )


def response_rate(programme_id: int, at: datetime) -> float | None:
    """Share of the invitations opened before ``at`` that were answered by then."""
    rows = db.session.execute(invitation_counts(programme_id, at)).all()
    invited, answered = sum(r[1] for r in rows), sum(r[2] for r in rows)
    if not invited or invited < privacy.min_group(db.session.get_one(Programme, programme_id)):
        return None
    return round(100.0 * answered / invited, 1)


def ratings(programme_id: int, at: datetime, survey_id: int | None = None) -> Ratings:
    """Score and NPS of the programme's (or one survey's) answers given before ``at``."""
    where = [
        Survey.programme_id == programme_id,
        SurveyResponse.submitted_at < at,
        SurveyItem.type.in_((*RATINGS, ItemType.NPS)),
        SurveyAnswer.value_num.is_not(None),
    ]
    if survey_id is not None:
        where.append(Survey.id == survey_id)
    answers = (
        sa.select(
            SurveyAnswer.item_id,
            SurveyAnswer.value_num,
            SurveyResponse.user_id,
            (SurveyItem.type == ItemType.NPS).label("is_nps"),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyItem, SurveyItem.id == SurveyAnswer.item_id)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(*where)
        .subquery()
    )
    per_item = db.session.execute(
        sa.select(
            answers.c.item_id,
            sa.func.count(),
            sa.func.sum(answers.c.value_num),
            count_where(answers.c.value_num >= 9),
            count_where(answers.c.value_num <= 6),
        ).group_by(answers.c.item_id)
    ).all()
    people: dict[bool, int] = dict(
        db.session.execute(
            sa.select(answers.c.is_nps, sa.func.count(sa.distinct(answers.c.user_id))).group_by(
                answers.c.is_nps
            )
        ).all()
    )
    items = {
        row.id: row
        for row in db.session.execute(
            sa.select(SurveyItem.id, SurveyItem.type, SurveyItem.scale, SurveyItem.reverse).where(
                SurveyItem.id.in_([r[0] for r in per_item])
            )
        )
    }
    rated = total = 0.0
    promoters = detractors = nps_answers = 0
    for item_id, count, summed, high, low in per_item:
        item = items[item_id]
        if item.type is ItemType.NPS:
            promoters, detractors, nps_answers = promoters + high, detractors + low, nps_answers + count
        else:
            top = points(item.scale)
            # A reverse-scored item counts as ``top + 1 - value`` (agreeing is the low end).
            lowest_first = count * (top + 1) - float(summed) if item.reverse else float(summed)
            rated += (lowest_first - count) / (top - 1) * 100
            total += count
    group = privacy.min_group(db.session.get_one(Programme, programme_id))
    score_people, nps_people = int(people.get(False, 0)), int(people.get(True, 0))
    return Ratings(
        score=round(rated / total, 1) if total and score_people >= group else None,
        score_people=score_people,
        nps=round(100.0 * (promoters - detractors) / nps_answers, 1)
        if nps_answers and nps_people >= group
        else None,
        nps_people=nps_people,
    )


def survey_score(programme_id: int, at: datetime) -> float | None:
    return ratings(programme_id, at).score


def nps(programme_id: int, at: datetime) -> float | None:
    return ratings(programme_id, at).nps


def live(programme_id: int, now: datetime) -> dict[str, float | None]:
    """The three survey figures as of ``now``, kept in the shared cache under what they depend on:
    the invitations open so far, the responses (count, last id, last change) and the minimum group.
    Reading that costs two counts; the figures themselves (every answer of the programme, a
    million at the bench's size) are computed again only after one of those changed."""
    programme = db.session.get_one(Programme, programme_id)
    surveys = sa.select(Survey.id).where(Survey.programme_id == programme_id).scalar_subquery()
    opened = db.session.execute(
        sa.select(sa.func.count()).where(
            SurveyInvitation.survey_id.in_(surveys), SurveyInvitation.opens_at < now
        )
    ).scalar_one()
    count, last_id, changed = db.session.execute(
        sa.select(
            sa.func.count(), sa.func.max(SurveyResponse.id), sa.func.max(SurveyResponse.updated_at)
        ).where(SurveyResponse.survey_id.in_(surveys))
    ).one()
    stamp = changed.isoformat() if changed else ""
    key = f"kpis:surveys:{programme_id}:{privacy.min_group(programme)}:{opened}:{count}:{last_id}:{stamp}"
    kept = cache().get(key)
    if kept is not None:
        return {name: kept.get(name) for name in FIGURES}
    rated = ratings(programme_id, now)
    found = {
        "survey_response_rate": response_rate(programme_id, now),
        "survey_score": rated.score,
        "nps": rated.nps,
    }
    cache().set(key, found, CACHE_SECONDS)
    return found
