"""Matching engine: one programme's mentees and mentors in, optimal pairs out.

Pure computation (numpy, scipy, OR-tools); no Flask, no database.  Usage::

    problem = MatchingProblem(mentees, mentors, criteria, capacity=4)
    result = solve(problem)
    result.pairs, result.unmatched, result.timings

The optimisation is lexicographic: first the number of matched mentees, then
the total score, over the candidate arcs of :mod:`.candidates`; hard
constraints and forbidden pairs are never violated.  Candidate lists miss
some arcs of the true optimum, so the engine prices mentor slots first (an
auction on the candidate lists, much cheaper than a solve), generates
columns (arcs whose score beats the mentor's price plus the mentee's value),
and solves once over the arcs that price close to the best.  Optional
further rounds price the solution exactly (LP duals) and re-solve until no
stored arc could improve it.  Results are deterministic for a given input.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from . import solver
from .candidates import Candidates, Generator, Settings
from .scoring import Criterion, Model, Participants, compile_sides, passes, raw_measure

IntArray = NDArray[np.int64]


class Mode(StrEnum):
    """One mentee per mentor, or groups up to the mentor's capacity."""

    ONE_TO_ONE = "one_to_one"
    GROUP = "group"


class Reason(StrEnum):
    """Why a mentee stays unmatched."""

    BLOCKED = "blocked"  #: a gate upstream (e.g. training) keeps them out
    NO_CAPACITY = "no_capacity"  #: no mentor in the programme has room
    NO_CANDIDATE = "no_candidate"  #: no mentor passes the hard constraints
    EXCLUDED = "excluded"  #: the only suitable mentors are forbidden pairs
    FULL = "full"  #: suitable mentors exist, all taken by better overall matches


@dataclass(frozen=True)
class MatchingProblem:
    """One programme's matching input.

    :param capacity: default mentor capacity (per-mentor values in
        ``mentors.capacity`` override it); forced to 1 in one-to-one mode.
    :param locked_pairs: ``(mentee, mentor)`` pairs fixed before optimising.
    :param forbidden_pairs: ``(mentee, mentor)`` pairs never proposed.
    :param vocabularies: optional names per set/category column, for explanations.
    """

    mentees: Participants
    mentors: Participants
    criteria: Sequence[Criterion]
    capacity: int = 1
    mode: Mode = Mode.GROUP
    locked_pairs: Sequence[tuple[int, int]] = ()
    forbidden_pairs: Sequence[tuple[int, int]] = ()
    vocabularies: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def capacities(self) -> IntArray:
        """Effective capacity per mentor (mode, overrides and training gate applied)."""
        cap = np.full(self.mentors.size, max(self.capacity, 0), np.int64)
        if self.mentors.capacity is not None:
            own = np.asarray(self.mentors.capacity, np.int64)
            cap = np.where(own >= 0, own, cap)
        if self.mode is Mode.ONE_TO_ONE:
            cap = np.minimum(cap, 1)
        if self.mentors.blocked is not None:
            cap[[b is not None for b in self.mentors.blocked]] = 0
        return cap

    def model(self) -> Model:
        """Compile the criteria and columns for the kernels."""
        criteria = tuple(self.criteria)
        mentees, mentors = compile_sides(self.mentees, self.mentors, criteria)
        return Model(criteria, mentees, mentors)

    def forbidden_keys(self) -> IntArray:
        """Sorted ``mentee * n_mentors + mentor`` keys of forbidden pairs."""
        pairs = np.asarray(self.forbidden_pairs, np.int64).reshape(-1, 2)
        return np.unique(pairs[:, 0] * self.mentors.size + pairs[:, 1])


