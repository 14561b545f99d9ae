"""The evaluation's statistics against published values (t tables, R's t.test on Student's sleep
data) and the properties any correct implementation keeps."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lti_tool.mentoring.surveys.statistics import (
    hedges_factor,
    incomplete_beta,
    paired,
    sd,
    t_cdf,
    t_quantile,
    welch,
)

# Student's sleep data (Cushny and Peebles, 1905): extra hours of sleep, the same ten patients.
DRUG_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
DRUG_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


@pytest.mark.parametrize(
    ("p", "df", "expected"),
    [
        (0.975, 1, 12.706),
        (0.975, 2, 4.303),
        (0.975, 5, 2.571),
        (0.975, 10, 2.228),
        (0.975, 30, 2.042),
        (0.975, 1000, 1.962),
        (0.995, 1, 63.657),
        (0.995, 20, 2.845),
        (0.95, 7, 1.895),
        (0.9995, 3, 12.924),
    ],
)
def test_t_quantiles_match_the_printed_tables(p: float, df: int, expected: float) -> None:
    assert round(t_quantile(p, df), 3) == expected


def test_t_quantile_tends_to_the_normal_one_and_handles_fractional_degrees() -> None:
    assert t_quantile(0.975, 10**6) == pytest.approx(1.959964, abs=1e-5)
    # Between its integer neighbours, as Welch's fractional degrees of freedom need.
    assert t_quantile(0.975, 6) < t_quantile(0.975, 5.5) < t_quantile(0.975, 5)
    assert t_quantile(0.5, 4) == 0.0
    assert t_quantile(0.025, 5) == pytest.approx(-2.570582, abs=1e-6)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5])
def test_t_quantile_refuses_probabilities_outside_the_open_interval(bad: float) -> None:
    with pytest.raises(ValueError):
        t_quantile(bad, 3)
    with pytest.raises(ValueError):
        t_quantile(0.9, 0)


def test_incomplete_beta_known_values() -> None:
    assert incomplete_beta(1, 1, 0.3) == pytest.approx(0.3)  # uniform
    assert incomplete_beta(2, 3, 0.4) == pytest.approx(0.5248)  # 1 - sum of binomial terms
    assert incomplete_beta(2, 2, 0.0) == 0.0 and incomplete_beta(2, 2, 1.0) == 1.0


@settings(max_examples=150, deadline=None)
@given(p=st.floats(0.001, 0.999), df=st.floats(0.5, 5000))
def test_the_quantile_inverts_the_distribution_function(p: float, df: float) -> None:
    t = t_quantile(p, df)
    assert t_cdf(t, df) == pytest.approx(p, abs=1e-9)
    assert t_quantile(1 - p, df) == pytest.approx(-t, rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(df=st.floats(1, 500))
def test_more_degrees_of_freedom_mean_a_smaller_critical_value(df: float) -> None:
    assert t_quantile(0.975, df + 1) < t_quantile(0.975, df)
    assert t_quantile(0.975, df) > 1.959963


def test_paired_difference_of_the_sleep_data_matches_r() -> None:
    # R: t.test(DRUG_2, DRUG_1, paired = TRUE) -> mean difference 1.58, 95% CI 0.7001142 2.4598858
    result = paired(DRUG_1, DRUG_2)
    assert result.n == 10
    assert result.mean_before == pytest.approx(0.75) and result.mean_after == pytest.approx(2.33)
    assert result.mean_diff == pytest.approx(1.58)
    assert result.sd_diff == pytest.approx(1.229995, abs=1e-6)
    assert result.ci_low == pytest.approx(0.7001142, abs=1e-6)
    assert result.ci_high == pytest.approx(2.4598858, abs=1e-6)
    assert result.d_z == pytest.approx(1.58 / 1.229995, abs=1e-5)  # t / sqrt(n) = 4.0621 / sqrt(10)
    assert result.g_z == pytest.approx(result.d_z * hedges_factor(9))


def test_hedges_factor_is_close_to_its_usual_approximation() -> None:
    for df in (5, 10, 40):
        assert hedges_factor(df) == pytest.approx(1 - 3 / (4 * df - 1), abs=2e-3)
    assert hedges_factor(3) == pytest.approx(math.gamma(1.5) / (math.sqrt(1.5) * math.gamma(1)))


def test_welch_on_the_sleep_groups_matches_r() -> None:
    # R: t.test(DRUG_1, DRUG_2) -> df 17.776, 95% CI -3.3654832 0.2054832
    result = welch(DRUG_1, DRUG_2)
    assert result.diff == pytest.approx(-1.58)
    assert result.df == pytest.approx(17.776, abs=1e-3)
    assert result.ci_low == pytest.approx(-3.3654832, abs=1e-6)
    assert result.ci_high == pytest.approx(0.2054832, abs=1e-6)


def test_degenerate_inputs() -> None:
    one = paired([3.0], [4.0])
    assert one.mean_diff == 1.0 and one.sd_diff is None and one.ci_low is None and one.d_z is None
    same = paired([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])  # everyone rose by exactly one point
    assert same.sd_diff == 0.0 and same.ci_low == same.ci_high == 1.0 and same.d_z is None
    flat = welch([2.0, 2.0], [3.0, 3.0])
    assert flat.diff == -1.0 and flat.df is None and flat.ci_low == flat.ci_high == -1.0
    with pytest.raises(ValueError):
        paired([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        paired([], [])
    with pytest.raises(ValueError):
        welch([1.0], [1.0, 2.0])
    with pytest.raises(ValueError):
        sd([1.0])


scores = st.lists(st.floats(1, 5), min_size=2, max_size=40)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), shift=st.floats(-3, 3))
def test_paired_properties(data: st.DataObject, shift: float) -> None:
    before = data.draw(scores)
    after = data.draw(st.lists(st.floats(1, 5), min_size=len(before), max_size=len(before)))
    result = paired(before, after)
    assert result.ci_low is not None and result.ci_high is not None
    assert result.ci_low <= result.mean_diff <= result.ci_high
    assert result.mean_diff == pytest.approx(result.mean_after - result.mean_before, abs=1e-9)
    # Adding the same to every score moves the means, not the difference.
    moved = paired([b + shift for b in before], [a + shift for a in after])
    assert moved.mean_diff == pytest.approx(result.mean_diff, abs=1e-9)
    assert moved.ci_high - moved.ci_low == pytest.approx(result.ci_high - result.ci_low, abs=1e-9)
    # Swapping before and after mirrors everything.
    swapped = paired(after, before)
    assert swapped.mean_diff == pytest.approx(-result.mean_diff, abs=1e-12)
    assert swapped.ci_low == pytest.approx(-result.ci_high, abs=1e-9)
    if result.d_z is not None and swapped.d_z is not None:
        assert swapped.d_z == pytest.approx(-result.d_z, abs=1e-9)
        if result.g_z is not None:
            assert abs(result.g_z) < abs(result.d_z)  # Hedges' correction shrinks small samples


@settings(max_examples=100, deadline=None)
@given(a=scores, b=scores)
def test_welch_properties(a: list[float], b: list[float]) -> None:
    result = welch(a, b)
    mirrored = welch(b, a)
    assert result.diff == pytest.approx(-mirrored.diff, abs=1e-12)
    assert result.ci_low is not None and result.ci_high is not None
    assert result.ci_low <= result.diff <= result.ci_high
    if result.df is not None:
        # Welch's degrees of freedom lie between the smaller group's and the pooled test's.
        assert min(len(a), len(b)) - 1 - 1e-9 <= result.df <= len(a) + len(b) - 2 + 1e-9
