"""Scoring one response by sub-scale (reverse items, minimum answers, totals) and the NPS over
people, on surveys added from the catalogue and on one built by hand. Expected values are worked
out by hand in the comments."""

from __future__ import annotations

import pytest

from lti_tool.accounts.models import CourseRole
from lti_tool.db import db
from lti_tool.errors import Forbidden
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.programmes.models import ParticipantRole
from lti_tool.mentoring.surveys import answers, scoring
from lti_tool.mentoring.surveys.instruments import adding
from lti_tool.mentoring.surveys.models import Audience, ItemType, Survey, SurveyItem
from tests.mentoring.programmes.factories import World, world


@pytest.fixture
def w(app) -> World:
    return world()


def coordinator(w: World) -> LaunchContext:
    return LaunchContext(
        platform_id=w.platform.id,
        user_id=w.coordinator.id,
        course_id=w.course.id,
        role=CourseRole.COORDINATOR,
    )


def added(w: World, key: str) -> tuple[Survey, dict[str, int]]:
    """The survey instrument ``key`` added to ``w``'s programme, and its item ids by item key."""
    survey = adding.add_instrument(coordinator(w), w.programme, key)
    items = db.session.execute(db.select(SurveyItem).where(SurveyItem.survey_id == survey.id)).scalars()
    return survey, {str(item.key): item.id for item in items}


def by_key(ids: dict[str, int], **answers: float | None) -> dict[int, float | None]:
    return {ids[key]: value for key, value in answers.items()}


def test_reverse_items_count_as_points_plus_one_minus_the_answer(w: World) -> None:
    survey, ids = added(w, "relationship_quality_mentee")
    # quality: 4, 5, reversed 2 -> 4, 3, reversed 5 -> 1: 17 / 5 = 3.4
    # progress: 2, (not answered), 4: 6 / 2 = 3.0 (two answers are its minimum)
    # total: 4 + 5 + 4 + 3 + 1 + 2 + 4 = 23 over 7 answers
    scores = scoring.score(
        survey,
        by_key(
            ids,
            quality_1=4,
            quality_2=5,
            quality_3=2,
            quality_4=3,
            quality_5=5,
            progress_1=2,
            progress_2=None,
            progress_3=4,
        ),
    )
    assert scores == {
        "quality": pytest.approx(3.4),
        "progress": pytest.approx(3.0),
        "total": pytest.approx(23 / 7),
    }


def test_answers_given_to_an_added_instrument_score_from_the_database(w: World) -> None:
    mentee = w.person("Mia Mentee", ParticipantRole.MENTEE)
    mentor = w.person("Max Mentor", ParticipantRole.MENTOR)
    survey, ids = added(w, "relationship_quality_mentee")
    assert answers.open_now(coordinator(w), survey.id) == 1  # the mentee, not the mentor
    as_mentee = LaunchContext(
        platform_id=w.platform.id, user_id=mentee.user_id, course_id=w.course.id, role=CourseRole.PARTICIPANT
    )
    given = {ids["quality_1"]: 2, ids["quality_2"]: 3, ids["quality_3"]: 4, ids["quality_4"]: 4}
    given |= {ids["quality_5"]: 1, ids["progress_1"]: 5, ids["progress_2"]: 4, ids["progress_3"]: 5}
    response = answers.submit_answers(as_mentee, survey, given)
    # quality: 2, 3, reversed 4 -> 2, 4, reversed 1 -> 5: 16 / 5 = 3.2; progress 14 / 3;
    # total (16 + 14) / 8 = 3.75
    stored = answers.item_scores(survey.id)[response.id]
    assert scoring.score(survey, stored) == {
        "quality": pytest.approx(3.2),
        "progress": pytest.approx(14 / 3),
        "total": pytest.approx(3.75),
    }
    as_mentor = LaunchContext(
        platform_id=w.platform.id, user_id=mentor.user_id, course_id=w.course.id, role=CourseRole.PARTICIPANT
    )
    with pytest.raises(Forbidden):
        answers.submit_answers(as_mentor, survey, given)


def test_free_text_and_unknown_items_do_not_count(w: World) -> None:
    survey, ids = added(w, "reaction")
    # reaction: 5, 4, 3 (the fourth unanswered) = 4.0; the free-text item is not scored
    scores = scoring.score(survey, {**by_key(ids, reaction_1=5, reaction_2=4, reaction_3=3), 999_999: 1})
    assert scores == {"reaction": pytest.approx(4.0)}