@dataclass(frozen=True)
class SolveOptions:
    """Speed/quality knobs; defaults aim at the design budget (``bench/matching.py``).

    :param k: candidates kept per mentee (x1.5 / supply ratio where capacity is scarce, up to 3k).
    :param pool: mentors scored per mentee before keeping the top ``k``.
    :param random_fill: pool slots kept for the block's mentors nearest in time zone/level.
    :param triple_share: percent of the tag slots mentors sharing three wanted tags may take.
    :param complete_pairs: below this many mentee x mentor pairs every feasible
        pair becomes a candidate (exact optimum).
    :param spare: arcs per mentee kept beyond ``k``, offered to the solver
        only when their reduced score says they help.
    :param price_pool: pool width of the pricing search (0 = no search).
    :param price_share: percent of mentors, cheapest first, the pricing search looks at.
    :param price_mentees: percent of mentees, least well served first (lowest value
        ``u``), the pricing search looks for.
    :param price_rounds: solves after pricing: the first over arcs priced by the
        auction, each further one after exact prices of the last (0 = a single
        solve over the candidate lists, no pricing).
    :param price_margin: arcs whose reduced score is below ``-price_margin``
        stay out of a solve (and are checked again before the next one).
    :param price_eps: bid increment of the auction: its prices are within about
        this of market-clearing prices.
    :param threads: threads scoring candidate pools (the result does not depend on it).
    """

    k: int = 12
    pool: int = 1280
    random_fill: int = 64
    triple_share: int = 70
    complete_pairs: int = 1_000_000
    chunk_cells: int = 1_500_000
    spare: int = 12
    price_pool: int = 640
    price_share: int = 40
    price_mentees: int = 100
    price_rounds: int = 1
    price_margin: float = 0.05
    price_eps: float = 0.005
    threads: int = 2


@dataclass(frozen=True)
class MatchedPair:
    """One proposed (or locked) pair."""

    mentee: int
    mentor: int
    score: float
    locked: bool = False


@dataclass(frozen=True)
class Unmatched:
    """A mentee left without a mentor, with a reason code and plain words."""

    mentee: int
    code: Reason
    reason: str


@dataclass
class MatchingResult:
    """Outcome of :func:`solve`.

    :ivar assignment: mentor per mentee (-1 = unmatched).
    :ivar scores: score per mentee's pair (NaN = unmatched).
    :ivar locked: whether the mentee's pair came from ``locked_pairs``.
    :ivar timings: seconds per stage.
    :ivar rejected_locks: ``(mentee, mentor, why)`` for locks that were ignored.
    """

    assignment: IntArray
    scores: NDArray[np.float64]
    locked: NDArray[np.bool_]
    unmatched: tuple[Unmatched, ...]
    timings: dict[str, float]
    rejected_locks: tuple[tuple[int, int, str], ...] = ()
    candidate_arcs: int = 0

    @property
    def pairs(self) -> list[MatchedPair]:
        """Matched pairs ordered by mentee index."""
        idx = np.flatnonzero(self.assignment >= 0)
        return [
            MatchedPair(int(i), int(self.assignment[i]), float(self.scores[i]), bool(self.locked[i]))
            for i in idx
        ]

    @property
    def matched_count(self) -> int:
        """Number of matched mentees."""
        return int(np.count_nonzero(self.assignment >= 0))

    @property
    def total_score(self) -> float:
        """Sum of the scores of all pairs."""
        return float(np.nansum(self.scores))

    def mentees_of(self, mentor: int) -> IntArray:
        """Mentees assigned to ``mentor``."""
        return np.flatnonzero(self.assignment == mentor)


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self._t
        self._t = now


def _check_locks(
    problem: MatchingProblem,
    model: Model,
    capacity: IntArray,
    blocked: NDArray[np.bool_],
    forbidden: IntArray,
) -> tuple[list[tuple[int, int]], list[tuple[int, int, str]]]:
    """Split locks into accepted ones (consuming capacity) and rejected ones with a reason."""
    accepted: list[tuple[int, int]] = []
    rejected: list[tuple[int, int, str]] = []
    seen: set[int] = set()
    n, m = problem.mentees.size, problem.mentors.size
    for i, j in problem.locked_pairs:
        i, j = int(i), int(j)
        why = ""
        if not (0 <= i < n and 0 <= j < m):
            why = "index out of range"
        elif i in seen:
            why = "mentee already locked"
        elif blocked[i]:
            why = "mentee is blocked"
        elif capacity[j] <= 0:
            why = "mentor has no room left"
        elif len(forbidden) and np.isin(i * m + j, forbidden):
            why = "pair is forbidden"
        else:
            failed = [
                c.violation_text()
                for c in model.hard
                if not passes(c, raw_measure(c, model.mentees, model.mentors, i, j))
            ]
            why = "; ".join(failed)
        if why:
            rejected.append((i, j, why))
            continue
        seen.add(i)
        capacity[j] -= 1
        accepted.append((i, j))
    return accepted, rejected


