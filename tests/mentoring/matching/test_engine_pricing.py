"""Dual prices and column generation: arcs the first candidate pools missed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lti_tool.mentoring.matching import solver
from lti_tool.mentoring.matching.candidates import Generator, Settings
from lti_tool.mentoring.matching.engine import MatchingProblem, SolveOptions, solve

from .test_engine import sampled_problem
from .test_engine_properties import assert_valid, problems

#: small pools and lists, so that the first pass misses good pairs
NARROW = SolveOptions(k=3, pool=24, random_fill=4, complete_pairs=0, chunk_cells=500, spare=3, price_pool=24)


def random_arcs(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, m = 60, 15
    mentee = np.repeat(np.arange(n), 6)
    mentor = rng.integers(0, m, len(mentee))
    key = np.unique(mentee * m + mentor)
    mentee, mentor = key // m, key % m
    score = rng.random(len(mentee)).astype(np.float32)
    capacity = rng.integers(1, 6, m)
    return mentee, mentor, score, capacity


@pytest.mark.parametrize("seed", range(5))
def test_prices_certify_an_optimal_assignment(seed: int) -> None:
    mentee, mentor, score, capacity = random_arcs(seed)
    used = solver.assign(mentee, mentor, score, capacity)
    v, u = solver.prices(mentee, mentor, score, used, capacity, int(mentee.max()) + 1)
    reduced = score - v[mentor] - u[mentee]
    tolerance = 2 / solver.cost_resolution(len(mentee))
    assert (v >= 0).all()
    load = np.bincount(mentor[used], minlength=len(capacity))
    assert (v[load < capacity] == 0).all(), "a mentor with room has no price"
    assert np.abs(reduced[used]).max() <= tolerance, "pairs in the solution are priced exactly"
    assert reduced.max() <= tolerance, "no arc could improve an optimal assignment"
    # strong duality: the prices add up to the optimum
    assert u.sum() + (capacity * v).sum() == pytest.approx(float(score[used].sum()), abs=1e-4)


@pytest.mark.parametrize("seed", range(3))
def test_an_arc_priced_out_cannot_help(seed: int) -> None:
    mentee, mentor, score, capacity = random_arcs(seed)
    capacity = capacity * 3  # room for everyone: only scores can change
    used = solver.assign(mentee, mentor, score, capacity)
    assert used.sum() == int(mentee.max()) + 1
    v, u = solver.prices(mentee, mentor, score, used, capacity, int(mentee.max()) + 1)
    # a new arc for every mentee to the cheapest mentor, just below its price
    i = np.flatnonzero(np.bincount(mentee[used], minlength=int(mentee.max()) + 1))
    j = np.full(len(i), int(np.argmin(v)))
    worth = np.clip(u[i] + v[j] - 0.01, 0, 1).astype(np.float32)
    arcs = (np.append(mentee, i), np.append(mentor, j), np.append(score, worth))
    after = solver.assign(*arcs, capacity)
    assert float(arcs[2][after].sum()) == pytest.approx(float(score[used].sum()), abs=1e-4)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("room", [1, 2])
def test_auction_prices_are_close_to_the_duals(seed: int, room: int) -> None:
    mentee, mentor, score, capacity = random_arcs(seed)
    capacity = capacity * room  # scarce and roomy
    n = int(mentee.max()) + 1
    used = solver.assign(mentee, mentor, score, capacity)
    v, _ = solver.prices(mentee, mentor, score, used, capacity, n)
    eps = 0.005
    approx, holds = solver.estimate_prices(mentee, mentor, score, capacity, n, eps)
    assert ((approx >= 0) & (approx <= 1)).all()
    held = holds >= 0
    assert (np.bincount(holds[held], minlength=len(capacity)) <= capacity).all()
    keys = set(zip(mentee.tolist(), mentor.tolist(), strict=True))
    assert all((i, int(holds[i])) in keys for i in np.flatnonzero(held)), "held pairs are arcs"
    assert held.sum() >= 0.95 * used.sum(), "about as many pairs as the optimum"
    if room == 1:  # scarce: a match is worth more than any score, prices reach the cap
        return
    assert np.abs(approx - v).mean() < 0.05
    # each held pair is within eps of its mentee's best at the final prices
    net = score - approx[mentor]
    best = np.full(n, -np.inf)
    np.maximum.at(best, mentee, net)
    mine = held[mentee] & (holds[mentee] == mentor)
    assert (net[mine] >= best[mentee[mine]] - eps - 1e-9).all()


def first_pass_arcs(problem: MatchingProblem, options: SolveOptions) -> set[tuple[int, int]]:
    """Every arc (lists and spares) the first candidate pass produces."""
    cap = problem.capacities()
    settings_ = Settings(
        k=options.k,
        pool=options.pool,
        random_fill=options.random_fill,
        triple_share=options.triple_share,
        complete_pairs=options.complete_pairs,
        chunk_cells=options.chunk_cells,
        spare=options.spare,
    )
    gen = Generator(problem.model(), np.flatnonzero(cap > 0), cap, problem.forbidden_keys(), settings_)
    cands = gen.generate(np.arange(problem.mentees.size))
    return set(zip(cands.mentee.tolist(), cands.mentor.tolist(), strict=True))


def test_pricing_finds_pairs_the_first_pool_missed() -> None:
    problem = sampled_problem(400, 3)
    without = solve(problem, replace(NARROW, price_rounds=0))
    priced = solve(problem, NARROW)
    exact = solve(problem)  # small enough for complete candidates
    assert priced.matched_count == without.matched_count == exact.matched_count
    assert without.total_score + 0.1 < priced.total_score <= exact.total_score + 1e-6
    seen = first_pass_arcs(problem, NARROW)
    new = [(p.mentee, p.mentor) for p in priced.pairs if (p.mentee, p.mentor) not in seen]
    assert new, "the pricing search contributed pairs of the solution"
    assert_valid(problem, priced)


def test_spares_alone_help() -> None:
    problem = sampled_problem(400, 4)
    without = solve(problem, replace(NARROW, price_rounds=0))
    spares = solve(problem, replace(NARROW, price_pool=0))
    assert spares.total_score > without.total_score + 0.05


def test_pricing_is_deterministic_and_thread_independent() -> None:
    problem = sampled_problem(400, 5)
    one = solve(problem, replace(NARROW, threads=1))
    three = solve(problem, replace(NARROW, threads=3))
    again = solve(problem, replace(NARROW, threads=3))
    assert one.assignment.tolist() == three.assignment.tolist() == again.assignment.tolist()
    assert one.candidate_arcs == three.candidate_arcs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(1, 3), st.integers(1, 5))
def test_pricing_never_makes_the_result_worse(problem: MatchingProblem, k: int, pool: int) -> None:
    options = SolveOptions(
        k=k,
        pool=pool,
        random_fill=min(pool - 1, 1),
        complete_pairs=0,
        chunk_cells=7,
        spare=1,
        price_pool=pool,
    )
    without = solve(problem, replace(options, price_rounds=0))
    once = solve(problem, options)  # auction prices only: as many matches, the score may be lower
    assert_valid(problem, once)
    assert once.matched_count >= without.matched_count
    # rounds until no stored arc prices positive: optimal over a superset of the lists
    priced = solve(problem, replace(options, price_rounds=50))
    assert_valid(problem, priced)
    assert priced.matched_count >= without.matched_count
    if priced.matched_count == without.matched_count:
        assert priced.total_score >= without.total_score - 1e-6


def test_pricing_search_serves_the_least_served_mentees_first() -> None:
    problem = sampled_problem(400, 3)
    everyone = solve(problem, replace(NARROW, price_mentees=100, price_rounds=0))
    half = solve(problem, replace(NARROW, price_mentees=50))
    full = solve(problem, replace(NARROW, price_mentees=100))
    assert everyone.candidate_arcs < half.candidate_arcs < full.candidate_arcs
    assert_valid(problem, half)


def test_complete_candidates_need_no_pricing() -> None:
    problem = sampled_problem(400, 3)
    exact = solve(problem)  # small enough for every feasible pair
    narrow = solve(problem, NARROW)
    assert "pricing" not in exact.timings
    assert "pricing" in narrow.timings
