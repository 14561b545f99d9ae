"""Hand-checkable cases for the matching engine (no Flask, no database)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from lti_tool.mentoring.matching.engine import (
    MatchingProblem,
    Mode,
    Reason,
    SolveOptions,
    solve,
)
from lti_tool.mentoring.matching.explain import explain, why_not
from lti_tool.mentoring.matching.scoring import (
    Criterion,
    Kind,
    Participants,
    Rule,
    availability_bits,
    tag_matrix,
)

SCALE = Criterion("x", Kind.SCALE, 1.0, label="x")


def scale_problem(mentees: list[float], mentors: list[float], **kw: Any) -> MatchingProblem:
    """Scores are 1 - |difference| / 4: easy to compute by hand."""
    a = Participants(len(mentees), {"x": np.array(mentees, float)})
    b = Participants(len(mentors), {"x": np.array(mentors, float)})
    return MatchingProblem(a, b, (SCALE,), **{"capacity": 1, **kw})


def lang(rows: list[list[int]]) -> Any:
    return tag_matrix(rows, 3)


def test_greedy_trap_known_optimum() -> None:
    # greedy (mentee 0 first) takes A=.875 then B=.375 (1.25); the optimum is 1.5
    problem = scale_problem([2.5, 3.5], [3.0, 1.0])
    result = solve(problem)
    assert result.assignment.tolist() == [1, 0]
    assert result.total_score == pytest.approx(0.625 + 0.875)
    assert [(p.mentee, p.mentor) for p in result.pairs] == [(0, 1), (1, 0)]
    assert result.unmatched == ()
    assert set(result.timings) >= {"prepare", "candidates", "assign", "reasons"}


def test_more_matches_beat_higher_score() -> None:
    # alone, mentee 0 + mentor 0 scores 1.0 > 0.75 of the two-pair solution; matching both wins
    problem = scale_problem([1.0, 2.0], [1.0, 5.0], forbidden_pairs=((1, 1),))
    result = solve(problem)
    assert result.assignment.tolist() == [1, 0]
    assert result.total_score == pytest.approx(0.0 + 0.75)


def test_infeasible_constraint_names_it() -> None:
    crit = (SCALE, Criterion("lang", Kind.LANGUAGES, 0.0, Rule.MUST_SHARE, label="languages"))
    a = Participants(2, {"x": np.ones(2), "lang": lang([[0], [0, 1]])})
    b = Participants(2, {"x": np.ones(2), "lang": lang([[2], [2]])})
    result = solve(MatchingProblem(a, b, crit, capacity=3))
    assert result.matched_count == 0
    assert [u.code for u in result.unmatched] == [Reason.NO_CANDIDATE] * 2
    assert result.unmatched[0].reason == "no mentor shares any of your languages"


def test_constraints_only_fail_together() -> None:
    crit = (
        SCALE,
        Criterion("dept", Kind.CATEGORY, 0.0, Rule.MUST_DIFFER, label="department"),
        Criterion("tz", Kind.TIMEZONE, 0.0, Rule.AT_MOST, limit=3, label="time zone"),
    )
    a = Participants(1, {"x": [1.0], "dept": [0], "tz": [0.0]})
    # mentor 0: other department but far away; mentor 1: close but same department
    b = Participants(2, {"x": [1.0, 1.0], "dept": [1, 0], "tz": [600.0, 60.0]})
    result = solve(MatchingProblem(a, b, crit, capacity=1))
    (u,) = result.unmatched
    assert u.code is Reason.NO_CANDIDATE
    assert u.reason == "no mentor meets all hard constraints together (department, time zone)"


def test_at_most_single_failure_is_named() -> None:
    crit = (SCALE, Criterion("tz", Kind.TIMEZONE, 0.0, Rule.AT_MOST, limit=2, label="time zone"))
    a = Participants(1, {"x": [1.0], "tz": [0.0]})
    b = Participants(1, {"x": [1.0], "tz": [300.0]})
    (u,) = solve(MatchingProblem(a, b, crit, capacity=1)).unmatched
    assert u.reason == "no mentor is within 2 hours (time zone)"


def test_ties_are_deterministic() -> None:
    problem = scale_problem([3.0] * 5, [3.0] * 3, capacity=1)
    first = solve(problem)
    for _ in range(3):
        again = solve(problem)
        assert again.assignment.tolist() == first.assignment.tolist()
    assert first.matched_count == 3
    assert sorted(first.assignment[first.assignment >= 0].tolist()) == [0, 1, 2]
    assert {u.code for u in first.unmatched} == {Reason.FULL}


def test_capacity_zero_exactly_full_and_override() -> None:
    problem = scale_problem([1, 2, 3, 4], [2.0, 3.0, 3.0], capacity=2)
    problem = replace(problem, mentors=replace(problem.mentors, capacity=[-1, 0, 2]))
    result = solve(problem)
    assert result.matched_count == 4
    assert len(result.mentees_of(1)) == 0
    assert len(result.mentees_of(0)) == 2 and len(result.mentees_of(2)) == 2


def test_no_capacity_anywhere() -> None:
    result = solve(scale_problem([1.0, 2.0], [1.0], capacity=0))
    assert [u.code for u in result.unmatched] == [Reason.NO_CAPACITY] * 2


def test_one_to_one_mode_forces_capacity_one() -> None:
    problem = scale_problem([1.0, 2.0, 3.0], [2.0, 2.0], capacity=3, mode=Mode.ONE_TO_ONE)
    result = solve(problem)
    assert result.matched_count == 2
    assert sorted(result.assignment[result.assignment >= 0].tolist()) == [0, 1]
    (u,) = result.unmatched
    assert u.code is Reason.FULL and u.reason == "every suitable mentor is full"
    grouped = solve(replace(problem, mode=Mode.GROUP))
    assert grouped.matched_count == 3


def test_locked_pairs_are_kept_and_others_re_optimised() -> None:
    problem = scale_problem([2.5, 3.5], [3.0, 1.0], locked_pairs=((0, 0),))
    result = solve(problem)
    assert result.assignment.tolist() == [0, 1]
    assert result.locked.tolist() == [True, False]
    assert [p.locked for p in result.pairs] == [True, False]
    assert result.total_score == pytest.approx(0.875 + 0.375)


def test_invalid_locks_are_rejected_with_reason() -> None:
    crit = (SCALE, Criterion("dept", Kind.CATEGORY, 0.0, Rule.MUST_DIFFER, label="department"))
    a = Participants(2, {"x": [1.0, 1.0], "dept": [0, 0]})
    b = Participants(2, {"x": [1.0, 1.0], "dept": [0, 1]})
    problem = MatchingProblem(a, b, crit, capacity=1, locked_pairs=((0, 0), (1, 1), (0, 1)))
    result = solve(problem)
    assert result.rejected_locks == (
        (0, 0, "same department (must differ)"),
        (0, 1, "mentor has no room left"),
    )
    assert result.assignment.tolist() == [-1, 1]
    assert result.unmatched[0].code is Reason.FULL


def test_forbidden_pairs() -> None:
    problem = scale_problem([2.5, 3.5], [3.0, 1.0], forbidden_pairs=((1, 0),))
    result = solve(problem)
    assert result.assignment.tolist() == [0, 1]
    only = solve(scale_problem([1.0], [1.0, 2.0], forbidden_pairs=((0, 0), (0, 1))))
    assert only.unmatched[0].code is Reason.EXCLUDED


def test_blocked_people_pass_through() -> None:
    problem = scale_problem([1.0, 1.0], [1.0, 1.0], capacity=2)
    problem = replace(
        problem,
        mentees=replace(problem.mentees, blocked=[None, "training not completed"]),
        mentors=replace(problem.mentors, blocked=["on leave", None]),
    )
    result = solve(problem)
    assert result.assignment.tolist() == [1, -1]
    assert result.unmatched[0].code is Reason.BLOCKED
    assert result.unmatched[0].reason == "training not completed"


def test_programmes_are_independent() -> None:
    # the same person (mentor 0) mentors in two programmes with separate capacity
    first = scale_problem([1.0, 1.1], [1.0, 5.0], capacity=1)
    second = scale_problem([1.0], [1.0], capacity=1)
    a, b = solve(first), solve(second)
    assert a.assignment[0] == 0 and b.assignment[0] == 0
    assert solve(first).assignment.tolist() == a.assignment.tolist()


def test_timezone_wraps_around_midnight() -> None:
    crit = (Criterion("tz", Kind.TIMEZONE, 1.0, label="time zone"),)
    a = Participants(1, {"tz": [720.0]})  # UTC+12
    b = Participants(1, {"tz": [-660.0]})  # UTC-11: one hour away
    problem = MatchingProblem(a, b, crit)
    assert explain(problem, 0, 0).contributions[0].text == "1 h apart"
    assert solve(problem).scores[0] == pytest.approx(1 - 1 / 12)


def full_profile_problem() -> MatchingProblem:
    skills = ["python", "sql", "design", "writing", "ml"]
    grid_a = np.zeros((1, 7, 24), bool)
    grid_a[0, :6, 18] = True  # Mon-Sat 18:00
    grid_b = np.zeros((2, 7, 24), bool)
    grid_b[0, :, 18] = True
    criteria = (
        Criterion("skills", Kind.TAGS, 3.0, label="skills"),
        Criterion("lang", Kind.LANGUAGES, 0.0, Rule.MUST_SHARE, label="languages"),
        Criterion("tz", Kind.TIMEZONE, 1.0, label="time zone"),
        Criterion("free", Kind.AVAILABILITY, 2.0, label="availability"),
        Criterion("level", Kind.LEVEL, 1.0, label="level"),
        Criterion("dept", Kind.CATEGORY, 0.0, Rule.MUST_DIFFER, label="department"),
    )
    mentees = Participants(
        1,
        {
            "skills": tag_matrix([[0, 1, 2]], 5),
            "lang": lang([[0, 1]]),
            "tz": [60.0],
            "free": availability_bits(grid_a),
            "level": [2.0],
            "dept": [3],
        },
    )
    mentors = Participants(
        2,
        {
            "skills": tag_matrix([[0, 1, 4], [0, 1, 2]], 5),
            "lang": lang([[1], [2]]),
            "tz": [180.0, 60.0],
            "free": availability_bits(grid_b),
            "level": [3.0, 3.0],
            "dept": [1, 3],
        },
    )
    return MatchingProblem(mentees, mentors, criteria, capacity=1, vocabularies={"skills": skills})


def test_explanation_wording_and_numbers() -> None:
    problem = full_profile_problem()
    e = explain(problem, 0, 0)
    texts = {c.key: c.text for c in e.contributions}
    assert texts["skills"] == "shares 2 of the 3 skills you want (python, sql)"
    assert texts["tz"] == "2 h apart"
    assert texts["free"] == "6 hours a week when you are both free"
    assert texts["level"] == "1 level above you"
    assert texts["dept"] == "different department"
    assert texts["lang"] == "shares 1 of your languages"
    assert e.feasible and e.failed == ()
    expected = (3 * 2 / 3 + 1 * (1 - 2 / 12) + 2 * 1.0 + 1 * 1.0) / 7
    assert e.score == pytest.approx(expected, abs=1e-6)
    # biggest contribution first; ties keep the criteria order
    assert e.text.startswith("shares 2 of the 3 skills you want (python, sql); 6 hours a week")
    assert solve(problem).scores[0] == pytest.approx(expected, abs=1e-6)


def test_why_not_names_failed_constraints() -> None:
    problem = full_profile_problem()
    result = solve(problem)
    answer = why_not(problem, result, 0, 1)
    assert answer.code == "constraint"
    assert answer.failed == ("no shared languages", "same department (must differ)")
    assert answer.text == "not possible: no shared languages; same department (must differ)"
    assert why_not(problem, result, 0, 0).code == "matched"


def test_why_not_prices_the_swap_for_the_cohort() -> None:
    problem = scale_problem([2.5, 3.5], [3.0, 1.0])
    result = solve(problem)
    answer = why_not(problem, result, 1, 1)  # mentee 1 with the far mentor
    assert answer.code == "full"
    assert answer.score == pytest.approx(0.375)
    assert answer.chosen_mentor == 0 and answer.chosen_score == pytest.approx(0.875)
    assert answer.cohort_loss == pytest.approx(0.25)
    assert answer.matched_loss == 0
    assert answer.text == (
        "scores 0.38 against 0.88 for the proposed mentor 0; this mentor is full; "
        "forcing it would lower the cohort's total score by 0.25"
    )


def test_why_not_counts_lost_matches() -> None:
    problem = scale_problem([1.0, 3.0], [1.0, 3.0], forbidden_pairs=((1, 0),))
    result = solve(problem)
    assert result.matched_count == 2
    answer = why_not(problem, result, 0, 1)
    assert answer.code == "full"
    assert answer.matched_loss == 1
    assert answer.text.endswith("and leave 1 more mentee unmatched")


def test_criterion_validation() -> None:
    with pytest.raises(ValueError, match="at_most"):
        Criterion("x", Kind.SCALE, 1.0, Rule.AT_MOST)
    with pytest.raises(ValueError, match="weight"):
        Criterion("x", Kind.SCALE, -1.0)
    with pytest.raises(ValueError, match="must_differ"):
        Criterion("x", Kind.TIMEZONE, 0.0, Rule.MUST_DIFFER)


def test_availability_bits_round_trip() -> None:
    grid = np.zeros((2, 7, 24), bool)
    grid[0, 0, 0] = grid[0, 6, 23] = grid[1, 2, 16] = True
    bits = availability_bits(grid)
    assert bits.shape == (2, 3) and bits.dtype == np.uint64
    assert bits[0, 0] == 1 and bits[0, 2] == 1 << (167 - 128)
    assert int(np.bitwise_count(bits).sum()) == 3


def sampled_problem(n: int, seed: int) -> MatchingProblem:
    rng = np.random.default_rng(seed)
    m = n // 4

    def side(size: int) -> Participants:
        return Participants(
            size,
            {
                "skills": tag_matrix(
                    [rng.choice(30, rng.integers(1, 6), replace=False) for _ in range(size)], 30
                ),
                "lang": lang([[0] if rng.random() < 0.8 else [1] for _ in range(size)]),
                "tz": rng.choice([0.0, 60.0, 300.0, -300.0], size),
                "level": rng.integers(1, 6, size).astype(float),
                "dept": rng.integers(0, 4, size),
            },
        )

    criteria = (
        Criterion("skills", Kind.TAGS, 3.0, label="skills"),
        Criterion("lang", Kind.LANGUAGES, 0.0, Rule.MUST_SHARE, label="languages"),
        Criterion("tz", Kind.TIMEZONE, 1.0, Rule.AT_MOST, limit=6, label="time zone"),
        Criterion("level", Kind.LEVEL, 1.0, label="level"),
        Criterion("dept", Kind.CATEGORY, 0.0, Rule.MUST_DIFFER, label="department"),
    )
    return MatchingProblem(side(n), side(m), criteria, capacity=5)


def test_sampled_candidates_respect_constraints_and_capacity() -> None:
    problem = sampled_problem(400, 3)
    options = SolveOptions(k=3, pool=24, random_fill=4, complete_pairs=0, chunk_cells=500)
    result = solve(problem, options)
    model = problem.model()
    i = np.flatnonzero(result.assignment >= 0)
    _, ok = model.evaluate(i, result.assignment[i])
    assert ok.all()
    assert np.bincount(result.assignment[i], minlength=problem.mentors.size).max() <= 5
    exact = solve(problem)  # small enough for complete candidates
    assert result.matched_count == exact.matched_count
    assert result.total_score <= exact.total_score + 1e-6
    assert result.total_score >= 0.97 * exact.total_score
    assert solve(problem, options).assignment.tolist() == result.assignment.tolist()
