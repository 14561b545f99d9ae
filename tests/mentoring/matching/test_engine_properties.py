"""Property tests: validity, maximum cardinality and exact optimum on small instances."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from lti_tool.mentoring.matching.engine import MatchingProblem, MatchingResult, Mode, SolveOptions, solve
from lti_tool.mentoring.matching.scoring import Criterion, Kind, Participants, Rule, tag_matrix

CRITERIA = (
    Criterion("skills", Kind.TAGS, 3.0, label="skills"),
    Criterion("lang", Kind.LANGUAGES, 0.0, Rule.MUST_SHARE, label="languages"),
    Criterion("tz", Kind.TIMEZONE, 1.0, Rule.AT_MOST, limit=5, label="time zone"),
    Criterion("level", Kind.LEVEL, 1.0, Rule.AT_MOST, limit=3, label="level"),
    Criterion("dept", Kind.CATEGORY, 0.0, Rule.MUST_DIFFER, label="department"),
    Criterion("pace", Kind.SCALE, 0.5, label="pace"),
)


@st.composite
def problems(draw: st.DrawFn) -> MatchingProblem:
    n = draw(st.integers(1, 7))
    m = draw(st.integers(1, 4))

    def side(size: int) -> Participants:
        sets = st.lists(st.integers(0, 5), max_size=4)
        return Participants(
            size,
            {
                "skills": tag_matrix(draw(st.lists(sets, min_size=size, max_size=size)), 6),
                "lang": tag_matrix(
                    draw(
                        st.lists(
                            st.lists(st.integers(0, 2), min_size=1, max_size=2), min_size=size, max_size=size
                        )
                    ),
                    3,
                ),
                "tz": np.array(
                    draw(
                        st.lists(st.sampled_from([-600, -300, 0, 60, 330, 540]), min_size=size, max_size=size)
                    ),
                    float,
                ),
                "level": np.array(draw(st.lists(st.integers(1, 6), min_size=size, max_size=size)), float),
                "dept": np.array(draw(st.lists(st.integers(-1, 2), min_size=size, max_size=size))),
                "pace": np.array(draw(st.lists(st.integers(1, 5), min_size=size, max_size=size)), float),
            },
        )

    mentors = side(m)
    mentors = Participants(
        m, mentors.columns, capacity=draw(st.lists(st.integers(-1, 3), min_size=m, max_size=m))
    )
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, m - 1))
    return MatchingProblem(
        side(n),
        mentors,
        CRITERIA,
        capacity=draw(st.integers(0, 3)),
        mode=draw(st.sampled_from(list(Mode))),
        forbidden_pairs=tuple(draw(st.lists(pairs, max_size=3))),
    )


def feasibility(problem: MatchingProblem) -> tuple[np.ndarray, np.ndarray]:
    """Scores and feasibility of every pair, forbidden pairs excluded."""
    model = problem.model()
    n, m = problem.mentees.size, problem.mentors.size
    score, ok = model.evaluate(np.arange(n)[:, None], np.arange(m)[None, :])
    for i, j in problem.forbidden_pairs:
        ok[i, j] = False
    return score.astype(np.float64), ok


def exact(problem: MatchingProblem) -> tuple[int, float]:
    """Lexicographic optimum (matches, then score) by linear_sum_assignment over mentor slots."""
    score, ok = feasibility(problem)
    slots = np.repeat(np.arange(problem.mentors.size), problem.capacities())
    if len(slots) == 0:
        return 0, 0.0
    big = problem.mentees.size + 1.0
    gain = np.where(ok, big + score, 0.0)[:, slots]
    rows, cols = linear_sum_assignment(gain, maximize=True)
    hit = ok[rows, slots[cols]]
    return int(hit.sum()), float(score[rows[hit], slots[cols[hit]]].sum())


def greedy(problem: MatchingProblem) -> tuple[int, float]:
    """Each mentee in order takes its best feasible mentor with room."""
    score, ok = feasibility(problem)
    room = problem.capacities().copy()
    matched, total = 0, 0.0
    for i in range(problem.mentees.size):
        options = [j for j in np.argsort(-score[i], kind="stable") if ok[i, j] and room[j] > 0]
        if options:
            room[options[0]] -= 1
            matched += 1
            total += score[i, options[0]]
    return matched, total


def assert_valid(problem: MatchingProblem, result: MatchingResult) -> None:
    score, ok = feasibility(problem)
    i = np.flatnonzero(result.assignment >= 0)
    j = result.assignment[i]
    assert ok[i, j].all(), "hard constraint or forbidden pair violated"
    used = np.bincount(j, minlength=problem.mentors.size)
    assert (used <= problem.capacities()).all(), "capacity exceeded"
    np.testing.assert_allclose(result.scores[i], score[i, j], atol=1e-6)
    unmatched = {u.mentee for u in result.unmatched}
    assert unmatched == set(np.flatnonzero(result.assignment < 0).tolist())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_optimal_on_small_instances(problem: MatchingProblem) -> None:
    result = solve(problem)
    assert_valid(problem, result)
    best_matched, best_total = exact(problem)
    assert result.matched_count == best_matched
    assert abs(result.total_score - best_total) <= 1e-6
    g_matched, g_total = greedy(problem)
    assert (result.matched_count, result.total_score + 1e-9) >= (g_matched, g_total)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(1, 3), st.integers(1, 5))
def test_sampled_candidates_stay_valid(problem: MatchingProblem, k: int, pool: int) -> None:
    options = SolveOptions(k=k, pool=pool, random_fill=min(pool - 1, 1), complete_pairs=0, chunk_cells=7)
    result = solve(problem, options)
    assert_valid(problem, result)
    best_matched, best_total = exact(problem)
    assert result.matched_count <= best_matched
    assert result.total_score <= best_total + 1e-6
    assert solve(problem, options).assignment.tolist() == result.assignment.tolist()


@settings(max_examples=40, deadline=None)
@given(problems(), st.data())
def test_locked_pairs_are_honoured(problem: MatchingProblem, data: st.DataObject) -> None:
    lock = data.draw(
        st.tuples(st.integers(0, problem.mentees.size - 1), st.integers(0, problem.mentors.size - 1))
    )
    locked = MatchingProblem(
        problem.mentees,
        problem.mentors,
        problem.criteria,
        problem.capacity,
        problem.mode,
        (lock,),
        problem.forbidden_pairs,
    )
    result = solve(locked)
    assert_valid(locked, result)
    if not result.rejected_locks:
        assert result.assignment[lock[0]] == lock[1] and result.locked[lock[0]]
