"""Candidate generation: which (mentee, mentor) arcs the solver may use.

Scoring all N x M pairs is too slow for large cohorts, so:

* **Blocking** - one ``must_share`` constraint on a set or category (the most
  selective one) splits mentors into blocks; a mentee only looks at the
  blocks of its own values (e.g. the languages it speaks).
* **Pools** - each mentee gets a fixed-width pool of mentors: the whole block
  when it is small, otherwise an inverted index on the heaviest tag
  criterion: mentors offering three, then two, then one of the wanted tags
  (short, precise postings first), topped up with the block's mentors nearest
  in time zone / level.  Postings are sorted by the heaviest numeric criteria
  (time zone, then level); each slice is a window centred on the mentee's
  ideal value, and slots are shared evenly among the postings of a level.
* **Top-K** - pools are scored exactly (all criteria, all constraints) and the
  best ``K`` feasible mentors kept; ``K`` grows where capacity is scarce.
  Mentees left with fewer than ``K`` feasible candidates get an exact scan
  of their blocks, so "no candidate" always means "no feasible mentor".
  The next ``spare`` arcs are kept aside, for the solve only if prices say they help.
* **Pricing** - :meth:`Generator.price` searches again with mentor prices
  (column generation; the engine's auction or the duals of a solve): pools
  over the cheaper mentors only, ranked by score minus price, keeping arcs
  that could improve the solution.

Everything runs in chunks of mentees with numpy; there is no per-mentee loop.
Pool chunks run on ``threads`` threads (numpy's kernels release the GIL) and
are collected in order, so the result does not depend on timing.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from .scoring import CODE_KINDS, NUMBER_KINDS, SET_KINDS, Criterion, Kind, Model, Rule

IntArray = NDArray[np.signedinteger[Any]]  # int64 indices, int32 mentor ids
#: mentor ids in pools: int32 halves the memory traffic of the hot loops
POOL_DTYPE = np.int32
#: (mentee, mentor, score, primary) arrays of one chunk
Arcs = tuple[IntArray, IntArray, NDArray[np.float32], NDArray[np.bool_]]
Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Settings:
    """Tuning knobs (see :class:`~.engine.SolveOptions`)."""

    k: int = 12
    pool: int = 1280
    random_fill: int = 64
    triple_share: int = 70
    complete_pairs: int = 1_000_000
    chunk_cells: int = 1_500_000
    spare: int = 12
    price_pool: int = 640
    threads: int = 2


@dataclass
class Candidates:
    """Scored feasible arcs plus per-mentee bookkeeping."""

    mentee: IntArray
    mentor: IntArray
    score: NDArray[np.float32]
    #: per mentee (global index): feasible mentors seen, and whether the scan was exhaustive
    feasible: IntArray
    complete: NDArray[np.bool_]
    #: arcs for the first solve; the others are spares for pricing
    primary: NDArray[np.bool_]


def _group(owner: IntArray, value: IntArray, n_owner: int) -> tuple[IntArray, IntArray]:
    """CSR (ptr, values) grouping ``value`` by ``owner``, stable."""
    order = np.argsort(owner, kind="stable")
    ptr = np.zeros(n_owner + 1, np.int64)
    np.cumsum(np.bincount(owner, minlength=n_owner), out=ptr[1:])
    return ptr, value[order].astype(np.int64)


def _memberships(model: Model, crit: Criterion | None, mentor_side: bool) -> tuple[IntArray, IntArray, int]:
    """(person, block) pairs for the blocking criterion, and the block count."""
    side = model.mentors if mentor_side else model.mentees
    if crit is None:
        return np.arange(side.size, dtype=np.int64), np.zeros(side.size, np.int64), 1
    if crit.kind in SET_KINDS:
        csr = side.csr[crit.key]
        rows = np.repeat(np.arange(side.size, dtype=np.int64), np.diff(csr.indptr))
        return rows, csr.indices.astype(np.int64), int(csr.shape[1])
    codes = side.codes[crit.key].astype(np.int64)
    other = (model.mentees if mentor_side else model.mentors).codes[crit.key]
    n_blocks = int(max(codes.max(initial=-1), other.max(initial=-1))) + 1
    keep = np.flatnonzero(codes >= 0)
    return keep, codes[keep], max(n_blocks, 1)


def blocking_criterion(model: Model) -> Criterion | None:
    """The ``must_share`` set/category constraint splitting mentors the most."""
    best: tuple[int, Criterion] | None = None
    for c in model.hard:
        if c.rule is not Rule.MUST_SHARE or c.kind not in SET_KINDS | CODE_KINDS:
            continue
        if c.kind in SET_KINDS:
            distinct = int(np.count_nonzero(model.mentors.csr[c.key].getnnz(axis=0)))
        else:
            distinct = len(np.unique(model.mentors.codes[c.key]))
        if best is None or distinct > best[0]:
            best = (distinct, c)
    return best[1] if best else None


def tag_criterion(model: Model, blocking: Criterion | None) -> Criterion | None:
    """The heaviest weighted set criterion, used for the inverted index."""
    tags = [c for c in model.criteria if c.kind in (Kind.TAGS, Kind.MULTI_CHOICE) and c.weight > 0]
    tags = [c for c in tags if c is not blocking]
    return max(tags, key=lambda c: c.weight) if tags else None


class Postings:
    """Mentor lists per integer key, each sorted by the proximity rank.

    ``lookup`` turns query keys into ``(start, length)`` slices of ``mentors``;
    ``window`` centres a slice on a mentee's ideal proximity rank.
    """

    def __init__(self, keys: IntArray, mentors: IntArray, rank: IntArray, n_ranks: int) -> None:
        order = np.lexsort((rank[mentors], keys))
        keys, self.mentors = keys[order], mentors[order].astype(POOL_DTYPE)
        self.keys, first = np.unique(keys, return_index=True)
        self.ptr = np.append(first, len(keys)).astype(np.int64)
        self.span = np.int64(n_ranks + 1)
        self.composite = np.searchsorted(self.keys, keys) * self.span + rank[self.mentors]
        self.base = 0  # offset of ``mentors`` inside :attr:`Index.source`

    def lookup(self, keys: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """Slot, start and length of each query key (length 0 when absent)."""
        slot = np.minimum(np.searchsorted(self.keys, keys), max(len(self.keys) - 1, 0))
        if len(self.keys) == 0:
            return slot, np.zeros(len(keys), np.int64), np.zeros(len(keys), np.int64)
        hit = self.keys[slot] == keys
        start = self.ptr[slot]
        return slot, start, np.where(hit, self.ptr[slot + 1] - start, 0)

    def window(
        self, slot: IntArray, start: IntArray, length: IntArray, take: IntArray, target: IntArray
    ) -> IntArray:
        """Start of a ``take``-long slice centred on each ``target`` rank."""
        centre = np.searchsorted(self.composite, slot * self.span + target) - start
        return start + np.clip(centre - take // 2, 0, np.maximum(length - take, 0))


class Index:
    """Blocks of active mentors, the blocks of each mentee, and tag postings."""

    def __init__(self, model: Model, active_mentors: IntArray, capacity: IntArray) -> None:
        self.model = model
        self.blocking = blocking_criterion(model)
        rows, blocks, n_blocks = _memberships(model, self.blocking, mentor_side=True)
        active = np.zeros(model.mentors.size, bool)
        active[active_mentors] = True
        keep = active[rows]
        rows, blocks = rows[keep], blocks[keep]
        self.n_blocks = n_blocks
        self.near = proximity_criteria(model)
        self.mentor_rank, self.mentee_rank, n_ranks = _proximity_ranks(model, self.near)
        self.blocks = Postings(blocks, rows, self.mentor_rank, n_ranks)
        self.block_size = np.bincount(blocks, minlength=n_blocks).astype(np.int64)
        self.block_supply = np.bincount(blocks, weights=capacity[rows], minlength=n_blocks)
        m_rows, m_blocks, _ = _memberships(model, self.blocking, mentor_side=False)
        ok = m_blocks < n_blocks
        self.mentee_ptr, self.mentee_blocks = _group(m_rows[ok], m_blocks[ok], model.mentees.size)
        self.tags = tag_criterion(model, self.blocking)
        self.vocab = 0
        self.postings: list[Postings] = []
        if self.tags is not None:
            csr = model.mentors.csr[self.tags.key]
            self.vocab = int(csr.shape[1])
            # (block, tag) combinations up to triples while keys fit in int64
            self.depth = 3 if (n_blocks + 1) * float(self.vocab) ** 3 < 2**62 else 1
            self.postings = [
                Postings(key, rows[owner], self.mentor_rank, n_ranks)
                for key, owner in self.tag_keys(csr, rows, blocks)
            ]
        # all mentor lists in one array so that a pool is built by one gather
        base = 0
        for post in [*self.postings, self.blocks]:
            post.base = base
            base += len(post.mentors)
        self.source = np.concatenate([p.mentors for p in [*self.postings, self.blocks]])

    def tag_keys(
        self, csr: sparse.csr_matrix, rows: IntArray, blocks: IntArray
    ) -> list[tuple[IntArray, IntArray]]:
        """(key, owner) of every (block, tag), (block, tag, tag), (block, tag, tag, tag).

        ``owner`` indexes ``rows``/``blocks``; the same code builds mentor
        postings and mentee queries.  Combinations are of increasing tag ids.
        """
        v = np.int64(self.vocab)
        n_tags = np.diff(csr.indptr)[rows]
        owner, pos = _expand(csr.indptr[rows], n_tags)
        end = (csr.indptr[rows] + n_tags)[owner]
        key = blocks[owner] * v + csr.indices[pos]
        out = [(key, owner)]
        for _ in range(self.depth - 1):  # extend each combination by a later tag
            parent, pos = _expand(pos + 1, end - pos - 1)
            owner, end = owner[parent], end[parent]
            key = key[parent] * v + csr.indices[pos]
            out.append((key, owner))
        return out

    def blocks_of(self, mentees: IntArray) -> tuple[IntArray, IntArray]:
        """(row, block) pairs for the given mentees, rows local to ``mentees``."""
        counts = self.mentee_ptr[mentees + 1] - self.mentee_ptr[mentees]
        owner, pos = _expand(self.mentee_ptr[mentees], counts)
        return owner, self.mentee_blocks[pos]

    def reach(self, mentees: IntArray) -> IntArray:
        """Number of (block, mentor) entries each mentee can see."""
        owner, blocks = self.blocks_of(mentees)
        return np.bincount(owner, weights=self.block_size[blocks], minlength=len(mentees)).astype(np.int64)

    def supply_ratio(self, mentees: IntArray) -> NDArray[np.float64]:
        """Best capacity / demand ratio over each mentee's blocks."""
        owner, blocks = self.blocks_of(mentees)
        demand = np.bincount(blocks, minlength=self.n_blocks).astype(np.float64)
        ratio = self.block_supply[blocks] / np.maximum(demand[blocks], 1)
        out = np.zeros(len(mentees))
        np.maximum.at(out, owner, ratio)
        return out


