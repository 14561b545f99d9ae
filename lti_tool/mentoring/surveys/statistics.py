"""The statistics of an evaluation, in plain Python: the paired before/after difference with its
standard deviation, effect size (Cohen's d_z and its Hedges-corrected g_z) and 95% confidence
interval, and Welch's comparison of two independent groups (mentors and mentees).

The t quantile is computed here rather than taken from SciPy (not a dependency): the Student t
distribution function through the regularized incomplete beta (Lentz's continued fraction), inverted
by Newton's method kept inside a bracket. It agrees with published tables to the last printed digit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: The confidence level of every interval the evaluation shows.
CONFIDENCE = 0.95
_EPS = 1e-15
_TINY = 1e-300


def mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("the mean of no values")
    return math.fsum(values) / len(values)


def sd(values: Sequence[float]) -> float:
    """The sample standard deviation (n - 1 in the denominator); needs two values."""
    if len(values) < 2:
        raise ValueError("a standard deviation needs at least two values")
    centre = mean(values)
    return math.sqrt(math.fsum((v - centre) ** 2 for v in values) / (len(values) - 1))


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta (modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 20000):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            step = d * c
            h *= step
        if abs(step - 1.0) < _EPS:
            return h
    return h  # pragma: no cover - converges in O(sqrt(max(a, b))) steps


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if not 0.0 <= x <= 1.0:
        raise ValueError("x must lie in [0, 1]")
    if x in (0.0, 1.0):
        return x
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_pdf(t: float, df: float) -> float:
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_c - (df + 1) / 2 * math.log1p(t * t / df))


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (df may be fractional, as
    Welch's are): t_quantile(0.975, 5) = 2.5706."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must lie strictly between 0 and 1")
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if p == 0.5:
        return 0.0
    low, high = 0.0, 2.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2.0
    t = (low + high) / 2.0
    for _ in range(200):
        error = t_cdf(t, df) - p
        if error < 0:
            low = t
        else:
            high = t
        slope = t_pdf(t, df)
        step = t - error / slope if slope > 0 else (low + high) / 2.0
        if not low < step < high:  # Newton left the bracket: bisect instead
            step = (low + high) / 2.0
        if abs(step - t) <= 1e-13 * max(1.0, abs(t)):
            return step
        t = step
    return t  # pragma: no cover - Newton converges in a handful of steps


def _critical(df: float) -> float:
    return t_quantile(1.0 - (1.0 - CONFIDENCE) / 2.0, df)


def hedges_factor(df: float) -> float:
    """The exact small-sample correction J(df) = Γ(df/2) / (sqrt(df/2) Γ((df-1)/2))."""
    return math.exp(math.lgamma(df / 2) - math.lgamma((df - 1) / 2) - 0.5 * math.log(df / 2))


@dataclass(frozen=True)
class Paired:
    """Before and after for the same people: ``n`` pairs and what their differences say."""

    n: int
    mean_before: float
    mean_after: float
    mean_diff: float  # after - before
    sd_diff: float | None  # None with one pair
    ci_low: float | None
    ci_high: float | None
    d_z: float | None  # mean difference / SD of differences; None when every difference is equal
    g_z: float | None  # d_z with Hedges' small-sample correction


def paired(before: Sequence[float], after: Sequence[float]) -> Paired:
    """The paired difference of ``after`` and ``before`` (same people, same order)."""
    if len(before) != len(after):
        raise ValueError("before and after must have one value per person")
    if not before:
        raise ValueError("no pairs")
    n = len(before)
    diffs = [a - b for b, a in zip(before, after, strict=True)]
    mean_diff = mean(diffs)
    if n < 2:
        return Paired(n, mean(before), mean(after), mean_diff, None, None, None, None, None)
    spread = sd(diffs)
    margin = _critical(n - 1) * spread / math.sqrt(n)
    d_z = mean_diff / spread if spread > 0 else None
    g_z = d_z * hedges_factor(n - 1) if d_z is not None and n > 2 else None
    return Paired(
        n, mean(before), mean(after), mean_diff, spread, mean_diff - margin, mean_diff + margin, d_z, g_z
    )


@dataclass(frozen=True)
class Welch:
    """Two independent groups compared (``a`` minus ``b``) without assuming equal variances."""

    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    diff: float
    df: float | None
    ci_low: float | None
    ci_high: float | None
    d: float | None  # the difference over the pooled SD (Cohen's d)


def welch(a: Sequence[float], b: Sequence[float]) -> Welch:
    """Welch's difference of means with its Welch-Satterthwaite interval; needs two values a group."""
    if len(a) < 2 or len(b) < 2:
        raise ValueError("Welch's comparison needs at least two values in each group")
    n_a, n_b = len(a), len(b)
    var_a, var_b = sd(a) ** 2, sd(b) ** 2
    diff = mean(a) - mean(b)
    share_a, share_b = var_a / n_a, var_b / n_b
    pooled = math.sqrt(((n_a - 1) * var_a + (n_b - 1) * var_b) / (n_a + n_b - 2))
    d = diff / pooled if pooled > 0 else None
    se2 = share_a + share_b
    if se2 == 0:
        return Welch(n_a, n_b, mean(a), mean(b), diff, None, diff, diff, d)
    df = se2**2 / (share_a**2 / (n_a - 1) + share_b**2 / (n_b - 1))
    margin = _critical(df) * math.sqrt(se2)
    return Welch(n_a, n_b, mean(a), mean(b), diff, df, diff - margin, diff + margin, d)
