"""Streamed statistics against exact ones computed on the very same trials."""
import numpy as np
import pytest

from simulator import load_scenario, simulate
from simulator.engine.run import Precision
from simulator.results.stats import PERCENTILES, summarize
from simulator.results.streaming import BINS


@pytest.fixture(scope="module")
def pair(request):
    from pathlib import Path

    s = load_scenario(Path(__file__).parent / "data" / "minimal.toml")
    exact = simulate(s, trials=300_000, seed=21, store_trials=True)
    streamed = simulate(s, trials=300_000, seed=21, store_trials=False)
    return exact, streamed


def bin_width(result, v=0):
    return float(result.stream.width[v])


def test_streamed_run_keeps_no_trials(pair):
    _, streamed = pair
    assert not streamed.stored and streamed.net_savings is None
    with pytest.raises(ValueError, match="kept no trials"):
        _ = streamed.components


def test_streamed_moments_counts_and_extremes_match_exact(pair):
    exact, streamed = pair
    e, s = summarize(exact)["net_savings"], summarize(streamed)["net_savings"]
    assert s["mean"] == pytest.approx(e["mean"], rel=1e-12)
    assert s["std"] == pytest.approx(e["std"], rel=1e-9)
    assert s["prob_loss"] == e["prob_loss"]
    assert s["min"] == e["min"] and s["max"] == e["max"]


def test_streamed_percentiles_are_within_one_bin_of_exact(pair):
    exact, streamed = pair
    e, s = summarize(exact)["net_savings"], summarize(streamed)["net_savings"]
    width = bin_width(streamed)
    for p in PERCENTILES:
        error = abs(s[f"p{p}"] - e[f"p{p}"])
        assert error <= width
        # ...far below the Monte Carlo error: under 5% of the 95% interval's half-width.
        lo, hi = e["percentile_ci95"][f"p{p}"]
        assert error <= 0.05 * (hi - lo) / 2
    assert abs(s["cvar_5"] - e["cvar_5"]) <= width


def test_streamed_component_bands_are_within_one_bin_of_exact(pair):
    exact, streamed = pair
    ce, cs = summarize(exact)["components"], summarize(streamed)["components"]
    for i, name in enumerate(ce):
        width = bin_width(streamed, 2 + i)
        assert cs[name]["mean"] == pytest.approx(ce[name]["mean"], rel=1e-9, abs=1e-6)
        for key in ("p5", "p95"):
            assert abs(cs[name][key] - ce[name][key]) <= width


def test_streamed_exceedance_is_exact_at_the_bin_edges(pair):
    exact, streamed = pair
    losses = exact.risk_losses
    t, p = streamed.chart_data().exceedance["All risk events"]
    t, p = t[t > 1.0], p[t > 1.0]  # the first bin also holds losses below 1
    expected = np.array([np.mean(losses >= x) for x in t])
    np.testing.assert_allclose(p, expected, rtol=0, atol=1e-12)


def test_streamed_results_are_bit_identical_for_any_thread_count():
    from pathlib import Path

    s = load_scenario(Path(__file__).parent / "data" / "minimal.toml")
    one = simulate(s, trials=600_000, seed=3, store_trials=False, threads=1)
    two = simulate(s, trials=600_000, seed=3, store_trials=False, threads=2)
    a, b = summarize(one), summarize(two)
    a["provenance"].pop("created"), b["provenance"].pop("created")
    assert a == b


def test_streaming_memory_does_not_grow_with_trials(pair):
    _, streamed = pair
    assert streamed.stream.counts[0].size == BINS + 2
    assert streamed.stream.totals.nbytes < 10_000


def test_precision_target_stops_the_run_once_met():
    from pathlib import Path

    s = load_scenario(Path(__file__).parent / "data" / "minimal.toml")
    target = Precision(relative=0.005)
    r = simulate(s, trials=20_000_000, seed=5, precision=target, store_trials=False)
    assert r.precision["met"] and r.trials < 20_000_000
    assert r.precision["relative_half_width"] <= 0.005
    again = simulate(s, trials=20_000_000, seed=5, precision=target, store_trials=False,
                     threads=1)
    assert again.trials == r.trials and summarize(again)["net_savings"] == summarize(r)["net_savings"]


@pytest.mark.parametrize("text, expected", [
    ("0.5%", Precision(relative=0.005)), ("10000", Precision(absolute=10000.0)),
])
def test_precision_parses_relative_and_absolute_targets(text, expected):
    assert Precision.parse(text) == expected


@pytest.mark.parametrize("text", ["0%", "-3", "abc", "150%", "nan"])
def test_precision_refuses_nonsense(text):
    with pytest.raises(ValueError, match="precision"):
        Precision.parse(text)
