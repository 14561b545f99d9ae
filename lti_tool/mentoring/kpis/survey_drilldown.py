"""What is behind the survey figures, within the surveys' privacy rule
(:mod:`lti_tool.mentoring.surveys.privacy`): per survey, counts of invitations and answers, and a
score or NPS only when at least ``min_group`` people gave it; who was invited and whether they
answered only for surveys that are not anonymous; never anyone's answers."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from lti_tool.accounts.models import User
from lti_tool.accounts.models import display_name as shown_name
from lti_tool.db import db
from lti_tool.mentoring.kpis import survey_measures
from lti_tool.mentoring.kpis.drilldown import Table
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.surveys import privacy
from lti_tool.mentoring.surveys.models import Survey, SurveyInvitation, SurveyResponse


def _title(survey: Survey) -> str:
    italian = str(get_locale() or "en").startswith("it")
    return (survey.title_it if italian else survey.title_en) or survey.title_en or survey.title_it


def _surveys(programme: Programme) -> list[Survey]:
    return list(
        db.session.execute(
            sa.select(Survey).where(Survey.programme_id == programme.id).order_by(Survey.id)
        ).scalars()
    )


def _hidden(group: int) -> str:
    return str(_l("Fewer than %(n)d people: not shown", n=group))


def response_rate(programme: Programme, now: datetime) -> list[Table]:
    group = privacy.min_group(programme)
    counts = {
        sid: (invited, answered)
        for sid, invited, answered in db.session.execute(survey_measures.invitation_counts(programme.id, now))
    }
    table = Table(
        "surveys",
        _l("Surveys"),
        [_l("Survey"), _l("Anonymous"), _l("Invitations"), _l("Answered"), _l("Response rate (%)")],
    )
    people = Table(
        "people",
        _l("Who was invited (surveys that are not anonymous)"),
        [_l("Name"), _l("Survey"), _l("Occasion"), _l("Answered")],
        note=_l("Anonymous surveys never show who was invited or who answered."),
    )
    shown: list[Survey] = []
    for survey in _surveys(programme):
        invited, answered = counts.get(survey.id, (0, 0))
        if invited >= group:
            rate: object = round(100.0 * answered / invited, 1)
        else:
            rate = _hidden(group)
        table.rows.append(
            [_title(survey), _l("Yes") if survey.anonymous else _l("No"), invited, answered, rate]
        )
        if privacy.show_names(survey):
            shown.append(survey)
    titles = {s.id: _title(s) for s in shown}
    if titles:
        answered_flag = sa.exists().where(
            SurveyResponse.invitation_id == SurveyInvitation.id, SurveyResponse.submitted_at < now
        )
        for row in db.session.execute(
            sa.select(
                User.name,
                User.given_name,
                User.family_name,
                User.sub,
                SurveyInvitation.survey_id,
                SurveyInvitation.occasion,
                answered_flag.label("answered"),
            )
            .join(User, User.id == SurveyInvitation.user_id)
            .where(SurveyInvitation.survey_id.in_(list(titles)), SurveyInvitation.opens_at < now)
            .order_by(SurveyInvitation.survey_id, SurveyInvitation.id)
        ):
            people.rows.append(
                [
                    shown_name(row.name, row.given_name, row.family_name, row.sub),
                    titles[row.survey_id],
                    row.occasion,
                    _l("Yes") if row.answered else _l("No"),
                ]
            )
    return [table, people]


def _ratings_table(programme: Programme, now: datetime, nps: bool) -> list[Table]:
    group = privacy.min_group(programme)
    heading = _l("Net Promoter Score") if nps else _l("Score (0-100)")
    table = Table(
        "surveys",
        _l("Surveys"),
        [_l("Survey"), _l("People"), heading],
        note=_l("Answers are shown only as results of at least %(n)d people.", n=group),
    )
    for survey in _surveys(programme):
        rated = survey_measures.ratings(programme.id, now, survey.id)
        people = rated.nps_people if nps else rated.score_people
        if not people:
            continue
        value = rated.nps if nps else rated.score
        table.rows.append([_title(survey), people, value if value is not None else _hidden(group)])
    return [table]


def survey_score(programme: Programme, now: datetime) -> list[Table]:
    return _ratings_table(programme, now, nps=False)


def nps(programme: Programme, now: datetime) -> list[Table]:
    return _ratings_table(programme, now, nps=True)


DRILLS = {"survey_response_rate": response_rate, "survey_score": survey_score, "nps": nps}