def _diagnose(
    model: Model, mentees: IntArray, mentors: IntArray, forbidden: IntArray, chunk: int
) -> list[tuple[Reason, str]]:
    """Reason for mentees that have no feasible mentor at all."""
    if len(mentors) == 0:
        return [(Reason.NO_CAPACITY, "no mentor has room in this programme")] * len(mentees)
    out: list[tuple[Reason, str]] = []
    step = max(1, chunk // len(mentors))
    for lo in range(0, len(mentees), step):
        rows = mentees[lo : lo + step, None]
        alone = [
            passes(c, raw_measure(c, model.mentees, model.mentors, rows, mentors[None, :]))
            for c in model.hard
        ]
        for r in range(len(rows)):
            dead = [c.failure_text() for c, ok in zip(model.hard, alone, strict=True) if not ok[r].any()]
            if dead:
                out.append((Reason.NO_CANDIDATE, "; ".join(dead)))
                continue
            together = (
                np.logical_and.reduce([ok[r] for ok in alone]) if alone else np.ones(len(mentors), bool)
            )
            allowed = together & ~np.isin(int(rows[r, 0]) * model.mentors.size + mentors, forbidden)
            if allowed.any():  # suitable mentors exist, their room went to locked pairs
                out.append((Reason.FULL, "every suitable mentor is full"))
            elif together.any():
                out.append((Reason.EXCLUDED, "the only suitable mentors are excluded for this mentee"))
            else:
                names = ", ".join(c.name for c in model.hard)
                out.append((Reason.NO_CANDIDATE, f"no mentor meets all hard constraints together ({names})"))
    return out


def solve(problem: MatchingProblem, options: SolveOptions | None = None) -> MatchingResult:
    """Match mentees to mentors: most mentees first, then the highest total score.

    :returns: pairs, unmatched mentees with reasons, and per-stage timings.
    """
    opts = options or SolveOptions()
    clock = _Clock()
    model = problem.model()
    n = problem.mentees.size
    capacity = problem.capacities()
    blocked = np.zeros(n, bool)
    if problem.mentees.blocked is not None:
        blocked = np.array([b is not None for b in problem.mentees.blocked], bool)
    forbidden = problem.forbidden_keys()
    locks, rejected = _check_locks(problem, model, capacity, blocked, forbidden)
    assignment = np.full(n, -1, np.int64)
    is_locked = np.zeros(n, bool)
    for i, j in locks:
        assignment[i], is_locked[i] = j, True
    clock.lap("prepare")

    active = np.flatnonzero(~blocked & ~is_locked)
    open_mentors = np.flatnonzero(capacity > 0)
    settings = Settings(
        k=opts.k,
        pool=opts.pool,
        random_fill=opts.random_fill,
        triple_share=opts.triple_share,
        complete_pairs=opts.complete_pairs,
        chunk_cells=opts.chunk_cells,
        spare=opts.spare,
        price_pool=opts.price_pool,
        threads=opts.threads,
    )
    gen = Generator(model, open_mentors, capacity, forbidden, settings)
    cands = gen.generate(active)
    clock.lap("candidates")

    if opts.price_rounds == 0 or _complete(cands, n):
        used = _assign(cands, cands.primary, capacity)
        clock.lap("assign")
        cands, used, _ = _repair(
            problem, model, cands, used, cands.primary, capacity, assignment, forbidden, settings, clock
        )
    else:
        cands, used = _priced(problem, model, cands, capacity, assignment, forbidden, settings, opts, clock)
    assignment[cands.mentee[used]] = cands.mentor[used]
    scores = np.full(n, np.nan)
    scores[cands.mentee[used]] = cands.score[used]
    if locks:
        li = np.array([i for i, _ in locks])
        lj = np.array([j for _, j in locks])
        scores[li] = model.evaluate(li, lj)[0]

    unmatched = _reasons(problem, model, cands, assignment, blocked, forbidden, opts)
    clock.lap("reasons")
    return MatchingResult(
        assignment, scores, is_locked, tuple(unmatched), clock.timings, tuple(rejected), len(cands.mentee)
    )


def _complete(cands: Candidates, n: int) -> bool:
    """Whether the lists hold every feasible arc of their mentees (one solve is then exact)."""
    count = np.bincount(cands.mentee, minlength=n)
    seen = count > 0
    return bool(cands.primary.all() and (cands.complete[seen] & (count[seen] >= cands.feasible[seen])).all())


def _waiting(cands: Candidates, used: NDArray[np.bool_], assignment: IntArray) -> IntArray:
    """Mentees with a feasible mentor somewhere, left without a pair."""
    matched = np.zeros(len(assignment), bool)
    matched[cands.mentee[used]] = True
    return np.flatnonzero((cands.feasible > 0) & ~matched & (assignment < 0))


def _repair(
    problem: MatchingProblem,
    model: Model,
    cands: Candidates,
    used: NDArray[np.bool_],
    arcs: NDArray[np.bool_],
    capacity: IntArray,
    assignment: IntArray,
    forbidden: IntArray,
    settings: Settings,
    clock: _Clock,
) -> tuple[Candidates, NDArray[np.bool_], NDArray[np.bool_]]:
    """Give unmatched mentees arcs to mentors that still have room, then re-solve.

    Top-K lists can miss a free feasible mentor; adding those arcs and solving
    again (over ``arcs`` plus them) restores a maximum matching whenever a
    direct augmentation exists.

    :returns: the candidates, the used arcs and the arcs solved over.
    """
    waiting = _waiting(cands, used, assignment)
    left = capacity - np.bincount(cands.mentor[used], minlength=len(capacity))
    if len(waiting) == 0 or not (left > 0).any():
        return cands, used, arcs
    extra = Generator(model, np.flatnonzero(left > 0), left, forbidden, settings).scan(waiting, settings.k)
    clock.lap("repair")
    if len(extra.mentee) == 0:
        return cands, used, arcs
    merged = _merge(cands, extra)
    arcs = np.concatenate([arcs, np.ones(len(extra.mentee), bool)])
    used = _assign(merged, arcs, capacity)
    clock.lap("repair")
    return merged, used, arcs


def _merge(cands: Candidates, extra: Candidates) -> Candidates:
    """``cands`` followed by the arcs of ``extra``.

    An arc found twice stays twice: parallel arcs of equal cost change neither
    the optimum nor the prices, and skipping the dedup saves a sort.
    """
    return replace(
        cands,
        mentee=np.concatenate([cands.mentee, extra.mentee]),
        mentor=np.concatenate([cands.mentor, extra.mentor]),
        score=np.concatenate([cands.score, extra.score]),
        primary=np.concatenate([cands.primary, extra.primary]),
    )


def _assign(
    cands: Candidates, arcs: NDArray[np.bool_], capacity: IntArray, units: int | None = None
) -> NDArray[np.bool_]:
    """Solve over the ``arcs`` subset of the candidates; the used mask is over all of them."""
    used = np.zeros(len(cands.mentee), bool)
    sel = np.flatnonzero(arcs)
    used[sel] = solver.assign(cands.mentee[sel], cands.mentor[sel], cands.score[sel], capacity, units)
    return used


def _priced(
    problem: MatchingProblem,
    model: Model,
    cands: Candidates,
    capacity: IntArray,
    assignment: IntArray,
    forbidden: IntArray,
    settings: Settings,
    opts: SolveOptions,
    clock: _Clock,
) -> tuple[Candidates, NDArray[np.bool_]]:
    """Column generation around one solve: price, search, solve, then optional exact rounds.

    Auction prices on the candidate lists say which arcs matter: the pricing
    search adds arcs to the cheaper mentors, and the solve sees every stored
    arc within ``price_margin`` of its mentee's best (most mentees keep a few,
    so it is far smaller than the lists).  Should a mentee with a feasible
    mentor stay unmatched, the lists join the solve and the repair runs, so
    the matching is as large as over the lists alone.  Each further round
    prices the solution exactly, adds the arcs that come within the margin and
    re-solves (the current pairs included: never fewer matches nor, at equal
    count, a lower score); when no stored arc has a positive reduced score the
    result is optimal over every arc generated.
    """
    n = model.mentees.size
    units = solver.cost_resolution(int(cands.primary.sum()))  # one cost grid for every solve and price
    p = np.flatnonzero(cands.primary)
    v, holds = solver.estimate_prices(
        cands.mentee[p], cands.mentor[p], cands.score[p], capacity, n, opts.price_eps
    )
    u = _values(cands, v, n)
    if opts.price_pool > 0:
        cands = _merge(cands, _price_search(model, cands, v, u, capacity, forbidden, settings, opts))
        u = _values(cands, v, n)
    clock.lap("pricing")
    # the auction's own pairs join: the solve matches at least as many mentees as it did
    solved = cands.score - v[cands.mentor] - u[cands.mentee] > -opts.price_margin
    solved |= holds[cands.mentee] == cands.mentor
    used = _assign(cands, solved, capacity, units)
    clock.lap("assign")
    if len(_waiting(cands, used, assignment)):  # maybe more could be matched over the lists
        solved |= cands.primary
        used = _assign(cands, solved, capacity, units)
        clock.lap("assign")
        cands, used, solved = _repair(
            problem, model, cands, used, solved, capacity, assignment, forbidden, settings, clock
        )
    return cands, _exact_rounds(cands, solved, used, capacity, units, opts, clock)


def _exact_rounds(
    cands: Candidates,
    solved: NDArray[np.bool_],
    used: NDArray[np.bool_],
    capacity: IntArray,
    units: int,
    opts: SolveOptions,
    clock: _Clock,
) -> NDArray[np.bool_]:
    """Up to ``price_rounds - 1`` re-solves, each after exact prices of the last solve over ``solved``."""
    n = len(cands.feasible)
    for _ in range(opts.price_rounds - 1):
        sel = np.flatnonzero(solved)
        v, u = solver.prices(
            cands.mentee[sel], cands.mentor[sel], cands.score[sel], used[sel], capacity, n, units
        )
        reduced = cands.score - v[cands.mentor] - u[cands.mentee]
        clock.lap("pricing")
        if not (reduced[~solved] > 2 / units).any():
            break
        solved |= reduced > -opts.price_margin  # only grows: the rounds end
        used = _resolve(cands, solved, used, capacity, units)
        clock.lap("assign")
    return used


def _values(cands: Candidates, v: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    """Best ``score - price`` over each mentee's stored arcs (0 without arcs)."""
    u = np.full(n, -np.inf)
    np.maximum.at(u, cands.mentee, cands.score - v[cands.mentor])
    return np.where(np.isfinite(u), u, 0.0)


def _price_search(
    model: Model,
    cands: Candidates,
    v: NDArray[np.float64],
    u: NDArray[np.float64],
    capacity: IntArray,
    forbidden: IntArray,
    settings: Settings,
    opts: SolveOptions,
) -> Candidates:
    """New arcs to the cheaper mentors that come within ``price_margin`` of improving."""
    open_mentors = np.flatnonzero(capacity > 0)
    if len(open_mentors) == 0 or len(cands.mentee) == 0:
        return replace(
            cands,
            mentee=cands.mentee[:0],
            mentor=cands.mentor[:0],
            score=cands.score[:0],
            primary=cands.primary[:0],
        )
    cheap = open_mentors[v[open_mentors] <= np.percentile(v[open_mentors], opts.price_share)]
    mentees = np.flatnonzero(np.bincount(cands.mentee, minlength=model.mentees.size))
    # the search pays off for mentees served worst: most of its pairs go to them
    mentees = mentees[u[mentees] <= np.percentile(u[mentees], opts.price_mentees)]
    gen = Generator(model, cheap, capacity, forbidden, settings)
    return gen.price(mentees, v, u - opts.price_margin, settings.k)


def _resolve(
    cands: Candidates, solved: NDArray[np.bool_], used: NDArray[np.bool_], capacity: IntArray, units: int
) -> NDArray[np.bool_]:
    """Solve over ``solved``; a mentee whose only arc there is its current pair keeps it."""
    arcs = np.bincount(cands.mentee[solved], minlength=int(cands.mentee.max(initial=-1)) + 1)
    fixed = used & (arcs[cands.mentee] == 1)
    room = capacity - np.bincount(cands.mentor[fixed], minlength=len(capacity))
    out = fixed.copy()
    rest = solved & ~fixed
    out |= _assign(cands, rest, room, units)
    return out


def _reasons(
    problem: MatchingProblem,
    model: Model,
    cands: Candidates,
    assignment: IntArray,
    blocked: NDArray[np.bool_],
    forbidden: IntArray,
    opts: SolveOptions,
) -> list[Unmatched]:
    out: dict[int, Unmatched] = {}
    if problem.mentees.blocked is not None:
        for i in np.flatnonzero(blocked & (assignment < 0)):
            out[int(i)] = Unmatched(int(i), Reason.BLOCKED, str(problem.mentees.blocked[int(i)]))
    rest = np.flatnonzero(~blocked & (assignment < 0))
    full = rest[cands.feasible[rest] > 0]
    for i in full:
        out[int(i)] = Unmatched(int(i), Reason.FULL, "every suitable mentor is full")
    none = rest[cands.feasible[rest] == 0]
    open_mentors = np.flatnonzero(problem.capacities() > 0)
    diagnosed = _diagnose(model, none, open_mentors, forbidden, opts.chunk_cells)
    for i, (code, text) in zip(none, diagnosed, strict=True):
        out[int(i)] = Unmatched(int(i), code, text)
    return [out[k] for k in sorted(out)]
