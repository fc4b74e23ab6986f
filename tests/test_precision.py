"""Precision targets beyond the mean (simulator.results.precision): where a run stops, and the
interval half-widths it stops on."""
import math

import numpy as np
import pytest

from simulator import scenario_from_dict, simulate
from simulator.engine.run import CHECK_EVERY, CHUNK_SIZE, Precision
from simulator.results.precision import Targets, half_width, parse
from simulator.results.stats import Z95

BATCH = CHECK_EVERY * CHUNK_SIZE


def fast_scenario():
    return scenario_from_dict({
        "scenario": {"name": "fast", "horizon_years": 1},
        "workforce": {"onshore_fte": 1, "offshore_fte": 1, "offshore_cost_per_fte": 50_000,
                      "onshore_cost_per_fte": {"dist": "normal", "mean": 60_000, "sd": 20_000,
                                               "min": 0}}})


@pytest.fixture(scope="module")
def full():
    return simulate(fast_scenario(), trials=3 * BATCH, seed=9, threads=2)


@pytest.mark.parametrize("stat", ["p5", "p95", "cvar5", "prob_loss"])
def test_run_stops_at_the_first_batch_meeting_the_target(full, stat):
    widths = [half_width(full.net_savings[:b * BATCH], stat) for b in (1, 2, 3)]
    goal = 0.5 * (widths[0] + widths[1])  # met after two batches, not after one
    assert widths[1] <= goal < widths[0]
    r = simulate(fast_scenario(), trials=3 * BATCH, seed=9, threads=2,
                 precision=Targets(((stat, goal),)))
    assert r.trials == 2 * BATCH
    assert r.precision["met"] and r.precision["targets"][stat]["half_width"] == widths[1]
    np.testing.assert_array_equal(r.net_savings, full.net_savings[:2 * BATCH])


def test_stop_is_identical_with_one_or_two_threads(full):
    goal = half_width(full.net_savings[:2 * BATCH], "p95") * 1.001
    t = Targets((("p95", goal), ("prob_loss", 0.5)))
    a = simulate(fast_scenario(), trials=3 * BATCH, seed=9, threads=1, precision=t)
    b = simulate(fast_scenario(), trials=3 * BATCH, seed=9, threads=2, precision=t)
    assert a.trials == b.trials and a.summary()["net_savings"] == b.summary()["net_savings"]


def test_unmet_target_runs_every_trial_and_says_so():
    r = simulate(fast_scenario(), trials=BATCH + 10, seed=9, threads=2,
                 precision=Targets((("p5", 1e-9),)))
    assert r.trials == BATCH + 10 and not r.precision["met"]


def test_percentile_half_width_matches_the_normal_closed_form():
    # Order-statistic interval of the 95th percentile of n standard normals: half-width
    # about z sqrt(q (1 - q) / n) / phi(x_q); its own relative error is about 1 / sqrt(2 n q').
    n, q = 400_000, 0.95
    x = np.random.default_rng(4).standard_normal(n)
    xq = 1.6448536269514722
    exact = Z95 * math.sqrt(q * (1 - q) / n) / (math.exp(-xq * xq / 2) / math.sqrt(2 * math.pi))
    k = Z95 * math.sqrt(n * q * (1 - q))  # ranks between the interval's ends
    assert half_width(x, "p95") == pytest.approx(exact, rel=5 / math.sqrt(k))


def test_prob_loss_half_width_is_never_zero():
    assert half_width(np.ones(1000), "prob_loss") > 0


def test_streamed_runs_refuse_targets_that_need_the_trials():
    with pytest.raises(ValueError, match="need the trials"):
        simulate(fast_scenario(), trials=1000, store_trials=False,
                 precision=Targets((("p95", 1.0),)))


def test_parse_keeps_the_mean_target_and_reads_statistic_targets():
    assert parse("0.5%") == Precision(relative=0.005)
    assert parse("10000") == Precision(absolute=10000.0)
    assert parse("p95=20000, prob_loss=0.002") == Targets((("p95", 20000.0),
                                                           ("prob_loss", 0.002)))
    for bad in ("p99=5", "p95=-1", "prob_loss=2", "p5=1,p5=2"):
        with pytest.raises(ValueError):
            parse(bad)


def test_targets_read_back_from_their_spec():
    t = Targets((("p5", 15000.0), ("prob_loss", 0.001)))
    assert Targets.parse(t.spec()) == t