def test_too_few_answers_give_no_score(w: World) -> None:
    survey, ids = added(w, "relationship_quality_mentee")
    # quality needs 3 answers (2 given), progress 2 (1 given), the total 5 (3 given)
    scores = scoring.score(survey, by_key(ids, quality_1=5, quality_3=1, progress_1=4))
    assert scores == {"quality": None, "progress": None, "total": None}
    # one more quality answer reaches its minimum: 5, reversed 1 -> 5, 2 = 12 / 3 = 4.0
    scores = scoring.score(survey, by_key(ids, quality_1=5, quality_3=1, quality_4=2, progress_1=4))
    assert scores == {"quality": pytest.approx(4.0), "progress": None, "total": None}


def test_every_function_of_the_mentoring_scale_and_its_total(w: World) -> None:
    survey, ids = added(w, "mentoring_functions")
    answers = by_key(
        ids,
        career_1=5,
        career_2=4,
        career_3=3,
        psychosocial_1=2,
        psychosocial_2=2,
        role_model_1=1,
        role_model_2=5,
        role_model_3=3,
    )
    # career 12/3 = 4; psychosocial 4/2 = 2; role model 9/3 = 3; total (12 + 4 + 9) / 8 = 25/8 (needs 6)
    assert scoring.score(survey, answers) == {
        "career": pytest.approx(4.0),
        "psychosocial": pytest.approx(2.0),
        "role_model": pytest.approx(3.0),
        "total": pytest.approx(25 / 8),
    }


def test_the_recommendation_scores_the_answer_itself(w: World) -> None:
    survey, ids = added(w, "recommendation")
    assert scoring.score(survey, by_key(ids, recommend=9)) == {"nps": 9.0}
    assert scoring.score(survey, by_key(ids, recommend=0)) == {"nps": 0.0}
    assert scoring.score(survey, {}) == {"nps": None}


def test_a_hand_built_survey_reverses_on_its_own_scale_and_needs_half_its_items(w: World) -> None:
    survey = Survey(programme_id=w.programme.id, title_en="Own", audience=Audience.EVERYONE)
    db.session.add(survey)
    db.session.flush()
    seven = {"points": 7}
    rows = [
        SurveyItem(survey_id=survey.id, position=1, type=ItemType.LIKERT, scale=seven, subscale="a"),
        SurveyItem(
            survey_id=survey.id, position=2, type=ItemType.LIKERT, scale=seven, subscale="a", reverse=True
        ),
        SurveyItem(survey_id=survey.id, position=3, type=ItemType.LIKERT, scale=seven, subscale="a"),
        SurveyItem(survey_id=survey.id, position=4, type=ItemType.SHORT_TEXT),
    ]
    db.session.add_all(rows)
    db.session.commit()
    one, two, three, _text = (r.id for r in rows)
    # on 1-7, a reversed 2 counts as 6: (6 + 4) / 2 = 5; two of three answers reach half (rounded up)
    assert scoring.score(survey, {two: 2, three: 4}) == {"a": pytest.approx(5.0)}
    assert scoring.score(survey, {one: 7}) == {"a": None}
    # no instrument, no total
    assert "total" not in scoring.score(survey, {one: 1, two: 1, three: 1})


def test_an_answer_off_the_scale_is_an_error_not_a_score(w: World) -> None:
    survey, ids = added(w, "relationship_quality_mentee")
    with pytest.raises(ValueError, match="not on 1-5"):
        scoring.score(survey, by_key(ids, quality_1=6))
    nps_survey, nps_ids = added(w, "recommendation")
    with pytest.raises(ValueError, match="not on 0-10"):
        scoring.score(nps_survey, by_key(nps_ids, recommend=11))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # promoters 10, 9; passives 8, 7; detractors 6, 0: (2 - 2) / 6 = 0
        ([10, 9, 8, 7, 6, 0, None], 0.0),
        # 3 promoters of 4: 75
        ([10, 10, 9, 8], 75.0),
        # 1 promoter, 2 detractors of 3: -33.3
        ([0, 6, 9], -100 / 3),
        ([9, 10], 100.0),
        ([0, 1, 2], -100.0),
        ([7, 8], 0.0),
    ],
)
def test_nps_is_percent_promoters_minus_percent_detractors(values, expected) -> None:
    assert scoring.nps(values) == pytest.approx(expected)


def test_nps_of_nobody_is_none() -> None:
    assert scoring.nps([]) is None
    assert scoring.nps([None, None]) is None
