"""Optimal capacitated assignment by min-cost flow (OR-tools), and its dual prices.

Maximises the number of matched mentees first, then the total score, over a
given candidate arc set.  Graph: source -> mentee (cap 1) -> mentor (cap 1,
cost = resolution * (1 - score)) -> sink (cap = mentor capacity).

:func:`prices` turns an optimal assignment into LP duals (a price per mentor
slot, a value per mentee); :func:`estimate_prices` approximates the prices
by an auction, without solving.  The engine uses them to find arcs worth adding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

#: Bellman-Ford passes at most: tens suffice on an optimal assignment; the cap
#: only bounds the work should the assignment not be optimal for these costs
MAX_PRICE_ROUNDS = 2_000
#: auction rounds at most: a few hundred suffice at 200k mentees; the cap only
#: bounds the work should bidding not settle (the prices are then rougher)
MAX_AUCTION_ROUNDS = 2_000


def cost_resolution(n_arcs: int) -> int:
    """Integer units per score point.

    Fine resolution keeps small problems exact to ~1e-9; large ones use a
    coarser grid (rounding error <= 5e-5 per pair, far below the candidate
    approximation; at 200k mentees the optimum found was the same) which
    makes the cost-scaling solver ~40% faster than at 1e9.
    """
    return 1_000_000_000 if n_arcs <= 200_000 else 10_000


def _costs(score: NDArray[np.float32], units: int) -> NDArray[np.int64]:
    return np.rint((1.0 - np.clip(score.astype(np.float64), 0, 1)) * units).astype(np.int64)


def _compact(ids: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Distinct ids (sorted) and each id's position among them: ``np.unique`` without a sort."""
    seen = np.bincount(ids) > 0
    position = np.cumsum(seen) - 1
    return np.flatnonzero(seen), position[ids]


