"""Survey response rate, score and NPS, and their drill-down within the surveys' privacy rule:
nothing below the programme's minimum group, no people for anonymous surveys, never answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lti_tool.db import db, utcnow
from lti_tool.mentoring.kpis import board, catalogue
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole
from tests.mentoring.kpis.survey_world import answered, survey
from tests.mentoring.programmes.factories import World, world
from tests.session_codes import rh


@pytest.fixture
def w(app) -> World:
    return world()


def people(w: World, n: int) -> list[Participant]:
    return [w.person(f"Person {k}", ParticipantRole.MENTEE) for k in range(n)]


def test_response_rate_score_and_nps_of_five_people(w: World) -> None:
    now = utcnow()
    items = survey(w, anonymous=False)
    who = people(w, 6)
    # Ratings 5, 4, 3, 5, 1 -> (4 + 3 + 2 + 4 + 0) / 5 / 4 * 100 = 65. NPS 10, 9, 7, 6, 0:
    # 2 promoters, 2 detractors of 5 -> 0. The sixth person was invited and did not answer.
    for person, rating, nps in zip(who, (5, 4, 3, 5, 1), (10, 9, 7, 6, 0), strict=False):
        answered(w, items, person, now - timedelta(hours=1), rating, nps)
    answered(w, items, who[5], now - timedelta(hours=1), None, None)
    db.session.commit()
    found = catalogue.values(w.programme.id, now)
    assert found["survey_response_rate"] == round(500 / 6, 1)
    assert found["survey_score"] == 65.0
    assert found["nps"] == 0.0
    # As of before any answer: invited but nobody had answered yet; no score.
    before = catalogue.values(w.programme.id, now - timedelta(hours=2))
    assert before["survey_response_rate"] == 0.0
    assert before["survey_score"] is None and before["nps"] is None


def test_a_reverse_scored_item_counts_from_its_other_end(w: World) -> None:
    now = utcnow()
    items = survey(w, anonymous=False)
    items[1].reverse = True  # "I felt judged": agreeing is the low end
    # Ratings 5, 4, 3, 5, 1 read as 1, 2, 3, 1, 5 -> (0 + 1 + 2 + 0 + 4) / 5 / 4 * 100 = 35.
    for person, rating in zip(people(w, 5), (5, 4, 3, 5, 1), strict=True):
        answered(w, items, person, now - timedelta(hours=1), rating, None)
    db.session.commit()
    assert catalogue.values(w.programme.id, now)["survey_score"] == 35.0


def test_nps_counts_promoters_minus_detractors(w: World) -> None:
    now = utcnow()
    items = survey(w, anonymous=True)
    for person, nps in zip(people(w, 5), (10, 10, 9, 8, 3), strict=True):
        answered(w, items, person, now - timedelta(hours=1), None, nps)
    db.session.commit()
    assert catalogue.values(w.programme.id, now)["nps"] == 40.0  # 60% - 20%
    assert catalogue.values(w.programme.id, now)["survey_score"] is None  # nobody rated


def test_below_the_minimum_group_nothing_is_shown(w: World) -> None:
    now = utcnow()
    items = survey(w, anonymous=False)
    for person in people(w, 4):
        answered(w, items, person, now - timedelta(hours=1), 5, 10)
    db.session.commit()
    found = catalogue.values(w.programme.id, now)
    assert found["survey_score"] is None and found["nps"] is None and found["survey_response_rate"] is None
    tables = board.drill(w.programme, "survey_score", now)
    assert tables[0].rows == [["Pulse", 4, "Fewer than 5 people: not shown"]]
    # The programme may lower the group to 3 (never below): then it shows.
    w.programme.settings = {"survey_min_group": 2}
    db.session.commit()
    assert catalogue.values(w.programme.id, now)["survey_score"] == 100.0


def test_drill_down_shows_people_only_for_surveys_that_are_not_anonymous(client, w: World) -> None:
    now = utcnow()
    named, anonymous = survey(w, anonymous=False, title="Named"), survey(w, anonymous=True, title="Secret")
    who = people(w, 5)
    for person in who:
        answered(w, named, person, now - timedelta(hours=1), 4, 9)
        answered(w, anonymous, person, now - timedelta(hours=1), 2, 3)
    db.session.commit()
    rates, invited = board.drill(w.programme, "survey_response_rate", now)
    assert [row[0] for row in rates.rows] == ["Named", "Secret"]
    assert {row[1] for row in invited.rows} == {"Named"}
    assert sorted(row[0] for row in invited.rows) == [f"Person {k}" for k in range(5)]
    scores = board.drill(w.programme, "survey_score", now)
    assert [row for row in scores[0].rows] == [["Named", 5, 75.0], ["Secret", 5, 25.0]]
    nps = board.drill(w.programme, "nps", now)
    assert [row[2] for row in nps[0].rows] == [100.0, -100.0]
    # The page: no person of the anonymous survey, no answer of anyone.
    html = client.get(
        f"/programmes/{w.programme.id}/kpis/survey_score", query_string={"rh": rh(w.token(w.coordinator))}
    ).get_data(as_text=True)
    assert "Person 0" not in html
    html = client.get(
        f"/programmes/{w.programme.id}/kpis/survey_response_rate",
        query_string={"rh": rh(w.token(w.coordinator))},
    ).get_data(as_text=True)
    assert html.count("Person 0") == 1  # once: the named survey's invitation


def test_the_dashboards_survey_figures_follow_each_new_answer_through_their_cache(w: World) -> None:
    now = utcnow()
    items = survey(w, anonymous=True)
    who = people(w, 6)
    for person in who[:5]:
        answered(w, items, person, now - timedelta(hours=1), 5, 10)
    db.session.commit()
    first = catalogue.values(w.programme.id, now, live=True)
    assert (first["survey_score"], first["nps"], first["survey_response_rate"]) == (100.0, 100.0, 100.0)
    answered(w, items, who[5], now - timedelta(minutes=1), 1, 0)  # a sixth answer changes all three
    db.session.commit()
    later = catalogue.values(w.programme.id, now, live=True)
    assert later["survey_score"] == round(500 / 6, 1)
    assert later["nps"] == round(100 * 4 / 6, 1)
    assert later == catalogue.values(w.programme.id, now)