def proximity_criteria(model: Model) -> tuple[Criterion, ...]:
    """Sort keys of the postings: the two heaviest weighted numeric criteria."""
    near = [c for c in model.criteria if c.kind in NUMBER_KINDS and c.weight > 0]
    return tuple(sorted(near, key=lambda c: -c.weight)[:2])


def _proximity_ranks(model: Model, near: tuple[Criterion, ...]) -> tuple[IntArray, IntArray, int]:
    """Lexicographic ranks of mentor values and of each mentee's ideal mentor value."""
    mentor_rank = np.zeros(model.mentors.size, np.int64)
    mentee_rank = np.zeros(model.mentees.size, np.int64)
    n_ranks = 1
    for c in near:
        mentor = np.nan_to_num(model.mentors.values[c.key].astype(np.float64), nan=np.inf)
        ideal = np.nan_to_num(model.mentees.values[c.key].astype(np.float64), nan=np.inf)
        if c.kind is Kind.LEVEL:
            # one level above scores best, two above next: centre between them,
            # so the window is not half spent on mentors at or below the mentee
            ideal = ideal + 1.5
        values = np.unique(mentor)
        mentor_rank = mentor_rank * (len(values) + 1) + np.searchsorted(values, mentor)
        mentee_rank = mentee_rank * (len(values) + 1) + np.searchsorted(values, ideal)
        n_ranks *= len(values) + 1
    return mentor_rank, mentee_rank, n_ranks