def assign(
    mentee: NDArray[np.int64],
    mentor: NDArray[np.int64],
    score: NDArray[np.float32],
    capacity: NDArray[np.int64],
    units: int | None = None,
) -> NDArray[np.bool_]:
    """Choose arcs of a maximum-cardinality, maximum-score assignment.

    :param mentee: arc tails (any non-negative ids).
    :param mentor: arc heads, indices into ``capacity``.
    :param score: arc scores in [0, 1].
    :param capacity: remaining capacity per mentor.
    :param units: cost grid (default :func:`cost_resolution`); pass the same
        to :func:`prices`.
    :returns: boolean mask over the arcs that are used.
    """
    n_arcs = len(mentee)
    if n_arcs == 0:
        return np.zeros(0, dtype=bool)
    left, left_idx = _compact(mentee)
    right, right_idx = _compact(mentor)
    n_left, n_right = len(left), len(right)
    source, sink = n_left + n_right, n_left + n_right + 1
    units = units or cost_resolution(n_arcs)
    cost = _costs(score, units)
    tails = np.concatenate([np.full(n_left, source), left_idx, n_left + np.arange(n_right)])
    heads = np.concatenate([np.arange(n_left), n_left + right_idx, np.full(n_right, sink)])
    caps = np.concatenate([np.ones(n_left + n_arcs, np.int64), capacity[right].astype(np.int64)])
    costs = np.concatenate([np.zeros(n_left, np.int64), cost, np.zeros(n_right, np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32), caps, costs)
    supply = min(n_left, int(caps[n_left + n_arcs :].sum()))
    flow.set_nodes_supplies(np.array([source, sink]), np.array([supply, -supply]))
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    used = flow.flows(np.arange(n_left, n_left + n_arcs))
    return np.asarray(used > 0)


def prices(
    mentee: NDArray[np.int64],
    mentor: NDArray[np.int64],
    score: NDArray[np.float32],
    used: NDArray[np.bool_],
    capacity: NDArray[np.int64],
    n_mentees: int,
    units: int | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Dual prices of an optimal :func:`assign` over the same arcs.

    ``v[j]``, the price of a slot of mentor ``j``, is the least score lost by
    freeing one: move one of its mentees along an arc to another mentor, and so
    on, until a mentor with room takes the last one (or one is dropped).  These
    are shortest paths on mentors (Bellman-Ford, on the solver's integer costs
    so rounding cannot create negative cycles).  ``u[i] = score(i, j(i)) -
    v[j(i)]`` (0 when unmatched).  No arc of an optimal assignment has a reduced
    score ``score - v[mentor] - u[mentee]`` above 0; an arc outside the set that
    has one can improve the assignment.

    :param units: the cost grid the assignment was solved on.
    :returns: ``(v per mentor, u per mentee)`` in score points.
    """
    n_mentors = len(capacity)
    units = units or cost_resolution(len(mentee))
    cost = _costs(score, units)
    at = np.full(n_mentees, -1, np.int64)
    at[mentee[used]] = mentor[used]
    own = np.zeros(n_mentees, np.int64)
    own[mentee[used]] = cost[used]
    move = ~used & (at[mentee] >= 0)
    drop = n_mentors  # extra node: a dropped mentee frees the slot for its score
    tail = np.concatenate([at[mentee[move]], mentor[used]])
    head = np.concatenate([mentor[move], np.full(int(used.sum()), drop)])
    weight = np.concatenate([cost[move] - own[mentee[move]], units - cost[used]])
    order = np.argsort(tail, kind="stable")
    tail, head, weight = tail[order], head[order], weight[order]
    starts = np.flatnonzero(np.r_[True, tail[1:] != tail[:-1]]) if len(tail) else np.zeros(0, np.int64)
    owners = tail[starts]
    dist = np.full(n_mentors + 1, np.iinfo(np.int64).max // 4, np.int64)
    dist[drop] = 0
    dist[:n_mentors][np.bincount(mentor[used], minlength=n_mentors) < capacity] = 0
    for _ in range(min(n_mentors + 1, MAX_PRICE_ROUNDS)):
        if not len(starts):
            break
        best = np.minimum.reduceat(weight + dist[head], starts)
        better = best < dist[owners]
        if not better.any():
            break
        dist[owners[better]] = best[better]
    v = np.clip(dist[:n_mentors], 0, units) / units  # a slot with no way to free it: 1
    u = np.zeros(n_mentees)
    matched = at >= 0
    u[matched] = (units - own[matched]) / units - v[at[matched]]
    return v, u


def estimate_prices(
    mentee: NDArray[np.int64],
    mentor: NDArray[np.int64],
    score: NDArray[np.float32],
    capacity: NDArray[np.int64],
    n_mentees: int,
    eps: float = 0.01,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Approximate slot prices by an auction, much cheaper than :func:`assign` + :func:`prices`.

    Rounds of bids (Jacobi auction for objects of several copies): every
    mentee without a slot bids for its best arc by ``score - price``, raising
    that mentor's price by the margin over its second best plus ``eps``; a
    mentor keeps its ``capacity`` highest bids and its price is the lowest one
    kept once full.  Prices end within ``eps`` of a market-clearing set for
    these arcs (an unmatched mentee counts as 1 below a match, so mentees bid
    for any match first, as :func:`assign` does).  Only pricing and arc
    selection use them; the assignment itself comes from :func:`assign`.

    :returns: price per mentor in score points, in [0, 1] like :func:`prices`,
        and the mentor each mentee holds when bidding stops (-1 = none).
    """
    n_mentors = len(capacity)
    order = np.argsort(mentee, kind="stable")
    mentor, value = mentor[order], score[order].astype(np.float64)
    count = np.bincount(mentee, minlength=n_mentees)
    ptr = np.concatenate([[0], np.cumsum(count)])
    v = np.zeros(n_mentors)
    held = _Bids.empty()
    free = np.flatnonzero(count > 0)
    for _ in range(MAX_AUCTION_ROUNDS):
        if not len(free):
            break
        bids = _bid(free, ptr, count, mentor, value, v, eps)
        if not len(bids.mentee):  # the rest would rather stay unmatched
            break
        held, free = _accept(held, bids, capacity, v)
    holds = np.full(n_mentees, -1, np.int64)
    holds[held.mentee] = held.mentor
    return np.clip(v, 0, 1), holds


@dataclass
class _Bids:
    """Parallel arrays of bids: mentee, mentor, price offered."""

    mentee: NDArray[np.int64]
    mentor: NDArray[np.int64]
    price: NDArray[np.float64]

    @staticmethod
    def empty() -> _Bids:
        return _Bids(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))

    def take(self, which: NDArray[np.bool_] | NDArray[np.intp]) -> _Bids:
        return _Bids(self.mentee[which], self.mentor[which], self.price[which])

    def join(self, other: _Bids) -> _Bids:
        return _Bids(
            np.concatenate([self.mentee, other.mentee]),
            np.concatenate([self.mentor, other.mentor]),
            np.concatenate([self.price, other.price]),
        )


def _bid(
    free: NDArray[np.int64],
    ptr: NDArray[np.int64],
    count: NDArray[np.int64],
    mentor: NDArray[np.int64],
    value: NDArray[np.float64],
    v: NDArray[np.float64],
    eps: float,
) -> _Bids:
    """Each free mentee's bid: its best mentor, at that price plus the margin over the second best."""
    lengths = count[free]
    starts = np.cumsum(lengths) - lengths
    owner = np.repeat(np.arange(len(free)), lengths)
    pos = np.arange(int(lengths.sum())) - starts[owner] + ptr[free][owner]
    net = value[pos] - v[mentor[pos]]
    best = np.maximum.reduceat(net, starts)
    top = np.flatnonzero(net == best[owner])
    top = top[np.r_[True, owner[top][1:] != owner[top][:-1]]]  # first best arc per mentee
    net[top] = -np.inf
    second = np.maximum(np.maximum.reduceat(net, starts), -1.0)  # unmatched: 1 below a match
    go = best > -1.0
    target = mentor[pos[top[go]]]
    return _Bids(free[go], target, v[target] + (best - second)[go] + eps)


def _accept(
    held: _Bids, bids: _Bids, capacity: NDArray[np.int64], v: NDArray[np.float64]
) -> tuple[_Bids, NDArray[np.int64]]:
    """Mentors that got bids keep their ``capacity`` best; returns the holdings and the rejected mentees.

    Updates ``v`` in place: the lowest price kept by a full mentor, else 0.
    """
    touched = np.zeros(len(capacity), bool)
    touched[bids.mentor] = True
    mine = touched[held.mentor]
    pool = held.take(mine).join(bids)
    order = np.lexsort((-pool.price, pool.mentor))
    pool = pool.take(order)
    first = np.flatnonzero(np.r_[True, pool.mentor[1:] != pool.mentor[:-1]])
    size = np.diff(np.r_[first, len(pool.mentor)])
    rank = np.arange(len(pool.mentor)) - np.repeat(first, size)
    keep = rank < capacity[pool.mentor]
    owners, room = pool.mentor[first], capacity[pool.mentor[first]]
    last = first + np.minimum(size, room) - 1
    v[owners] = np.where((size >= room) & (room > 0), pool.price[np.maximum(last, first)], 0.0)
    return held.take(~mine).join(pool.take(keep)), np.sort(pool.mentee[~keep])
