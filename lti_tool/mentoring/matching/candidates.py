"""Candidate generation: which (mentee, mentor) arcs the solver may use.

Scoring all N x M pairs is too slow for large cohorts, so:

* **Blocking** - one ``must_share`` constraint on a set or category (the most
  selective one) splits mentors into blocks; a mentee only looks at the
  blocks of its own values (e.g. the languages it speaks).
* **Pools** - each mentee gets a fixed-width pool of mentors: the whole block
  when it is small, otherwise mentors from the inverted tag index (rarest
  wanted tags first, so mentors sharing many tags are never missed: a mentor
  sharing ``s`` of ``w`` wanted tags offers one of any ``w - s + 1`` of them)
  topped up with random mentors of the block for diversity.
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

from .scoring import CODE_KINDS, SET_KINDS, Criterion, Kind, Model, Rule

IntArray = NDArray[np.int64]
_HASH = np.int64(2654435761)


@dataclass(frozen=True)
class Settings:
    """Tuning knobs (see :class:`~.engine.SolveOptions`)."""

    k: int = 8
    pool: int = 192
    random_fill: int = 48
    complete_pairs: int = 1_000_000
    chunk_cells: int = 1_500_000
    seed: int = 0


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
        self.block_ptr, self.block_mentors = _group(blocks, rows, n_blocks)
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


def _expand(starts: IntArray, lengths: IntArray) -> tuple[IntArray, IntArray]:
    """Owner and position arrays for concatenated ranges ``[start, start+len)``."""
    lengths = lengths.astype(np.int64)
    owner = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    first = np.cumsum(lengths) - lengths
    pos = np.arange(int(lengths.sum()), dtype=np.int64) - first[owner] + starts.astype(np.int64)[owner]
    return owner, pos


def _fill(
    seg_row: IntArray, seg_start: IntArray, seg_len: IntArray, source: IntArray,
    n_rows: int, width: int, rotate: IntArray | None = None,
) -> IntArray:
    """Fixed-width pool: per row, the first ``width`` ids of its segments in order.

    A truncated segment starts at a row-specific offset (``rotate``) so that
    mentees sharing a popular tag see different slices of it.
    """
    pool = np.full((n_rows, width), -1, np.int64)
    if len(seg_row) == 0:
        return pool
    before = np.cumsum(seg_len) - seg_len
    first = np.searchsorted(seg_row, seg_row, side="left")
    at = before - before[first]
    take = np.clip(width - at, 0, seg_len)
    offset = np.zeros_like(take)
    if rotate is not None:
        cut = take < seg_len
        offset[cut] = rotate[cut] % (seg_len[cut] - take[cut] + 1)
    owner, pos = _expand(seg_start + offset, take)
    col = at[owner] + (pos - seg_start[owner] - offset[owner])
    pool[seg_row[owner], col] = source[pos]
    return pool


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
        self.rng = np.random.default_rng(settings.seed)

    # -- pools -----------------------------------------------------------
    def _block_pool(self, rows: IntArray, width: int) -> IntArray:
        owner, blocks = self.index.blocks_of(rows)
        ix = self.index
        return _fill(owner, ix.block_ptr[blocks], ix.block_size[blocks], ix.block_mentors, len(rows), width)

    def _tag_pool(self, rows: IntArray, width: int) -> IntArray:
        ix = self.index
        assert ix.tags is not None
        csr = self.model.mentees.csr[ix.tags.key]
        b_owner, blocks = ix.blocks_of(rows)
        n_tags = np.diff(csr.indptr)[rows[b_owner]]
        owner, pos = _expand(csr.indptr[rows[b_owner]], n_tags)
        tag = csr.indices[pos].astype(np.int64)
        key = blocks[owner] * ix.vocab + tag
        length = ix.post_ptr[key + 1] - ix.post_ptr[key]
        row = b_owner[owner]
        order = np.lexsort((key, length, row))  # rarest wanted tag first
        row, key, length = row[order], key[order], length[order]
        rotate = (rows[row] * _HASH + key * 40503) & 0x7FFFFFFF
        return _fill(row, ix.post_ptr[key], length, ix.post_mentors, len(rows), width, rotate)

    def _random_top_up(self, rows: IntArray, pool: IntArray) -> None:
        r, c = np.nonzero(pool < 0)
        if len(r) == 0:
            return
        ix = self.index
        g = rows[r]
        nb = ix.mentee_ptr[g + 1] - ix.mentee_ptr[g]
        has = nb > 0
        r, c, g, nb = r[has], c[has], g[has], nb[has]
        draws = self.rng.integers(0, 1 << 30, size=(2, len(r)))
        block = ix.mentee_blocks[ix.mentee_ptr[g] + draws[0] % nb]
        size = ix.block_size[block]
        ok = size > 0
        pick = ix.block_ptr[block[ok]] + draws[1][ok] % size[ok]
        pool[r[ok], c[ok]] = ix.block_mentors[pick]

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
            self._random_top_up(rows, pool)
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