def _expand(starts: IntArray, lengths: IntArray) -> tuple[IntArray, IntArray]:
    """Owner and position arrays for concatenated ranges ``[start, start+len)``."""
    lengths = lengths.astype(np.int64)
    owner = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    first = np.cumsum(lengths) - lengths
    pos = np.arange(int(lengths.sum()), dtype=np.int64) - first[owner] + starts.astype(np.int64)[owner]
    return owner, pos


def _fill(pool: IntArray, seg_row: IntArray, seg_start: IntArray, take: IntArray, source: IntArray) -> None:
    """Write ``take`` ids of each segment into its row, segments of a row back to back.

    Segments must be grouped by row, in priority order.
    """
    if len(seg_row) == 0:
        return
    before = np.cumsum(take) - take  # start of each segment in the concatenation
    at = before - before[np.searchsorted(seg_row, seg_row, side="left")]  # ... and in its row
    step = np.arange(int(before[-1] + take[-1]), dtype=np.int64)
    pos = step + np.repeat(seg_start - before, take)
    cell = step + np.repeat(seg_row * pool.shape[1] + at - before, take)
    pool.reshape(-1)[cell] = source[pos]


def _fill_levels(
    parts: list[tuple[IntArray, IntArray, IntArray]], n_rows: int, width: int, source: IntArray
) -> IntArray:
    """One scatter of several levels of ``(row, begin, take)`` segments of ``source``.

    Within a row, levels keep their order, then segments their order.
    """
    row = np.concatenate([p[0] for p in parts])
    level = np.concatenate([np.full(len(p[0]), n, np.int64) for n, p in enumerate(parts)])
    order = np.lexsort((np.arange(len(row)), level, row))
    begin = np.concatenate([p[1] for p in parts])[order]
    take = np.concatenate([p[2] for p in parts])[order]
    pool = np.full((n_rows, width), -1, POOL_DTYPE)
    _fill(pool, row[order], begin, take, source)
    return pool


