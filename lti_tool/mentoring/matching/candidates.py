"""Candidate generation: which (mentee, mentor) arcs the solver may use.

Scoring all N x M pairs is too slow for large cohorts, so:

* **Blocking** - one ``must_share`` constraint on a set or category (the most
  selective one) splits mentors into blocks; a mentee only looks at the
  blocks of its own values (e.g. the languages it speaks).
* **Pools** - each mentee gets a fixed-width pool of mentors: the whole block
  when it is small, otherwise mentors from the inverted tag index (rarest
  wanted tags first, so mentors sharing many tags are never missed: a mentor
  sharing ``s`` of ``w`` wanted tags offers one of any ``w - s + 1`` of them)
  topped up with the block's mentors nearest in time zone (or level).  Every
  slice is a window centred on the mentee's value of that numeric criterion,
  and the slots are shared evenly among the wanted tags.
* **Top-K** - pools are scored exactly (all criteria, all constraints) and the
  best ``K`` feasible mentors kept; ``K`` grows where capacity is scarce.
  Mentees left with fewer than ``K`` feasible candidates get an exact scan
  of their blocks, so "no candidate" always means "no feasible mentor".

Everything runs in chunks of mentees with numpy; there is no per-mentee loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .scoring import CODE_KINDS, NUMBER_KINDS, SET_KINDS, Criterion, Kind, Model, Rule

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Settings:
    """Tuning knobs (see :class:`~.engine.SolveOptions`)."""

    k: int = 8
    pool: int = 192
    random_fill: int = 48
    complete_pairs: int = 1_000_000
    chunk_cells: int = 1_500_000


@dataclass
class Candidates:
    """Scored feasible arcs plus per-mentee bookkeeping."""

    mentee: IntArray
    mentor: IntArray
    score: NDArray[np.float32]
    #: per mentee (global index): feasible mentors seen, and whether the scan was exhaustive
    feasible: IntArray
    complete: NDArray[np.bool_]


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
        self.near = proximity_criterion(model)
        self.mentor_rank, self.mentee_rank, self.n_ranks = _proximity_ranks(model, self.near)
        # within a block (and a posting) mentors are sorted by the proximity key
        by_key = np.lexsort((self.mentor_rank[rows], blocks))
        rows, blocks = rows[by_key], blocks[by_key]
        self.block_ptr, self.block_mentors = _group(blocks, rows, n_blocks)
        self.block_sorted = self._sorted_keys(blocks, rows)
        self.block_size = np.diff(self.block_ptr)
        self.block_supply = np.bincount(blocks, weights=capacity[rows], minlength=n_blocks)
        m_rows, m_blocks, _ = _memberships(model, self.blocking, mentor_side=False)
        ok = m_blocks < n_blocks
        self.mentee_ptr, self.mentee_blocks = _group(m_rows[ok], m_blocks[ok], model.mentees.size)
        self.tags = tag_criterion(model, self.blocking)
        self.vocab = 0
        if self.tags is not None:
            self._build_postings(rows, blocks)

    def _build_postings(self, rows: IntArray, blocks: IntArray) -> None:
        assert self.tags is not None
        csr = self.model.mentors.csr[self.tags.key]
        self.vocab = int(csr.shape[1])
        # expand every (mentor, block) membership by the mentor's offered tags
        n_tags = np.diff(csr.indptr)[rows]
        owner, pos = _expand(csr.indptr[rows], n_tags)
        keys = blocks[owner] * self.vocab + csr.indices[pos]
        self.post_ptr, self.post_mentors = _group(keys, rows[owner], self.n_blocks * self.vocab)
        self.post_sorted = self._sorted_keys(np.sort(keys, kind="stable"), self.post_mentors)

    def _sorted_keys(self, groups: IntArray, mentors: IntArray) -> IntArray:
        """Composite ``group * ranks + rank`` keys, sorted, for window look-ups."""
        return groups * np.int64(self.n_ranks + 1) + self.mentor_rank[mentors]

    def window_start(
        self, sorted_keys: IntArray, group: IntArray, start: IntArray, length: IntArray,
        take: IntArray, mentee: IntArray,
    ) -> IntArray:
        """Offset of a ``take``-long slice centred on each mentee's proximity target."""
        target = group * np.int64(self.n_ranks + 1) + self.mentee_rank[mentee]
        centre = np.searchsorted(sorted_keys, target) - start
        return np.clip(centre - take // 2, 0, np.maximum(length - take, 0))

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


def proximity_criterion(model: Model) -> Criterion | None:
    """The heaviest weighted numeric criterion; pools are windows around it."""
    near = [c for c in model.criteria if c.kind in NUMBER_KINDS and c.weight > 0]
    return max(near, key=lambda c: c.weight) if near else None


def _proximity_ranks(model: Model, near: Criterion | None) -> tuple[IntArray, IntArray, int]:
    """Dense ranks of mentor values and of each mentee's ideal mentor value."""
    if near is None:
        return np.zeros(model.mentors.size, np.int64), np.zeros(model.mentees.size, np.int64), 1
    mentor = np.nan_to_num(model.mentors.values[near.key].astype(np.float64), nan=np.inf)
    ideal = np.nan_to_num(model.mentees.values[near.key].astype(np.float64), nan=np.inf)
    if near.kind is Kind.LEVEL:
        ideal = ideal + 1  # best mentor is one level above
    values = np.unique(mentor)
    return np.searchsorted(values, mentor), np.searchsorted(values, ideal), len(values)


def _expand(starts: IntArray, lengths: IntArray) -> tuple[IntArray, IntArray]:
    """Owner and position arrays for concatenated ranges ``[start, start+len)``."""
    lengths = lengths.astype(np.int64)
    owner = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    first = np.cumsum(lengths) - lengths
    pos = np.arange(int(lengths.sum()), dtype=np.int64) - first[owner] + starts.astype(np.int64)[owner]
    return owner, pos


def _fill(
    seg_row: IntArray, seg_start: IntArray, take: IntArray, source: IntArray, n_rows: int, width: int,
) -> IntArray:
    """Fixed-width pool: per row, ``take`` ids from each of its segments in order."""
    pool = np.full((n_rows, width), -1, np.int64)
    if len(seg_row) == 0:
        return pool
    before = np.cumsum(take) - take
    first = np.searchsorted(seg_row, seg_row, side="left")
    at = before - before[first]
    take = np.clip(width - at, 0, take)
    owner, pos = _expand(seg_start, take)
    pool[seg_row[owner], at[owner] + pos - seg_start[owner]] = source[pos]
    return pool


def _water_fill(row: IntArray, length: IntArray, width: int) -> IntArray:
    """Share ``width`` slots among each row's segments (sorted by length ascending).

    Short segments are taken whole; the rest split the remaining slots evenly,
    so every wanted tag contributes mentors.
    """
    first = np.searchsorted(row, row, side="left")
    count = np.bincount(row)[row]
    rank = np.arange(len(row)) - first
    before = np.cumsum(length) - length
    before = before - before[first]
    whole = length * (count - rank) + before <= width
    # slots left after the whole segments, split among the others
    whole_sum = np.bincount(row, weights=np.where(whole, length, 0))[row]
    rest = np.maximum(np.bincount(row, weights=~whole)[row], 1)
    share = ((width - whole_sum) // rest).astype(np.int64)
    return np.where(whole, length, np.minimum(length, share))


class Generator:
    """Builds the candidate arc set for a set of active mentees and mentors."""

    def __init__(
        self, model: Model, active_mentors: IntArray, capacity: IntArray,
        forbidden: IntArray, settings: Settings,
    ) -> None:
        self.model = model
        self.index = Index(model, active_mentors, capacity)
        self.forbidden = forbidden
        self.s = settings

    # -- pools -----------------------------------------------------------
    def _block_pool(self, rows: IntArray, width: int, centred: bool = False) -> IntArray:
        """Whole blocks (``centred=False``) or a window of each block around the mentee."""
        ix = self.index
        owner, blocks = ix.blocks_of(rows)
        start, length = ix.block_ptr[blocks], ix.block_size[blocks]
        if not centred:
            return _fill(owner, start, length, ix.block_mentors, len(rows), width)
        take = _water_fill(owner, length, width)
        offset = ix.window_start(ix.block_sorted, blocks, start, length, take, rows[owner])
        return _fill(owner, start + offset, take, ix.block_mentors, len(rows), width)

    def _tag_pool(self, rows: IntArray, width: int) -> IntArray:
        """Mentors offering each wanted tag, nearest (time zone, level) first."""
        ix = self.index
        assert ix.tags is not None
        csr = self.model.mentees.csr[ix.tags.key]
        b_owner, blocks = ix.blocks_of(rows)
        n_tags = np.diff(csr.indptr)[rows[b_owner]]
        owner, pos = _expand(csr.indptr[rows[b_owner]], n_tags)
        key = blocks[owner] * ix.vocab + csr.indices[pos].astype(np.int64)
        length = ix.post_ptr[key + 1] - ix.post_ptr[key]
        row = b_owner[owner]
        order = np.lexsort((key, length, row))  # rarest wanted tag first
        row, key, length = row[order], key[order], length[order]
        start = ix.post_ptr[key]
        take = _water_fill(row, length, width)
        offset = ix.window_start(ix.post_sorted, key, start, length, take, rows[row])
        return _fill(row, start + offset, take, ix.post_mentors, len(rows), width)

    # -- scoring -------------------------------------------------------
    def _score(self, rows: IntArray, pool: IntArray) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
        pool.sort(axis=1)
        pool[:, 1:][pool[:, 1:] == pool[:, :-1]] = -1  # same mentor reached twice
        valid = pool >= 0
        mentors = np.where(valid, pool, 0)
        score, ok = self.model.evaluate(rows[:, None], mentors)
        ok &= valid
        if len(self.forbidden):
            keys = rows[:, None] * np.int64(self.model.mentors.size) + mentors
            ok &= ~np.isin(keys, self.forbidden)
        return score, ok

    def _select(
        self, rows: IntArray, pool: IntArray, k: IntArray | None, out: list[tuple[IntArray, ...]]
    ) -> IntArray:
        """Score a pool chunk, append the top ``k`` feasible arcs per row; return feasible counts."""
        score, ok = self._score(rows, pool)
        feasible = ok.sum(axis=1).astype(np.int64)
        if k is None:  # keep every feasible arc
            r, c = np.nonzero(ok)
            out.append((rows[r], pool[r, c], score[r, c]))
            return feasible
        masked = np.where(ok, score, -np.inf).astype(np.float32)
        kmax = int(min(k.max(initial=1), pool.shape[1]))
        if pool.shape[1] > kmax:
            top = np.argpartition(-masked, kmax - 1, axis=1)[:, :kmax]
        else:
            top = np.broadcast_to(np.arange(pool.shape[1]), pool.shape)
        top_score = np.take_along_axis(masked, top, axis=1)
        order = np.argsort(-top_score, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        top_score = np.take_along_axis(top_score, order, axis=1)
        keep = (np.arange(kmax) < k[:, None]) & np.isfinite(top_score)
        r, c = np.nonzero(keep)
        out.append((rows[r], np.take_along_axis(pool, top, axis=1)[r, c], top_score[r, c]))
        return feasible

    def _chunks(self, n: int, width: int) -> range:
        return range(0, n, max(1, self.s.chunk_cells // max(width, 1)))

    def _exhaustive(
        self, rows: IntArray, widths: IntArray, k: IntArray | None, out: list[tuple[IntArray, ...]]
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
            feasible[sel] = self._select(rows[sel], self._block_pool(rows[sel], width), kk, out)
            start = end
        return feasible

    def generate(self, mentees: IntArray) -> Candidates:
        """Candidate arcs for the given (active) mentees."""
        n_all = self.model.mentees.size
        feasible = np.zeros(n_all, np.int64)
        complete = np.zeros(n_all, bool)
        out: list[tuple[IntArray, ...]] = []
        reach = self.index.reach(mentees)
        n_mentors = int(len(np.unique(self.index.block_mentors)))
        if len(mentees) * n_mentors <= self.s.complete_pairs:
            feasible[mentees] = self._exhaustive(mentees, reach, None, out)
            complete[mentees] = True
            return self._pack(out, feasible, complete)
        ratio = self.index.supply_ratio(mentees)
        k = np.clip(np.ceil(self.s.k * 1.5 / np.maximum(ratio, 1e-9)), self.s.k, 3 * self.s.k).astype(np.int64)
        small = reach <= self.s.pool
        if small.any():
            sel = np.flatnonzero(small)
            feasible[mentees[sel]] = self._exhaustive(mentees[sel], reach[sel], k[sel], out)
            complete[mentees[sel]] = True
        big = np.flatnonzero(~small)
        tag_width = self.s.pool - self.s.random_fill if self.index.tags is not None else 0
        short = []
        for lo in self._chunks(len(big), self.s.pool):
            sel = big[lo:lo + max(1, self.s.chunk_cells // self.s.pool)]
            rows = mentees[sel]
            pool = np.full((len(rows), self.s.pool), -1, np.int64)
            if tag_width:
                pool[:, :tag_width] = self._tag_pool(rows, tag_width)
            pool[:, tag_width:] = self._block_pool(rows, self.s.pool - tag_width, centred=True)
            found = self._select(rows, pool, k[sel], out)
            feasible[rows] = found
            short.append(sel[found < k[sel]])
        lacking = np.concatenate(short) if short else np.zeros(0, np.int64)
        if len(lacking):
            rows = mentees[lacking]
            feasible[rows] = self._exhaustive(rows, reach[lacking], k[lacking], out)
            complete[rows] = True
        return self._pack(out, feasible, complete)

    def scan(self, mentees: IntArray, k: int) -> Candidates:
        """Exact top-``k`` over the whole blocks of the given mentees."""
        out: list[tuple[IntArray, ...]] = []
        feasible = np.zeros(self.model.mentees.size, np.int64)
        complete = np.zeros(self.model.mentees.size, bool)
        reach = self.index.reach(mentees)
        feasible[mentees] = self._exhaustive(mentees, reach, np.full(len(mentees), k), out)
        complete[mentees] = True
        return self._pack(out, feasible, complete)

    @staticmethod
    def _pack(out: list[tuple[IntArray, ...]], feasible: IntArray, complete: NDArray[np.bool_]) -> Candidates:
        if not out:
            empty = np.zeros(0, np.int64)
            return Candidates(empty, empty, np.zeros(0, np.float32), feasible, complete)
        mentee = np.concatenate([o[0] for o in out]).astype(np.int64)
        mentor = np.concatenate([o[1] for o in out]).astype(np.int64)
        score = np.concatenate([o[2] for o in out]).astype(np.float32)
        return Candidates(mentee, mentor, score, feasible, complete)
