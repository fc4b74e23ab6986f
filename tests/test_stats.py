"""Statistics against closed forms."""
import math

import numpy as np
import pytest
from scipy import stats

from simulator.results.stats import (
    describe,
    exceedance_curve,
    expected_shortfall,
    expected_shortfall_stderr,
    mean_and_band,
    percentile_ci,
    prob_below,
    sample_std,
    sorted_exceedance_curve,
    sorted_histogram,
    sorted_quantiles,
)


def test_expected_shortfall_of_a_normal_matches_the_closed_form():
    n = 2_000_000
    x = np.random.default_rng(5).normal(10.0, 2.0, n)
    exact = 10.0 - 2.0 * stats.norm.pdf(stats.norm.ppf(0.05)) / 0.05
    # Standard error of the tail mean: sqrt(var of tail + (1-a)(VaR-ES)^2 ... ) / sqrt(a n);
    # bounded here by 2 * sd / sqrt(a n).
    se = 2 * 2.0 / math.sqrt(0.05 * n)
    assert abs(expected_shortfall(x, 0.05) - exact) < 4.5 * se


def test_expected_shortfall_stderr_matches_the_spread_over_repeated_runs():
    rng = np.random.default_rng(8)
    runs = [rng.exponential(1.0, 20_000) for _ in range(300)]
    spread = np.std([expected_shortfall(-x) for x in runs], ddof=1)
    estimate = np.mean([expected_shortfall_stderr(-x) for x in runs])
    # The spread of 300 runs is itself known to about 1 / sqrt(2 * 299), about 4%.
    assert estimate == pytest.approx(spread, rel=0.15)


def test_expected_shortfall_weights_the_boundary_value():
    x = np.arange(1.0, 11.0)  # 10 values, alpha 0.15 -> 1.5 of them
    assert expected_shortfall(x, 0.15) == pytest.approx((1 + 0.5 * 2) / 1.5)
    assert expected_shortfall(x, 1.0) == pytest.approx(5.5)


def test_prob_below_counts_strictly_negative_values():
    assert prob_below(np.array([-1.0, 0.0, 0.0, 2.0])) == 0.25


def test_describe_percentiles_and_stderr_of_a_uniform():
    n = 1_000_000
    x = np.random.default_rng(9).uniform(-1, 3, n)
    d = describe(x)
    sd = 4 / math.sqrt(12)
    assert abs(d["mean"] - 1.0) < 4.5 * sd / math.sqrt(n)
    assert d["stderr"] == pytest.approx(sd / math.sqrt(n), rel=0.01)
    for p in (5, 10, 25, 50, 75, 90, 95):
        q = p / 100
        # Order-statistic standard error: sqrt(q(1-q)/n) / density, density 1/4.
        se = math.sqrt(q * (1 - q) / n) * 4
        assert abs(d[f"p{p}"] - (-1 + 4 * q)) < 4.5 * se
    assert abs(d["prob_loss"] - 0.25) < 4.5 * math.sqrt(0.25 * 0.75 / n)
    assert d["ci95"][0] < d["mean"] < d["ci95"][1]


def test_exceedance_curve_of_an_exponential_matches_the_survival_function():
    n = 1_000_000
    x = np.random.default_rng(2).exponential(1000.0, n)
    t, p = exceedance_curve(x, points=50)
    exact = np.exp(-t / 1000.0)
    se = np.sqrt(exact * (1 - exact) / n)
    assert np.all(np.abs(p - exact) <= 4.5 * se + 1.0 / n)


def test_exceedance_curve_without_losses_is_empty():
    t, p = exceedance_curve(np.zeros(10))
    assert t.size == 0 and p.size == 0


def test_streamed_expected_shortfall_stderr_agrees_with_exact():
    from pathlib import Path

    from simulator import load_scenario, simulate
    from simulator.results.stats import summarize

    s = load_scenario(Path(__file__).parent / "data" / "minimal.toml")
    exact = summarize(simulate(s, trials=200_000, seed=4, store_trials=True))
    streamed = summarize(simulate(s, trials=200_000, seed=4, store_trials=False))
    assert streamed["net_savings"]["cvar_5_stderr"] == pytest.approx(
        exact["net_savings"]["cvar_5_stderr"], rel=0.01)


def test_exceedance_curve_counts_exactly_the_losses_above_each_threshold():
    rng = np.random.default_rng(4)
    x = rng.lognormal(10.0, 2.0, 20_000) * (rng.random(20_000) < 0.3)
    t, p = exceedance_curve(x)
    assert np.array_equal(p, np.array([np.count_nonzero(x > v) for v in t]) / x.size)


