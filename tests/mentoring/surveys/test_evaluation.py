"""Before/after evaluation from answers given through the real services: the paired difference,
its interval and effect size by role and cohort, mentors against mentees, the privacy rule, and
low relationship quality reaching the attention list and the pair's health."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from lti_tool.db import db, utcnow
from lti_tool.identity.session import issue_token
from lti_tool.mentoring.attention.registry import gather
from lti_tool.mentoring.rhythm.health import HealthState, pair_health
from lti_tool.mentoring.surveys import evaluation, invitations, readings, statistics
from lti_tool.mentoring.surveys.relationship_quality import NAME, SIGNAL, notice, threshold
from tests.mentoring.conversations.factories import World, make_world
from tests.mentoring.matching import states
from tests.mentoring.surveys.evaluation_world import Pair, answer, before_after, instrument, make_pairs


@pytest.fixture
def world(app) -> World:
    return make_world()


def scale(result: evaluation.Evaluation, survey_id: int, key: str) -> evaluation.Scale:
    return next(s for s in result.scales if s.survey_id == survey_id and s.key == key)


def group(found: evaluation.Scale, kind: str, key: str = "") -> evaluation.Group:
    return next(g for g in found.groups if g.kind == kind and g.key == key)


CAREER_BEFORE = [2, 3, 2, 1, 3, 2]
CAREER_AFTER = [3, 4, 4, 2, 3, 4]


def test_before_and_after_of_the_same_people(world: World) -> None:
    pairs = make_pairs(world, 7)
    survey = instrument(world, "mentoring_functions")
    for pair, before, after in zip(pairs, CAREER_BEFORE, CAREER_AFTER, strict=False):
        before_after(
            world,
            survey,
            pair.mentee,
            {"career": before, "psychosocial": 3, "role_model": 4},
            {"career": after, "psychosocial": 3, "role_model": 5},
            match=pair.match,
        )
    # The seventh mentee answered only the baseline: not a pair of answers.
    answer(world, survey, pairs[6].mentee, "baseline", {"career": 1, "psychosocial": 1, "role_model": 1})

    result = evaluation.evaluate(world.programme)
    career = scale(result, survey.id, "career")
    assert career.label == "Career support" and career.points == 5
    overall = career.overall
    expected = statistics.paired([float(v) for v in CAREER_BEFORE], [float(v) for v in CAREER_AFTER])
    assert overall.n == 6 and overall.result == expected
    assert overall.result.mean_diff == pytest.approx(7 / 6)
    assert group(career, "role", "mentee").result == expected
    # Nobody changed on psychosocial support: a difference of zero with no spread.
    still = scale(result, survey.id, "psychosocial").overall.result
    assert still is not None and still.mean_diff == 0 and still.d_z is None
    # The instrument's total is evaluated too.
    assert scale(result, survey.id, "total").overall.n == 6

    text = readings.reading(career, overall, result.min_group)
    low, high = f"{expected.ci_low:.1f}", f"{expected.ci_high:.1f}"
    assert text.startswith(
        f"Everyone: Career support rose by 1.2 points on 5 (95% CI {low} to {high}, n = 6)."
    ), text
    assert "unlikely to be chance alone" in text
    with force_locale("it"):
        italian = readings.reading(
            scale(evaluation.evaluate(world.programme), survey.id, "career"), overall, 5
        )
        assert "1,2" in italian and "Supporto alla carriera" in italian


def test_the_after_occasion_can_be_chosen(world: World) -> None:
    pairs = make_pairs(world, 5)
    survey = instrument(world, "reaction")
    schedule = dict(survey.schedule or {})
    for i, pair in enumerate(pairs):
        before_after(world, survey, pair.mentee, {"reaction": 2}, {"reaction": 3}, match=pair.match)
        at = utcnow() - timedelta(days=5)
        answer(world, survey, pair.mentee, "programme_end", {"reaction": 5 if i else 4}, at=at)
    assert survey.schedule == schedule
    latest = scale(evaluation.evaluate(world.programme), survey.id, "reaction").overall.result
    closing = scale(evaluation.evaluate(world.programme, "closing"), survey.id, "reaction").overall.result
    assert latest is not None and latest.mean_after == pytest.approx(4.8)
    assert closing is not None and closing.mean_after == 3.0
    with pytest.raises(ValueError):
        evaluation.evaluate(world.programme, "pulse")


def test_small_groups_are_hidden_and_cannot_be_worked_out_from_the_others(world: World) -> None:
    pairs = make_pairs(world, 7)
    survey = instrument(world, "reaction")  # asked of mentors and mentees
    for pair in pairs:
        before_after(world, survey, pair.mentee, {"reaction": 2}, {"reaction": 4}, match=pair.match)
    for pair in pairs[:2]:
        before_after(world, survey, pair.mentor, {"reaction": 3}, {"reaction": 3}, match=pair.match)
    result = evaluation.evaluate(world.programme)
    assert result.min_group == 5
    found = scale(result, survey.id, "reaction")
    assert found.overall.n == 9 and found.overall.result is not None
    mentors, mentees = group(found, "role", "mentor"), group(found, "role", "mentee")
    assert mentors.result is None and mentors.hidden == "small"
    # Shown, the mentees' 7 and everyone's 9 would give the 2 mentors away: hidden as well.
    assert mentees.result is None and mentees.hidden == "complement"
    assert readings.reading(found, mentors, 5) == "Fewer than 5: hidden."
    assert "cannot be worked out" in readings.reading(found, mentees, 5)
    # The comparison of mentors and mentees needs both groups at the minimum.
    [comparison] = [c for c in result.comparisons if c.label == found.label]
    assert comparison.result is None and comparison.hidden == "small"

    # A programme that lowers the minimum to 3 (never below) sees 7 and 3.
    before_after(world, survey, pairs[2].mentor, {"reaction": 3}, {"reaction": 4}, match=pairs[2].match)
    world.programme.settings = {**(world.programme.settings or {}), "survey_min_group": 2}
    db.session.commit()
    result = evaluation.evaluate(world.programme)
    assert result.min_group == 3
    found = scale(result, survey.id, "reaction")
    assert group(found, "role", "mentor").n == 3 and group(found, "role", "mentor").result is not None
    assert group(found, "role", "mentee").result is not None


def test_mentors_and_mentees_are_compared_on_the_two_sides_of_one_instrument(world: World) -> None:
    pairs = make_pairs(world, 6)
    for_mentees = instrument(world, "relationship_quality_mentee")
    for_mentors = instrument(world, "relationship_quality_mentor")
    mentee_rise = [1, 2, 1, 2, 1, 3]
    mentor_rise = [0, 1, 0, 0, 1, 0]
    for pair, up_mentee, up_mentor in zip(pairs, mentee_rise, mentor_rise, strict=True):
        before_after(
            world,
            for_mentees,
            pair.mentee,
            {"quality": 2, "progress": 2},
            {"quality": 2 + up_mentee, "progress": 3},
            match=pair.match,
        )
        before_after(
            world,
            for_mentors,
            pair.mentor,
            {"quality": 3, "learning": 3},
            {"quality": 3 + up_mentor, "learning": 3},
            match=pair.match,
        )
    result = evaluation.evaluate(world.programme)
    quality = [c for c in result.comparisons if c.label == "Relationship quality"]
    assert len(quality) == 1
    [comparison] = quality
    assert comparison.n_mentors == 6 and comparison.n_mentees == 6
    expected = statistics.welch([float(v) for v in mentor_rise], [float(v) for v in mentee_rise])
    assert comparison.result == expected
    assert comparison.title == "Relationship quality"


def test_cohorts_are_the_month_each_persons_first_match_started(world: World) -> None:
    early, late = make_pairs(world, 5, "early"), make_pairs(world, 5, "late")
    for pair in early:  # matched in January 2026 (Rome time)
        pair.match.started_at = pair.match.started_at.replace(year=2026, month=1, day=15, hour=12)
    db.session.commit()
    survey = instrument(world, "reaction")
    for pair in early:
        before_after(world, survey, pair.mentee, {"reaction": 2}, {"reaction": 3}, match=pair.match)
    for pair in late:
        before_after(world, survey, pair.mentee, {"reaction": 3}, {"reaction": 3}, match=pair.match)
    found = scale(evaluation.evaluate(world.programme), survey.id, "reaction")
    cohorts = [g for g in found.groups if g.kind == "cohort"]
    assert [g.key for g in cohorts] == ["2026-01", late[0].match.started_at.strftime("%Y-%m")]
    assert cohorts[0].label == "Matched in January 2026"
    assert cohorts[0].result is not None and cohorts[0].result.mean_diff == 1.0
    assert cohorts[1].result is not None and cohorts[1].result.mean_diff == 0.0


def test_anonymous_surveys_are_evaluated_in_aggregate_only(world: World) -> None:
    pairs = make_pairs(world, 5)
    survey = instrument(world, "relationship_quality_mentee", anonymous=True)
    for pair in pairs:
        before_after(
            world,
            survey,
            pair.mentee,
            {"quality": 3, "progress": 3},
            {"quality": 1, "progress": 1},
            match=pair.match,
        )
    found = scale(evaluation.evaluate(world.programme), survey.id, "quality")
    assert found.anonymous and found.overall.n == 5
    # Low answers to an anonymous survey never name a pair: no attention item, no health signal.
    assert notice(survey) is None
    assert [i for i in gather(world.programme).items if i.source == NAME] == []
    health = pair_health(pairs[0].match.id, utcnow())
    assert health is not None and SIGNAL not in [r.code for r in health.signals]


def low_pair(world: World) -> tuple[Pair, object]:
    [pair, _other] = make_pairs(world, 2)
    survey = instrument(world, "relationship_quality_mentee")
    answer(world, survey, pair.mentee, "pulse:1:1", {"quality": 2, "progress": 2}, match=pair.match)
    answer(world, survey, _other.mentee, "pulse:2:1", {"quality": 4, "progress": 4}, match=_other.match)
    return pair, survey


def test_low_relationship_quality_reaches_the_attention_list_and_the_pairs_health(world: World) -> None:
    pair, survey = low_pair(world)
    assert notice(survey) is not None and threshold(5) == 2.5 and threshold(7) == 3.25
    items = [i for i in gather(world.programme).items if i.source == NAME]
    assert [i.match_id for i in items] == [pair.match.id]
    assert "Evmentor0" in items[0].title and "Evmentee0" in items[0].title
    assert items[0].reason == "The mentee's latest relationship-quality answers score 2.0 on 5."
    assert {a.url for a in items[0].actions} == {
        f"/matches/{pair.match.id}/space",
        f"/matches/{pair.match.id}/rhythm",
    }
    health = pair_health(pair.match.id, utcnow())
    assert health is not None and health.state is not HealthState.ON_TRACK
    assert "The mentee's latest relationship-quality answers score 2.0 on 5." in health.reasons


def test_the_attention_page_shows_the_pair_with_its_links(client, world: World) -> None:
    pair, _survey = low_pair(world)
    response = client.get(
        f"/programmes/{world.programme.id}/attention",
        headers={**world.headers(world.coordinator), "Accept": "text/html"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Low relationship quality: Evmentor0, Evmentee0" in page
    assert f'href="/matches/{pair.match.id}/space"' in page


def test_a_better_latest_answer_takes_the_pair_off_the_list(world: World) -> None:
    pair, survey = low_pair(world)
    answer(
        world,
        survey,
        pair.mentee,
        "pulse:1:2",
        {"quality": 4, "progress": 3},
        match=pair.match,
        at=utcnow() + timedelta(minutes=30),
    )
    assert [i for i in gather(world.programme).items if i.source == NAME] == []
    health = pair_health(pair.match.id, utcnow())
    assert health is not None and SIGNAL not in [r.code for r in health.signals]


def test_an_archived_survey_no_longer_flags_pairs(world: World) -> None:
    _pair, survey = low_pair(world)
    survey.archived_at = utcnow()
    db.session.commit()
    assert [i for i in gather(world.programme).items if i.source == NAME] == []


def test_respondents_are_told_when_low_scores_are_shared(client, world: World) -> None:
    [pair] = make_pairs(world, 1)
    survey = instrument(world, "relationship_quality_mentee")
    invitation = invitations.invite(world.programme, survey, pair.mentee, "baseline", utcnow(), now=utcnow())
    assert invitation is not None
    db.session.commit()
    token = issue_token(states.context(world.programme, pair.mentee.user_id))

    def page() -> str:
        response = client.get(
            f"/surveys/{survey.id}/answer?invitation={invitation.id}",
            headers={"Authorization": f"Bearer {token}", "Accept": "text/html"},
        )
        assert response.status_code == 200
        return response.get_data(as_text=True)

    said = page()
    assert "data-shared-low-scores" in said and "coordinators will see that your pair" in said
    survey.anonymous = True  # anonymous: low answers stay in the aggregates, and nothing is said
    db.session.commit()
    assert "data-shared-low-scores" not in page()
