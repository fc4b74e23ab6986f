"""Sampling designs: Latin hypercube and Sobol are stratified within each chunk, reproducible,
and reduce the standard error of the mean on a smooth scenario."""
import numpy as np
import pytest

from simulator import CHUNK_SIZE, scenario_from_dict, simulate
from simulator.engine.sampling import SAMPLING, sampling_design, sobol, uniforms

KEYS = np.array([11, 22, 33], dtype=np.uint32)


def design(sampling, n=4096, chunk=0, seed=1):
    out = np.empty((KEYS.size, n))
    return sampling_design(KEYS, seed, chunk, sampling, out, np.empty(2 * n))


def test_mc_rows_are_each_inputs_own_stream():
    d = design("mc")
    for r, key in enumerate(KEYS):
        np.testing.assert_array_equal(d[r], uniforms(1, 0, key, np.empty(4096)))


def test_lhs_puts_exactly_one_point_in_every_stratum():
    n = 4096
    d = design("lhs", n)
    for row in d:
        np.testing.assert_array_equal(np.sort(np.floor(row * n)), np.arange(n))


def test_lhs_columns_are_independently_permuted():
    d = design("lhs", 4096)
    strata = np.floor(d * 4096)
    assert not np.array_equal(strata[0], strata[1])
    # Rank correlation of two independent permutations: about N(0, 1/n).
    rho = np.corrcoef(strata[0], strata[1])[0, 1]
    assert abs(rho) < 4.5 / np.sqrt(4096)


def test_sobol_points_are_balanced_in_every_dyadic_interval():
    n = 4096
    d = design("sobol", n)
    # A (t, m, s)-net in base 2: the first 2^12 points of each coordinate fill every
    # interval [k / 2^12, (k + 1) / 2^12) exactly once.
    for row in d:
        np.testing.assert_array_equal(np.sort(np.floor(row * n)), np.arange(n))
    assert np.all((d > 0) & (d < 1))


def test_sobol_scrambling_depends_on_seed_and_chunk():
    a, b, c = sobol(1, 0, 2, 64), sobol(1, 1, 2, 64), sobol(2, 0, 2, 64)
    assert not np.array_equal(a, b) and not np.array_equal(a, c)
    np.testing.assert_array_equal(a, sobol(1, 0, 2, 64))


def test_unknown_sampling_is_refused():
    with pytest.raises(ValueError, match="mc, lhs, sobol"):
        design("halton")


SMOOTH = {
    "scenario": {"name": "smooth", "horizon_years": 3, "discount_rate": 0.08},
    "workforce": {"onshore_fte": 20, "offshore_fte": 24,
                  "onshore_cost_per_fte": {"dist": "normal", "mean": 120_000, "sd": 8_000},
                  "offshore_cost_per_fte": {"dist": "pert", "min": 30_000, "mode": 36_000,
                                            "max": 50_000},
                  "offshore_cost_growth": {"dist": "uniform", "min": 0.05, "max": 0.10},
                  "ramp_up_months": {"dist": "triangular", "min": 3, "mode": 6, "max": 12}},
}


def chunk_means(sampling, chunks=16):
    r = simulate(scenario_from_dict(SMOOTH), trials=chunks * CHUNK_SIZE, seed=3,
                 sampling=sampling, store_trials=True)
    return r.net_savings.reshape(chunks, CHUNK_SIZE).mean(axis=1), r


@pytest.mark.parametrize("sampling", ["lhs", "sobol"])
def test_design_reduces_the_standard_error_of_the_mean(sampling):
    # Chunks are independent replicates, so the spread of chunk means is the honest error.
    mc, _ = chunk_means("mc")
    other, _ = chunk_means(sampling)
    assert other.std(ddof=1) < 0.1 * mc.std(ddof=1)
    # And both estimate the same mean (within the plain Monte Carlo error).
    se = np.sqrt(mc.var(ddof=1) / mc.size + other.var(ddof=1) / other.size)
    assert abs(mc.mean() - other.mean()) < 4.5 * se


@pytest.mark.parametrize("sampling", SAMPLING)
def test_design_is_recorded_in_the_provenance(sampling):
    _, r = chunk_means(sampling, chunks=1)
    assert r.provenance()["sampling"] == sampling


def test_batch_means_standard_error_matches_the_spread_of_chunk_means():
    from simulator.results.stats import summarize

    means, r = chunk_means("lhs")
    s = summarize(r)["net_savings"]
    assert s["stderr"] == pytest.approx(means.std(ddof=1) / np.sqrt(means.size), rel=1e-9)
    assert s["stderr_method"] == "batch means over 16 chunks (lhs)"
    # The independent-trials formula would overstate it many times over.
    assert s["stderr"] < 0.2 * r.net_savings.std() / np.sqrt(r.trials)


def test_precision_target_stops_an_lhs_run_on_batch_means():
    from simulator.engine.run import Precision

    r = simulate(scenario_from_dict(SMOOTH), trials=64 * CHUNK_SIZE, seed=3, sampling="lhs",
                 precision=Precision(relative=0.0002), store_trials=False)
    assert r.precision["met"] and r.trials == 8 * CHUNK_SIZE
    mc = simulate(scenario_from_dict(SMOOTH), trials=64 * CHUNK_SIZE, seed=3, sampling="mc",
                  precision=Precision(relative=0.0002), store_trials=False)
    assert mc.trials > 8 * CHUNK_SIZE  # plain Monte Carlo needs more for the same target


def test_sweep_tornado_and_compare_take_the_design():
    from simulator.analysis.compare import compare
    from simulator.analysis.sensitivity import tornado
    from simulator.analysis.sweep import Axis, sweep

    s = scenario_from_dict(SMOOTH)
    axis = Axis.parse("workforce.offshore_fte=20:24:2")
    mc = sweep(s, [axis], trials=2 * CHUNK_SIZE, seed=1)
    lhs = sweep(s, [axis], trials=2 * CHUNK_SIZE, seed=1, sampling="lhs")
    assert all(b["stderr"] < a["stderr"] for a, b in zip(mc["rows"], lhs["rows"], strict=False))
    t = tornado(s, trials=CHUNK_SIZE, seed=1, sampling="sobol")
    assert t["rows"] and t["base_mean"] != tornado(s, trials=CHUNK_SIZE, seed=1)["base_mean"]
    c = compare([s, s], ["a", "b"], trials=1000, seed=1, sampling="lhs")
    assert all(r.sampling == "lhs" for r in c.results)


def test_running_batch_half_widths_agree_with_batch_means_at_every_chunk():
    from simulator.results.mcerror import batch_means, running_batch_half_widths

    rng = np.random.default_rng(5)
    n = np.full(40, float(CHUNK_SIZE))
    n[-1] = 1234.0
    s = rng.normal(1e6, 3e3, 40) * n
    moments = np.column_stack([n, s, np.zeros(40)])
    running = running_batch_half_widths(moments)
    assert np.isnan(running[0])
    for k in range(2, 41):
        assert running[k - 1] == pytest.approx(batch_means(moments[:k], 0.0)[2], rel=1e-9)