def test_statistics_read_off_sorted_trials_equal_those_of_the_trials():
    """The exact path sorts net savings once; every figure must be what the unsorted
    formulas give (the tail's standard error only up to the order of summation)."""
    x = np.random.default_rng(6).standard_t(3, 100_001)
    xs = np.sort(x)
    plain, fast = describe(x), describe(x, xs)
    se = fast.pop("cvar_5_stderr")
    assert se == pytest.approx(plain.pop("cvar_5_stderr"), rel=1e-12)
    assert fast == plain
    assert percentile_ci(xs, presorted=True) == percentile_ci(x)


def _samples():
    """Arrays of several sizes and shapes, ties and zeros included."""
    rng = np.random.default_rng(12)
    yield np.array([3.5])
    yield np.array([2.0, -1.0])
    yield rng.normal(0.0, 1.0, 1001)
    yield rng.lognormal(10.0, 2.0, 99_999) * (rng.random(99_999) < 0.1)
    yield np.round(rng.normal(5.0, 3.0, 50_000))  # many ties
    yield np.zeros(7)


def test_sample_std_is_numpys_bit_for_bit():
    """Sizes on both sides of its leaf and of numpy's pairwise blocks."""
    rng = np.random.default_rng(5)
    for n in [2, 3, 8, 9, 127, 128, 129, 16_384, 16_385, 99_999, 1 << 20, 2_345_678]:
        x = rng.lognormal(3.0, 2.0, n) - 30.0
        assert sample_std(x) == x.std(ddof=1), n
    for x in _samples():
        if x.size > 1:
            assert sample_std(x) == x.std(ddof=1)


def test_sorted_quantiles_equal_numpys_bit_for_bit():
    levels = np.concatenate([np.linspace(0.0, 1.0, 1001), [0.005, 0.995, 1e-9, 1 - 1e-9]])
    for x in _samples():
        xs = np.sort(x)
        assert np.array_equal(sorted_quantiles(xs, levels), np.quantile(x, levels))
        assert np.array_equal(sorted_quantiles(xs, np.asarray((5, 50, 95)) / 100),
                              np.percentile(x, (5, 50, 95)))


def test_mean_and_band_from_sorted_trials_equals_the_plain_one():
    for x in _samples():
        assert mean_and_band(x, np.sort(x)) == mean_and_band(x)


def test_sorted_histogram_equals_numpys_counts():
    rng = np.random.default_rng(13)
    x = np.concatenate([rng.normal(0.0, 1.0, 100_000), np.linspace(-2.0, 2.0, 121)])
    xs = np.sort(x)
    for lo, hi, bins in ((-2.0, 2.0, 120), (-0.3, 1.7, 7), (float(x.min()), float(x.max()), 50)):
        expected = np.histogram(x, bins=bins, range=(lo, hi))[0]
        assert np.array_equal(sorted_histogram(xs, bins, lo, hi), expected)


def test_sorted_exceedance_curve_equals_the_unsorted_one():
    for x in _samples():
        t, p = sorted_exceedance_curve(np.sort(x))
        t0, p0 = exceedance_curve(x)
        assert np.array_equal(t, t0) and np.array_equal(p, p0)


def test_a_summary_on_all_cores_equals_the_serial_one(monkeypatch):
    from pathlib import Path

    import simulator.results.stats as stats_module
    from simulator import load_scenario, simulate

    s = load_scenario(Path(__file__).parent / "data" / "engaged.toml")
    result = simulate(s, trials=100_000, seed=3, controls=False)
    serial = stats_module.summarize(result)
    monkeypatch.setattr(stats_module, "PARALLEL_TRIALS", 0)
    parallel = stats_module.summarize(simulate(s, trials=100_000, seed=3, controls=False))
    serial.pop("provenance"), parallel.pop("provenance")
    assert parallel == serial


def test_summary_and_chart_data_do_not_depend_on_which_comes_first(monkeypatch):
    """A summary selects a loss row's band; chart data sorts it for the curve: either first,
    every figure is the same."""
    from pathlib import Path

    import simulator.results.stats as stats_module
    from simulator import load_scenario, simulate

    monkeypatch.setattr(stats_module, "PARALLEL_TRIALS", 0)
    s = load_scenario(Path(__file__).parent / "data" / "engaged.toml")
    a = simulate(s, trials=50_000, seed=4, controls=False)
    b = simulate(s, trials=50_000, seed=4, controls=False)
    summary_a, charts_a = a.summary(), a.chart_data()
    charts_b, summary_b = b.chart_data(), b.summary()
    summary_a.pop("provenance"), summary_b.pop("provenance")
    assert summary_a == summary_b
    assert charts_a.exceedance.keys() == charts_b.exceedance.keys()
    for name, (t, p) in charts_a.exceedance.items():
        assert np.array_equal(t, charts_b.exceedance[name][0])
        assert np.array_equal(p, charts_b.exceedance[name][1])