def _water_fill(row: IntArray, length: IntArray, width: IntArray) -> IntArray:
    """Share ``width[row]`` slots among each row's segments (sorted by length ascending).

    Short segments are taken whole; the rest split the remaining slots evenly,
    so every wanted tag contributes mentors.
    """
    if len(row) == 0:
        return np.zeros(0, np.int64)
    n = int(row.max()) + 1
    first = np.searchsorted(row, row, side="left")
    count = np.bincount(row, minlength=n)[row]
    rank = np.arange(len(row)) - first
    before = np.cumsum(length) - length
    before = before - before[first]
    room = width[row]
    whole = length * (count - rank) + before <= room
    whole_sum = np.bincount(row, weights=np.where(whole, length, 0), minlength=n)[row]
    rest = np.maximum(np.bincount(row, weights=~whole, minlength=n)[row], 1)
    share = np.maximum((room - whole_sum) // rest, 0).astype(np.int64)
    return np.where(whole, length, np.minimum(length, share)).astype(np.int64)


class Generator:
    """Builds the candidate arc set for a set of active mentees and mentors."""

    def __init__(
        self,
        model: Model,
        active_mentors: IntArray,
        capacity: IntArray,
        forbidden: IntArray,
        settings: Settings,
    ) -> None:
        self.model = model
        self.index = Index(model, active_mentors, capacity)
        self.forbidden = forbidden
        self.s = settings

    # -- pools -----------------------------------------------------------
    def _whole_blocks(self, rows: IntArray, width: int) -> IntArray:
        """Every mentor of each mentee's blocks (``width`` >= reach)."""
        owner, blocks = self.index.blocks_of(rows)
        _, start, length = self.index.blocks.lookup(blocks)
        pool = np.full((len(rows), width), -1, POOL_DTYPE)
        _fill(pool, owner, start, length, self.index.blocks.mentors)
        return pool

    def _segments(
        self,
        used: IntArray,
        post: Postings,
        row: IntArray,
        key: IntArray,
        rows: IntArray,
        budget: IntArray,
    ) -> tuple[IntArray, IntArray, IntArray]:
        """Windows ``(row, begin, take)`` of the ``key`` postings, smallest first, within ``budget``."""
        slot, start, length = post.lookup(key)
        keep = length > 0
        row, slot, start, length = row[keep], slot[keep], start[keep], length[keep]
        order = np.lexsort((slot, length, row))
        row, slot, start, length = row[order], slot[order], start[order], length[order]
        take = _water_fill(row, length, np.maximum(budget, 0))
        begin = post.window(slot, start, length, take, self.index.mentee_rank[rows[row]])
        return row, begin, take

    def _pool(self, rows: IntArray, width: int) -> IntArray:
        """Tag triples, pairs, single tags, then the nearest mentors of the blocks.

        Mentors offering several wanted tags are the best candidates and their
        postings are short, so they come first; each level gets what the
        previous ones left.
        """
        ix, s = self.index, self.s
        fill = s.random_fill * width // max(s.pool, 1)
        used = np.zeros(len(rows), np.int64)
        b_row, blocks = ix.blocks_of(rows)
        levels: list[tuple[Postings, IntArray, IntArray, IntArray]] = []
        if ix.tags is not None:
            csr = self.model.mentees.csr[ix.tags.key]
            for post, (key, owner) in zip(ix.postings, ix.tag_keys(csr, rows[b_row], blocks), strict=True):
                levels.append((post, b_row[owner], key, np.full(len(rows), width - fill)))
        levels.reverse()  # deepest combinations first
        levels.append((ix.blocks, b_row, blocks, np.full(len(rows), width)))
        if len(levels) > 1:  # triples may take part of the tag room only
            levels[0] = (*levels[0][:3], levels[0][3] * s.triple_share // 100)
        parts = []
        for post, row, key, room in levels:
            seg = self._segments(used, post, row, key, rows, room - used)
            used = used + np.bincount(seg[0], weights=seg[2], minlength=len(rows)).astype(np.int64)
            parts.append((seg[0], seg[1] + post.base, seg[2]))
        return _fill_levels(parts, len(rows), width, ix.source)

    # -- scoring -------------------------------------------------------
    def _score(self, rows: IntArray, pool: IntArray) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
        pool.sort(axis=1)
        pool[:, 1:][pool[:, 1:] == pool[:, :-1]] = -1  # a mentor reached by several tags
        valid = pool >= 0
        mentors = np.where(valid, pool, 0)
        score, ok = self.model.evaluate(rows[:, None], mentors, assume=self.index.blocking)
        ok &= valid
        if len(self.forbidden):
            keys = rows[:, None] * np.int64(self.model.mentors.size) + mentors
            ok &= ~np.isin(keys, self.forbidden)
        return score, ok

    def _select(
        self,
        rows: IntArray,
        pool: IntArray,
        k: IntArray | None,
        out: list[Arcs],
        spare: int = 0,
        price: Floats | None = None,
        floor: Floats | None = None,
    ) -> IntArray:
        """Score a pool chunk and append its best ``k`` (+ ``spare``) feasible arcs per row.

        With ``price``, rank by score minus the mentor's price and keep only
        arcs above the row's ``floor``.

        :returns: feasible mentors per row in the pool.
        """
        score, ok = self._score(rows, pool)
        if k is None:
            k = np.full(len(rows), pool.shape[1], np.int64)
        want = int(min(k.max(initial=1) + spare, pool.shape[1]))
        score_of = score
        if price is not None and floor is not None:
            score = (score - price[pool]).astype(np.float32)
            ok &= score > floor[rows, None]
        masked = np.where(ok, score, -np.inf).astype(np.float32)
        if pool.shape[1] > want:
            top = np.argpartition(-masked, want - 1, axis=1)[:, :want]
        else:
            top = np.broadcast_to(np.arange(pool.shape[1]), pool.shape)
        top_score = np.take_along_axis(masked, top, axis=1)
        order = np.argsort(-top_score, axis=1, kind="stable")
        top_score = np.take_along_axis(top_score, order, axis=1)
        ids = np.take_along_axis(np.take_along_axis(pool, top, axis=1), order, axis=1)
        keep = np.isfinite(top_score) & (np.arange(want) < k[:, None] + spare)
        r, c = np.nonzero(keep)
        if price is not None:  # report the score itself, not the reduced one
            top_score = np.take_along_axis(np.take_along_axis(score_of, top, axis=1), order, axis=1)
        out.append((rows[r], ids[r, c], top_score[r, c], c < k[r]))
        return ok.sum(axis=1).astype(np.int64)

    def _exhaustive(
        self, rows: IntArray, widths: IntArray, k: IntArray | None, out: list[Arcs], **select: Any
    ) -> IntArray:
        """Exact scan of whole blocks, grouping rows of similar reach."""
        feasible = np.zeros(len(rows), np.int64)
        order = np.argsort(widths, kind="stable")
        start = 0
        while start < len(rows):
            width = int(max(widths[order[start]], 1))
            # rows up to twice as wide share a chunk to limit padding
            end = int(np.searchsorted(widths[order], 2 * width, side="right"))
            width = int(max(widths[order[end - 1]], 1))
            end = min(end, start + max(1, self.s.chunk_cells // width))
            sel = order[start:end]
            kk = None if k is None else k[sel]
            feasible[sel] = self._select(rows[sel], self._whole_blocks(rows[sel], width), kk, out, **select)
            start = end
        return feasible

    def _pooled(self, rows: IntArray, width: int, k: IntArray, out: list[Arcs], **select: Any) -> IntArray:
        """Pools of ``width`` for ``rows``, scored and selected chunk by chunk.

        :returns: feasible mentors per row in the pool.
        """
        step = max(1, self.s.chunk_cells // max(width, 1))
        starts = range(0, len(rows), step)

        def run(lo: int) -> tuple[list[Arcs], IntArray]:
            arcs: list[Arcs] = []
            part = rows[lo : lo + step]
            return arcs, self._select(part, self._pool(part, width), k[lo : lo + step], arcs, **select)

        found = np.zeros(len(rows), np.int64)
        with ThreadPoolExecutor(max(self.s.threads, 1)) as workers:
            for lo, (arcs, part_found) in zip(starts, workers.map(run, starts), strict=True):
                out.extend(arcs)
                found[lo : lo + step] = part_found
        return found

    def generate(self, mentees: IntArray) -> Candidates:
        """Candidate arcs for the given (active) mentees."""
        n_all = self.model.mentees.size
        feasible = np.zeros(n_all, np.int64)
        complete = np.zeros(n_all, bool)
        out: list[Arcs] = []
        reach = self.index.reach(mentees)
        n_mentors = len(np.unique(self.index.blocks.mentors))
        if len(mentees) * n_mentors <= self.s.complete_pairs:
            feasible[mentees] = self._exhaustive(mentees, reach, None, out)
            complete[mentees] = True
            return self._pack(out, feasible, complete)
        ratio = self.index.supply_ratio(mentees)
        k = np.clip(np.ceil(self.s.k * 1.5 / np.maximum(ratio, 1e-9)), self.s.k, 3 * self.s.k).astype(
            np.int64
        )
        small = reach <= self.s.pool
        if small.any():
            sel = np.flatnonzero(small)
            feasible[mentees[sel]] = self._exhaustive(
                mentees[sel], reach[sel], k[sel], out, spare=self.s.spare
            )
            complete[mentees[sel]] = True
        big = np.flatnonzero(~small)
        found = self._pooled(mentees[big], self.s.pool, k[big], out, spare=self.s.spare)
        feasible[mentees[big]] = found
        lacking = big[found < k[big]]
        if len(lacking):
            rows = mentees[lacking]
            feasible[rows] = self._exhaustive(rows, reach[lacking], k[lacking], out, spare=self.s.spare)
            complete[rows] = True
        return self._pack(out, feasible, complete)

    def price(self, mentees: IntArray, price: Floats, floor: Floats, k: int) -> Candidates:
        """Up to ``k`` arcs per mentee whose score minus the mentor's price beats ``floor``.

        The pricing step of column generation: the generator is built over
        the cheaper mentors only, so pools of ``price_pool`` reach further
        into them; no exhaustive fallback (a mentee with nothing better simply
        gets no arc).

        :param price: per mentor (global index); :param floor: per mentee.
        """
        out: list[Arcs] = []
        n_all = self.model.mentees.size
        width = self.s.price_pool
        reach = self.index.reach(mentees)
        kk = np.full(len(mentees), k, np.int64)
        small = reach <= width
        self._exhaustive(mentees[small], reach[small], kk[small], out, price=price, floor=floor)
        self._pooled(mentees[~small], width, kk[~small], out, price=price, floor=floor)
        return self._pack(out, np.zeros(n_all, np.int64), np.zeros(n_all, bool))

    def scan(self, mentees: IntArray, k: int) -> Candidates:
        """Exact top-``k`` over the whole blocks of the given mentees."""
        out: list[Arcs] = []
        feasible = np.zeros(self.model.mentees.size, np.int64)
        complete = np.zeros(self.model.mentees.size, bool)
        reach = self.index.reach(mentees)
        feasible[mentees] = self._exhaustive(mentees, reach, np.full(len(mentees), k), out)
        complete[mentees] = True
        return self._pack(out, feasible, complete)

    @staticmethod
    def _pack(out: list[Arcs], feasible: IntArray, complete: NDArray[np.bool_]) -> Candidates:
        if not out:
            empty = np.zeros(0, np.int64)
            return Candidates(empty, empty, np.zeros(0, np.float32), feasible, complete, np.zeros(0, bool))
        mentee = np.concatenate([o[0] for o in out]).astype(np.int64)
        mentor = np.concatenate([o[1] for o in out]).astype(np.int64)
        score = np.concatenate([o[2] for o in out]).astype(np.float32)
        primary = np.concatenate([o[3] for o in out])
        return Candidates(mentee, mentor, score, feasible, complete, primary)
