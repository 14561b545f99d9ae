"""Scoring model: criteria, participant encodings and vectorised pair kernels.

Every kernel works on *broadcastable index arrays* ``i`` (mentees) and ``j``
(mentors), so the same code scores one pair, a candidate pool matrix or a full
cross product.  Scores are float32 in ``[0, 1]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from flask_babel import gettext as _
from flask_babel import ngettext
from numpy.typing import NDArray
from scipy import sparse

IntArray = NDArray[np.int64]
Float32 = NDArray[np.float32]
BoolArray = NDArray[np.bool_]

#: Hours in the weekly availability grid (7 days x 24 hours).
WEEK_HOURS = 168
_AVAIL_WORDS = 3


class Kind(StrEnum):
    """Question kinds that matter for matching, with their encoding."""

    TAGS = "tags"  #: sparse binary (mentors offer, mentees want); |offer & want| / |want|
    MULTI_CHOICE = "multi_choice"  #: sparse binary; Jaccard similarity
    LANGUAGES = "languages"  #: sparse binary; 1 when at least one is shared
    SINGLE_CHOICE = "single_choice"  #: int codes (-1 = missing); 1 when equal
    CATEGORY = "category"  #: int codes (department, team); 1 when equal
    TIMEZONE = "timezone"  #: UTC offset in minutes; 1 - distance / norm hours
    AVAILABILITY = "availability"  #: weekly hour bitmask; shared hours / wanted hours
    LEVEL = "level"  #: ordinal; best when the mentor is one level above
    SCALE = "scale"  #: 1-5 answer; 1 - |difference| / norm


class Rule(StrEnum):
    """Hard constraints a criterion can impose."""

    MUST_SHARE = "must_share"  #: sets intersect, categories equal, hours overlap
    MUST_DIFFER = "must_differ"  #: categories differ (missing values pass)
    AT_MOST = "at_most"  #: numeric distance at most ``limit``


SET_KINDS = frozenset({Kind.TAGS, Kind.MULTI_CHOICE, Kind.LANGUAGES})
CODE_KINDS = frozenset({Kind.SINGLE_CHOICE, Kind.CATEGORY})
NUMBER_KINDS = frozenset({Kind.TIMEZONE, Kind.LEVEL, Kind.SCALE})

#: Default normalisation per kind (hours, levels, scale points, hours).
_DEFAULT_NORM = {Kind.TIMEZONE: 12.0, Kind.LEVEL: 4.0, Kind.SCALE: 4.0, Kind.AVAILABILITY: 6.0}


def _plural_n(value: float) -> int:
    """Integer that picks the right plural form for ``value`` (fractions read as plural)."""
    return int(value) if float(value).is_integer() else 2


@dataclass(frozen=True)
class Criterion:
    """One questionnaire answer used for matching.

    :param key: column name in both :class:`Participants`.
    :param kind: how the column is encoded and scored.
    :param weight: share of the score (0 = constraint only).
    :param rule: optional hard constraint.
    :param limit: threshold for :attr:`Rule.AT_MOST` (hours for time zones,
        levels, scale points) or minimum shared hours for availability.
    :param label: plural noun used in explanations ("skills", "languages").
    :param norm: distance at which a numeric score reaches 0, or the hour cap
        for availability; defaults per kind.
    """

    key: str
    kind: Kind
    weight: float = 1.0
    rule: Rule | None = None
    limit: float | None = None
    label: str = ""
    norm: float | None = None

    def __post_init__(self) -> None:
        if not (self.weight >= 0 and np.isfinite(self.weight)):
            raise ValueError(f"{self.key}: weight must be a finite number >= 0")
        if self.rule is Rule.AT_MOST and (self.kind not in NUMBER_KINDS or self.limit is None):
            raise ValueError(f"{self.key}: at_most needs a numeric kind and a limit")
        if self.rule is Rule.MUST_DIFFER and self.kind not in CODE_KINDS | SET_KINDS:
            raise ValueError(f"{self.key}: must_differ needs a categorical or set kind")
        if self.norm is not None and self.norm <= 0:
            raise ValueError(f"{self.key}: norm must be positive")

    @property
    def name(self) -> str:
        """Label for messages, falling back to the key."""
        return self.label or self.key.replace("_", " ")

    def failure_text(self) -> str:
        """Plain words for "no mentor passes this constraint", in the current language."""
        name = self.name
        if self.rule is Rule.MUST_DIFFER:
            return _("no mentor has a different %(name)s", name=name)
        if self.rule is Rule.AT_MOST:
            limit = self.limit or 0.0
            if self.kind is Kind.TIMEZONE:
                return ngettext(
                    "no mentor is within %(limit)s hour (%(name)s)",
                    "no mentor is within %(limit)s hours (%(name)s)",
                    _plural_n(limit),
                    limit=f"{limit:g}",
                    name=name,
                )
            if self.kind is Kind.LEVEL:
                return ngettext(
                    "no mentor is within %(limit)s level (%(name)s)",
                    "no mentor is within %(limit)s levels (%(name)s)",
                    _plural_n(limit),
                    limit=f"{limit:g}",
                    name=name,
                )
            return ngettext(
                "no mentor is within %(limit)s point (%(name)s)",
                "no mentor is within %(limit)s points (%(name)s)",
                _plural_n(limit),
                limit=f"{limit:g}",
                name=name,
            )
        if self.kind is Kind.AVAILABILITY:
            return _("no mentor is free at the same time")
        if self.kind in SET_KINDS:
            return _("no mentor shares any of your %(name)s", name=name)
        return _("no mentor has the same %(name)s", name=name)

    def violation_text(self) -> str:
        """Plain words for "this pair breaks the constraint", in the current language.

        Uses :func:`flask_babel.gettext` at call time: the request's language
        inside a request, the default language in a job, English without an app.
        """
        name = self.name
        if self.rule is Rule.MUST_DIFFER:
            return _("same %(name)s (must differ)", name=name)
        if self.rule is Rule.AT_MOST:
            limit = self.limit or 0.0
            if self.kind is Kind.TIMEZONE:
                return ngettext(
                    "more than %(limit)s hour apart on %(name)s",
                    "more than %(limit)s hours apart on %(name)s",
                    _plural_n(limit),
                    limit=f"{limit:g}",
                    name=name,
                )
            if self.kind is Kind.LEVEL:
                return ngettext(
                    "more than %(limit)s level apart on %(name)s",
                    "more than %(limit)s levels apart on %(name)s",
                    _plural_n(limit),
                    limit=f"{limit:g}",
                    name=name,
                )
            return ngettext(
                "more than %(limit)s point apart on %(name)s",
                "more than %(limit)s points apart on %(name)s",
                _plural_n(limit),
                limit=f"{limit:g}",
                name=name,
            )
        if self.kind is Kind.AVAILABILITY:
            return _("not free at the same time")
        if self.kind in SET_KINDS:
            return _("no shared %(name)s", name=name)
        return _("different %(name)s (must be the same)", name=name)

    @property
    def scale(self) -> float:
        """Normalisation distance (or hour cap) for this criterion."""
        return self.norm if self.norm is not None else _DEFAULT_NORM.get(self.kind, 1.0)


@dataclass(frozen=True)
class Participants:
    """Columnar answers of one side (mentees or mentors) of a programme.

    Column encodings by kind: sets as (size x vocabulary) binary sparse or
    dense bool matrices; categories as int codes (-1 = missing); numbers as
    floats (NaN = missing; time zones in minutes); availability as a
    ``(size, 3)`` uint64 bitmask or a ``(size, 168)`` / ``(size, 7, 24)`` bool
    grid.

    :param blocked: optional per-person reason that keeps them out of matching
        (e.g. training not completed); passed through to the result.
    :param capacity: optional per-mentor capacity; negative = programme default.
    """

    size: int
    columns: Mapping[str, Any] = field(default_factory=dict)
    blocked: Sequence[str | None] | None = None
    capacity: NDArray[np.int64] | Sequence[int] | None = None


def tag_matrix(rows: Sequence[Iterable[int]], vocabulary: int) -> sparse.csr_matrix:
    """Build a binary CSR matrix from per-person lists of vocabulary indices."""
    lengths = np.fromiter((len(set(r)) for r in rows), dtype=np.int64, count=len(rows))
    cols = np.fromiter((c for r in rows for c in sorted(set(r))), dtype=np.int64, count=int(lengths.sum()))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    data = np.ones(len(cols), dtype=np.bool_)
    return sparse.csr_matrix((data, cols, indptr), shape=(len(rows), vocabulary))


def availability_bits(grid: NDArray[Any]) -> NDArray[np.uint64]:
    """Pack a ``(n, 7, 24)`` or ``(n, 168)`` bool grid into ``(n, 3)`` uint64 words."""
    flat = np.asarray(grid, dtype=bool).reshape(len(grid), WEEK_HOURS)
    padded = np.zeros((len(flat), 64 * _AVAIL_WORDS), dtype=bool)
    padded[:, :WEEK_HOURS] = flat
    packed = np.packbits(padded, axis=1, bitorder="little")
    return packed.view("<u8").astype(np.uint64).reshape(len(flat), _AVAIL_WORDS)


def _pack_sets(matrix: Any, size: int, words: int) -> NDArray[np.uint64]:
    csr = sparse.csr_matrix(matrix, dtype=bool)
    csr.sum_duplicates()
    csr.eliminate_zeros()
    rows = np.repeat(np.arange(csr.shape[0], dtype=np.int64), np.diff(csr.indptr))
    cols = csr.indices.astype(np.int64)
    out = np.zeros((size, words), dtype=np.uint64)
    if len(cols):
        slot = rows * words + cols // 64
        bit = np.left_shift(np.uint64(1), (cols % 64).astype(np.uint64))
        order = np.argsort(slot, kind="stable")
        slot, bit = slot[order], bit[order]
        starts = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]])
        out.reshape(-1)[slot[starts]] = np.bitwise_or.reduceat(bit, starts)
    return out


@dataclass
class Side:
    """Compiled (packed) columns of one side, keyed by criterion key."""

    size: int
    bits: dict[str, NDArray[np.uint64]] = field(default_factory=dict)
    counts: dict[str, NDArray[np.float32]] = field(default_factory=dict)
    inverse: dict[str, NDArray[np.float32]] = field(default_factory=dict)
    csr: dict[str, sparse.csr_matrix] = field(default_factory=dict)
    codes: dict[str, NDArray[np.int32]] = field(default_factory=dict)
    values: dict[str, NDArray[np.float32]] = field(default_factory=dict)


def _vocabulary(a: Participants, b: Participants, key: str) -> int:
    return max(int(np.shape(a.columns[key])[1]), int(np.shape(b.columns[key])[1]))


def compile_sides(
    mentees: Participants, mentors: Participants, criteria: Sequence[Criterion]
) -> tuple[Side, Side]:
    """Pack the columns used by ``criteria`` into kernel-friendly arrays."""
    sides = (Side(mentees.size), Side(mentors.size))
    seen: set[str] = set()
    for c in criteria:
        if c.key in seen:  # one encoding per column
            continue
        seen.add(c.key)
        for who, side in zip((mentees, mentors), sides, strict=True):
            if c.key not in who.columns:
                raise ValueError(f"column {c.key!r} missing")
            raw = who.columns[c.key]
            if c.kind in SET_KINDS:
                vocab = _vocabulary(mentees, mentors, c.key)
                csr = sparse.csr_matrix(raw, dtype=bool)
                csr.resize((who.size, vocab))
                side.csr[c.key] = csr
                side.bits[c.key] = _pack_sets(csr, who.size, (vocab + 63) // 64)
            elif c.kind is Kind.AVAILABILITY:
                arr = np.asarray(raw)
                side.bits[c.key] = (
                    arr.astype(np.uint64)
                    if arr.dtype != bool and arr.shape == (who.size, 3)
                    else availability_bits(arr)
                )
            elif c.kind in CODE_KINDS:
                side.codes[c.key] = np.asarray(raw, dtype=np.int32).reshape(who.size)
            else:
                side.values[c.key] = np.asarray(raw, dtype=np.float32).reshape(who.size)
            if c.kind is Kind.TIMEZONE:
                side.values[c.key] = np.mod(side.values[c.key], np.float32(1440))
            if c.key in side.bits:
                count = np.bitwise_count(side.bits[c.key]).sum(axis=1).astype(np.float32)
                side.counts[c.key] = count
                side.inverse[c.key] = np.divide(1, count, out=np.zeros_like(count), where=count > 0)
                side.bits[c.key] = np.ascontiguousarray(side.bits[c.key].T)
    return sides


def _shared(a: NDArray[np.uint64], b: NDArray[np.uint64], i: Any, j: Any) -> Float32:
    """Common set bits; ``a``/``b`` are word-major ``(words, n)`` for contiguous gathers."""
    shape = np.broadcast(np.asarray(i), np.asarray(j)).shape
    word = np.empty(shape, np.uint64)  # buffers reused across words: no temporaries
    bits = np.empty(shape, np.uint8)
    acc = np.zeros(shape, np.uint16 if len(a) > 3 else np.uint8)
    for w in range(len(a)):
        np.bitwise_and(a[w][i], b[w][j], out=word)
        np.bitwise_count(word, out=bits)
        acc += bits
    return acc.astype(np.float32)


def raw_measure(c: Criterion, a: Side, b: Side, i: Any, j: Any) -> Float32:
    """The plain quantity a criterion looks at for pairs ``(i, j)``.

    Shared items for sets, shared hours for availability, 1/0/NaN equality
    for categories, hours apart for time zones, mentor minus mentee for levels,
    absolute difference for scales.
    """
    k = c.key
    if c.kind in SET_KINDS or c.kind is Kind.AVAILABILITY:
        return _shared(a.bits[k], b.bits[k], i, j)
    if c.kind in CODE_KINDS:
        x, y = a.codes[k][i], b.codes[k][j]
        return np.where((x < 0) | (y < 0), np.float32(np.nan), (x == y).astype(np.float32))
    x, y = a.values[k][i], b.values[k][j]
    if c.kind is Kind.TIMEZONE:  # values are stored modulo one day
        d = np.abs(x - y)
        return np.minimum(d, np.float32(1440) - d) * np.float32(1 / 60)
    if c.kind is Kind.LEVEL:
        return y - x
    return np.abs(x - y)


def score_from_measure(c: Criterion, a: Side, i: Any, m: Float32) -> Float32:
    """Map a raw measure to a score in [0, 1] (NaN counts as 0)."""
    k = c.key
    one = np.float32(1)
    if c.kind is Kind.TAGS:
        return m * a.inverse[k][i]
    if c.kind is Kind.MULTI_CHOICE:
        raise AssertionError("multi-choice needs both counts; use criterion_scores")
    if c.kind is Kind.LANGUAGES:
        return (m > 0).astype(np.float32)
    if c.kind in CODE_KINDS:
        return (m == 0).astype(np.float32) if c.rule is Rule.MUST_DIFFER else (m == 1).astype(np.float32)
    if c.kind is Kind.AVAILABILITY:
        cap = np.minimum(a.counts[k][i], np.float32(c.scale))
        inv = np.divide(one, cap, out=np.zeros(cap.shape, np.float32), where=cap > 0)
        return np.minimum(m * inv, one)
    if c.kind is Kind.LEVEL:
        s = np.where(m >= 1, one - (m - one) * np.float32(1 / c.scale), np.float32(0))
    else:
        s = one - m * np.float32(1 / c.scale)
    return np.fmax(s, np.float32(0))  # fmax also maps NaN (missing) to 0


def criterion_scores(c: Criterion, a: Side, b: Side, i: Any, j: Any) -> tuple[Float32, Float32]:
    """Return ``(raw measure, score)`` of criterion ``c`` for pairs ``(i, j)``."""
    m = raw_measure(c, a, b, i, j)
    if c.kind is Kind.MULTI_CHOICE:
        union = a.counts[c.key][i] + b.counts[c.key][j] - m
        s = np.divide(m, union, out=np.zeros(m.shape, np.float32), where=union > 0)
        return m, s.astype(np.float32, copy=False)
    return m, score_from_measure(c, a, i, m)


def passes(c: Criterion, m: Float32) -> BoolArray:
    """Whether the raw measure ``m`` satisfies the hard constraint of ``c``."""
    if c.rule is None:
        return np.ones(np.shape(m), dtype=bool)
    if c.rule is Rule.MUST_DIFFER:
        return np.asarray(~(m >= 1) if c.kind in CODE_KINDS else m == 0)
    if c.rule is Rule.MUST_SHARE:
        if c.kind in CODE_KINDS:
            return np.asarray(m == 1)
        if c.kind is Kind.AVAILABILITY:
            return np.asarray(m >= max(c.limit or 1.0, 1.0))
        if c.kind in SET_KINDS:
            return np.asarray(m > 0)
        return np.asarray(np.abs(m) <= (c.limit or 0.0))
    return np.asarray(np.abs(m) <= np.float32(c.limit))


@dataclass
class Model:
    """Criteria plus compiled sides: everything the kernels need."""

    criteria: tuple[Criterion, ...]
    mentees: Side
    mentors: Side

    @property
    def total_weight(self) -> float:
        """Sum of criterion weights (score normaliser)."""
        return float(sum(c.weight for c in self.criteria))

    @property
    def hard(self) -> tuple[Criterion, ...]:
        """Criteria carrying a hard constraint."""
        return tuple(c for c in self.criteria if c.rule is not None)

    def evaluate(self, i: Any, j: Any, assume: Criterion | None = None) -> tuple[Float32, BoolArray]:
        """Weighted score (normalised by the weight sum) and feasibility of pairs.

        :param assume: a weight-0 constraint the caller already guarantees
            (the blocking criterion of candidate pools); it is not re-checked.
        """
        shape = np.broadcast(np.asarray(i), np.asarray(j)).shape
        total = np.zeros(shape, np.float32)
        ok = np.ones(shape, dtype=bool)
        norm = self.total_weight or 1.0
        for c in self.criteria:
            if c.weight == 0 and (c.rule is None or c is assume):
                continue
            if c.weight == 0 and c.kind in CODE_KINDS:  # integer fast path
                x, y = self.mentees.codes[c.key][i], self.mentors.codes[c.key][j]
                if c.rule is Rule.MUST_SHARE:
                    ok &= (x == y) & (x >= 0)
                else:  # must_differ: missing values pass
                    ok &= (x != y) | (x < 0)
                continue
            if c.weight > 0:
                m, s = criterion_scores(c, self.mentees, self.mentors, i, j)
                total += np.float32(c.weight / norm) * s
            else:
                m = raw_measure(c, self.mentees, self.mentors, i, j)
            if c.rule is not None:
                ok &= passes(c, m)
        return total, ok
