"""Every family's sampler against its closed forms and scipy.stats.

Tolerances come from the sampling error: means within 4.5 standard errors, variances within
4.5 standard errors of the variance estimate, and the Kolmogorov-Smirnov statistic below its
0.1% critical value. Seeds are fixed, so each test has one outcome; a correct sampler fails
one of these checks with probability well under 1e-4.
"""
import math

import numpy as np
import pytest
from scipy import stats

from simulator import ScenarioError
from simulator.distributions.base import _TABLES, TABLE_CELLS, DataBuilder
from simulator.scenario.model import parse_distribution as parse

N = 400_000
Z = 4.5

CONTINUOUS = [
    {"dist": "uniform", "min": -3.0, "max": 7.0},
    {"dist": "triangular", "min": 3, "mode": 6, "max": 12},
    {"dist": "triangular", "min": 0, "mode": 0, "max": 1},
    {"dist": "pert", "min": 30_000, "mode": 36_000, "max": 50_000},
    {"dist": "pert", "min": 0, "mode": 1, "max": 10, "lambda": 2},
    {"dist": "normal", "mean": 120_000, "sd": 8_000},
    {"dist": "normal", "mean": 0.05, "sd": 0.03, "min": 0},
    {"dist": "normal", "mean": 0, "sd": 1, "min": 3, "max": 4},
    {"dist": "lognormal", "mu": 12, "sigma": 0.8},
    {"dist": "lognormal", "low": 150_000, "high": 600_000},
    {"dist": "lognormal", "low": 1, "high": 10, "confidence": 0.8},
    {"dist": "beta", "a": 2, "b": 18},
    {"dist": "beta", "a": 0.5, "b": 0.5, "min": 10, "max": 20},
    {"dist": "gamma", "shape": 2.5, "scale": 1000},
    {"dist": "gamma", "shape": 0.4, "scale": 3},
]
COUNTS = [
    {"dist": "poisson", "mean": 0.03},
    {"dist": "poisson", "mean": 3},
    {"dist": "poisson", "mean": 250},
    {"dist": "bernoulli", "p": 0.02},
    {"dist": "negative_binomial", "mean": 3, "dispersion": 0.7},
    {"dist": "negative_binomial", "mean": 40, "dispersion": 5},
    {"dist": "discrete", "values": [0, 1, 5], "weights": [0.5, 0.3, 0.2]},
]


def _ids(cases):
    return [",".join(f"{k}={v}" for k, v in c.items()) for c in cases]


def _check_moments(x: np.ndarray, exact_mean: float, exact_var: float) -> None:
    n = x.size
    se_mean = math.sqrt(exact_var / n)
    assert abs(x.mean() - exact_mean) <= Z * se_mean + 1e-12 * abs(exact_mean)
    centred = x - exact_mean
    m4 = float(np.mean(centred**4))
    se_var = math.sqrt(max(m4 - exact_var**2, 0.0) / n)
    assert abs(x.var() - exact_var) <= Z * se_var + 1e-9 * exact_var


@pytest.mark.parametrize("spec", CONTINUOUS, ids=_ids(CONTINUOUS))
def test_continuous_sampler_matches_scipy(spec):
    d = parse(spec)
    x = d.sample(N, seed=12345)
    ref = d.scipy()
    _check_moments(x, float(ref.mean()), float(ref.var()))
    res = stats.kstest(x, ref.cdf)
    critical = stats.kstwo.ppf(0.999, N)
    assert res.statistic < critical


@pytest.mark.parametrize("spec", COUNTS, ids=_ids(COUNTS))
def test_count_sampler_matches_pmf(spec):
    d = parse(spec)
    x = d.sample(N, seed=2024)
    ref = d.scipy()
    _check_moments(x, float(ref.mean()), float(ref.var()))
    # Chi-square over the values holding 99.99% of the mass, tail pooled.
    lo, hi = ref.ppf(5e-5), ref.ppf(1 - 5e-5)
    values = np.arange(lo, hi + 1)
    probs = np.array([ref.cdf(v) - ref.cdf(v - 1) for v in values]) if spec["dist"] == "discrete" \
        else ref.pmf(values)
    keep = probs * N >= 5
    observed = np.array([np.count_nonzero(x == v) for v in values[keep]])
    expected = probs[keep] * N
    rest_obs, rest_exp = N - observed.sum(), N - expected.sum()
    if rest_exp >= 5:
        observed = np.append(observed, rest_obs)
        expected = np.append(expected, rest_exp)
    else:
        expected = expected * observed.sum() / expected.sum()
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    assert chi2 < stats.chi2.ppf(0.999, max(observed.size - 1, 1))


def test_empirical_resamples_each_value_equally():
    values = [3.0, 1.0, 4.0, 1.5, 9.0]
    x = parse({"dist": "empirical", "values": values}).sample(N, seed=7)
    assert set(np.unique(x)) == set(values)
    counts = np.array([np.count_nonzero(x == v) for v in values])
    chi2 = float(((counts - N / 5) ** 2 / (N / 5)).sum())
    assert chi2 < stats.chi2.ppf(0.999, 4)


def test_constant_is_exact():
    d = parse(42_000)
    assert d.describe() == "42000"
    assert np.all(d.sample(1000, seed=1) == 42_000.0)


def test_lognormal_range_sets_the_percentiles():
    d = parse({"dist": "lognormal", "low": 100_000, "high": 8_000_000})
    np.testing.assert_allclose(d.quantile([0.05, 0.95]), [100_000, 8_000_000], rtol=1e-12)
    d80 = parse({"dist": "lognormal", "low": 1, "high": 10, "confidence": 0.8})
    np.testing.assert_allclose(d80.quantile([0.1, 0.9]), [1, 10], rtol=1e-12)


def test_pert_mean_is_the_classic_formula():
    d = parse({"dist": "pert", "min": 30_000, "mode": 36_000, "max": 50_000})
    assert d.mean() == pytest.approx((30_000 + 4 * 36_000 + 50_000) / 6, rel=1e-12)


def test_truncated_normal_stays_inside_its_bounds():
    x = parse({"dist": "normal", "mean": 0, "sd": 1, "min": 3, "max": 4}).sample(N, seed=3)
    assert x.min() >= 3 and x.max() <= 4


def test_tabulated_quantile_error_is_within_one_cell():
    # The documented bound: the sampled CDF is within 1/TABLE_CELLS of the exact CDF.
    d = parse({"dist": "beta", "a": 2, "b": 18})
    u = np.random.default_rng(0).random(200_000)
    from simulator.distributions.base import DataBuilder
    from simulator.engine import kernels as K

    data = DataBuilder()
    code, p = d.compile(data)
    x = np.empty_like(u)
    K.fill_ppf(u, code, p, data.array(), x, np.empty_like(u))
    assert np.max(np.abs(d.scipy().cdf(x) - u)) <= 1.0 / TABLE_CELLS


def test_gamma_table_reaches_far_into_the_tail():
    d = parse({"dist": "gamma", "shape": 2, "scale": 1})
    from simulator.distributions.base import DataBuilder
    from simulator.engine import kernels as K

    data = DataBuilder()
    code, p = d.compile(data)
    for u in (1 - 1e-6, 1 - 1e-9, 1e-7):
        got = K.ppf(u, code, p, data.array())
        assert got == pytest.approx(float(d.scipy().ppf(u)), rel=2e-3)


@pytest.mark.parametrize("spec, field", [
    ({"dist": "uniform", "min": 2, "max": 1}, "max"),
    ({"dist": "triangular", "min": 0, "mode": 5, "max": 4}, "mode"),
    ({"dist": "pert", "min": 0, "mode": 1, "max": 2, "lambda": 0}, "lambda"),
    ({"dist": "normal", "mean": 0, "sd": -1}, "sd"),
    ({"dist": "lognormal", "low": 5, "high": 5}, "high"),
    ({"dist": "lognormal", "mu": 1}, ""),
    ({"dist": "beta", "a": 0, "b": 1}, "a"),
    ({"dist": "gamma", "shape": 1, "scale": 0}, "scale"),
    ({"dist": "poisson", "mean": -1}, "mean"),
    ({"dist": "bernoulli", "p": 1.5}, "p"),
    ({"dist": "discrete", "values": [1, 2], "weights": [1]}, "weights"),
    ({"dist": "empirical", "values": []}, "values"),
])
def test_impossible_parameters_are_refused(spec, field):
    with pytest.raises(ScenarioError) as info:
        parse(spec)
    text = str(info.value)
    assert field in text


# --- uncertain rates ----------------------------------------------------------------------

GAMMA_RATE = {"dist": "gamma", "shape": 2.0, "scale": 1.5}


def test_uncertain_poisson_closed_forms_match_the_negative_binomial():
    d = parse({"dist": "poisson", "mean": GAMMA_RATE})
    nb = stats.nbinom(2.0, 1 / (1 + 1.5))  # a gamma mixture of Poissons
    assert d.mean() == pytest.approx(nb.mean(), rel=1e-12)
    # The mixture's cdf and std are averages over 4096 rate nodes: accurate to about 1e-4.
    assert d.std() == pytest.approx(nb.std(), rel=1e-3)
    k = np.arange(15)
    np.testing.assert_allclose(d.cdf(k), nb.cdf(k), atol=2e-4)


def test_posterior_is_the_conjugate_gamma_update():
    d = parse({"dist": "poisson", "prior": {"dist": "gamma", "shape": 1.0, "scale": 0.2},
               "observed_events": 2, "observed_years": 5})
    post = d.posterior()
    assert (post.shape, post.scale) == (3.0, pytest.approx(0.1))
    assert d.mean() == pytest.approx(0.3)
    assert "2 events in 5 years" in d.describe()


def test_uncertain_rate_sample_follows_the_mixture():
    d = parse({"dist": "poisson", "mean": GAMMA_RATE})
    x = d.sample(100_000, seed=1)
    nb = stats.nbinom(2.0, 1 / (1 + 1.5))
    assert abs(x.mean() - nb.mean()) < 4.5 * nb.std() / np.sqrt(x.size)


@pytest.mark.parametrize("value, fragment", [
    ({"dist": "poisson", "mean": {"dist": "normal", "mean": 1, "sd": 1}}, "must stay within"),
    ({"dist": "bernoulli", "p": {"dist": "uniform", "min": 0.5, "max": 1.5}}, "must stay within"),
    ({"dist": "poisson", "mean": {"dist": "poisson", "mean": 1}}, "'poisson' is not allowed here"),
    ({"dist": "poisson"}, "give either mean"),
    ({"dist": "poisson", "mean": 1, "observed_events": 2, "observed_years": 5}, "update a prior"),
    ({"dist": "poisson", "prior": GAMMA_RATE, "observed_events": 2}, "go together"),
])
def test_bad_uncertain_rates_are_refused(value, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse(value)


# --- mixture --------------------------------------------------------------------------------

MIX = {"dist": "mixture", "weights": [2, 1],
       "components": [{"dist": "lognormal", "low": 50_000, "high": 400_000},
                      {"dist": "pert", "min": 100_000, "mode": 200_000, "max": 900_000}]}


def _mix_parts():
    return (stats.lognorm(s=(math.log(400_000) - math.log(50_000)) / (2 * stats.norm.ppf(0.95)),
                          scale=math.sqrt(50_000 * 400_000)),
            stats.beta(1 + 4 * 100_000 / 800_000, 1 + 4 * 700_000 / 800_000, loc=100_000,
                       scale=800_000))


def test_mixture_closed_forms_are_the_weighted_components():
    d = parse(MIX)
    a, b = _mix_parts()
    assert d.mean() == pytest.approx(2 / 3 * a.mean() + 1 / 3 * b.mean(), rel=1e-12)
    x = np.array([60_000.0, 150_000.0, 300_000.0, 1e6])
    np.testing.assert_allclose(d.scipy().cdf(x), 2 / 3 * a.cdf(x) + 1 / 3 * b.cdf(x),
                               rtol=1e-12)
    q = np.array([1e-12, 0.01, 0.5, 0.99, 1 - 1e-12])
    np.testing.assert_allclose(d.scipy().cdf(d.quantile(q)), q, rtol=1e-9, atol=1e-15)


def test_mixture_samples_follow_its_cdf():
    d = parse(MIX)
    x = d.sample(200_000, seed=2)
    assert stats.kstest(x, d.scipy().cdf).statistic < 2.15 / math.sqrt(x.size)
    assert abs(x.mean() - d.mean()) < 4.5 * d.std() / math.sqrt(x.size)


@pytest.mark.parametrize("value, fragment", [
    ({**MIX, "weights": [1]}, "one entry per component"),
    ({**MIX, "weights": [0, 0]}, "not all zero"),
    ({"dist": "mixture", "components": [{"dist": "poisson", "mean": 1}]},
     "'poisson' is not allowed here"),
    ({"dist": "mixture", "components": [MIX]}, "'mixture' is not allowed here"),
])
def test_bad_mixtures_are_refused(value, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse(value)


def test_mixture_can_be_an_uncertain_rate():
    rate = {"dist": "mixture", "components": [{"dist": "uniform", "min": 0.01, "max": 0.02},
                                              {"dist": "uniform", "min": 0.05, "max": 0.1}]}
    d = parse({"dist": "poisson", "mean": rate})
    assert d.mean() == pytest.approx(0.5 * 0.015 + 0.5 * 0.075)


# --- closed forms from scipy.special (what validation and compiling use) ----------------------

FAST_CASES = [
    {"dist": "uniform", "min": 0.03, "max": 0.05},
    {"dist": "triangular", "min": 3, "mode": 6, "max": 12},
    {"dist": "triangular", "min": 3, "mode": 3, "max": 12},
    {"dist": "pert", "min": 30_000, "mode": 36_000, "max": 50_000},
    {"dist": "normal", "mean": 120_000, "sd": 8_000},
    {"dist": "normal", "mean": 10, "sd": 2, "min": 0, "max": 20},
    {"dist": "normal", "mean": 0, "sd": 1, "min": 3, "max": 5},
    {"dist": "lognormal", "low": 150_000, "high": 600_000},
    {"dist": "lognormal", "mu": 12.206, "sigma": 2.5},
    {"dist": "beta", "a": 0.5, "b": 0.7, "min": 1, "max": 3},
    {"dist": "gamma", "shape": 0.4, "scale": 25_000},
    {"dist": "poisson", "mean": 0.03},
    {"dist": "poisson", "mean": 3000},
    {"dist": "negative_binomial", "mean": 6.5, "dispersion": 5},
    {"dist": "negative_binomial", "mean": 3, "dispersion": 0.2},
    {"dist": "bernoulli", "p": 0.03},
]


@pytest.mark.parametrize("spec", FAST_CASES, ids=lambda s: str(s))
def test_special_function_closed_forms_match_scipy_stats(spec):
    d = parse(spec)
    exact, closed = d.scipy(), d.closed_form()
    q = np.concatenate([np.linspace(0.001, 0.999, 199), [1e-9, 0.5, 1 - 1e-9]])
    np.testing.assert_allclose(closed.ppf(q), exact.ppf(q), rtol=1e-9)
    x = np.unique(exact.ppf(np.linspace(0.01, 0.99, 99)))
    x = np.concatenate([x, x - 0.5, x + 0.5])
    np.testing.assert_allclose(closed.cdf(x), exact.cdf(x), rtol=1e-9, atol=1e-15)
    assert tuple(map(float, closed.support())) == tuple(map(float, exact.support()))
    if spec["dist"] in ("poisson", "negative_binomial"):
        assert closed.isf(1e-15) == exact.isf(1e-15)  # where a count table is cut


def test_loading_and_compiling_the_examples_does_not_import_scipy_stats():
    import subprocess
    import sys

    code = ("import sys, glob\n"
            "from simulator import load_scenario\n"
            "from simulator.scenario.compiled import compile_scenario\n"
            "for f in sorted(glob.glob('scenarios/*.toml')):\n"
            "    compile_scenario(load_scenario(f))\n"
            "print('scipy.stats' in sys.modules)\n")
    root = __import__("pathlib").Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                         check=True).stdout.strip()
    assert out == "False"  # 0.6 s of every run's start-up


# --- uncertain severity size --------------------------------------------------------------

SIZED = {"dist": "lognormal", "mu": {"dist": "normal", "mean": 12, "sd": 0.5}, "sigma": 1.2}


def test_uncertain_mu_closed_forms_are_the_mixture():
    d = parse(SIZED)
    assert d.mean() == pytest.approx(math.exp(12 + 0.125 + 0.72), rel=1e-5)
    # Mixing a lognormal's mu over a normal gives a lognormal: sigma^2 adds up.
    exact = stats.lognorm(s=math.sqrt(1.2 ** 2 + 0.5 ** 2), scale=math.exp(12))
    q = np.array([0.05, 0.5, 0.95])
    np.testing.assert_allclose(d.quantile(q), exact.ppf(q), rtol=2e-3)
    x = d.sample(200_000, seed=4)
    assert stats.kstest(x, exact.cdf).statistic < 2.15 / math.sqrt(x.size)


@pytest.mark.parametrize("value, fragment", [
    ({"dist": "gamma", "shape": 2, "scale": {"dist": "normal", "mean": 1, "sd": 1}},
     "must stay positive"),
    ({"dist": "lognormal", "sigma": 1, "mu": SIZED}, "uncertain parameters of its own"),
    ({"dist": "mixture", "components": [SIZED]}, "fixed parameters"),
    ({"dist": "poisson", "mean": {"dist": "gamma", "shape": 2, "scale": {
        "dist": "uniform", "min": 1, "max": 2}}}, "uncertain parameters of its own"),
])
def test_bad_uncertain_sizes_are_refused(value, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse(value)


@pytest.mark.parametrize("lo, hi", [(0.0, 1.0), (-3.5, 12.25), (1e-3, 7e8), (30_000.0, 36_000.5)])
def test_uniform_mean_is_scipys_to_the_bit_without_scipy(lo, hi):
    from scipy import stats

    from simulator.distributions.continuous import Uniform

    u = Uniform(dist="uniform", min=lo, max=hi)
    assert u.mean() == float(stats.uniform(loc=lo, scale=hi - lo).mean())


def test_a_quantile_table_is_built_once_per_distribution():
    pert = parse({"dist": "pert", "min": 1.0, "mode": 2.0, "max": 9.0})
    first, second = DataBuilder(), DataBuilder()
    pert.compile(first)
    pert.compile(second)
    assert _TABLES[pert.model_dump_json()] is not None
    np.testing.assert_array_equal(first.array(), second.array())
    other = DataBuilder()
    parse({"dist": "pert", "min": 1.0, "mode": 3.0, "max": 9.0}).compile(other)
    assert not np.array_equal(first.array(), other.array())  # another shape, another table


# --- scipy-free normal functions and bounds (validation without scipy) ---------------------

def test_ndtri_table_is_scipys_to_the_bit():
    from scipy import special

    from simulator.distributions import gauss

    for level, z in gauss.NDTRI_AT.items():
        assert z == float(special.ndtri(level))
        assert gauss.ndtri(np.asarray(level)) == special.ndtri(level)
        assert type(gauss.ndtri(level)) is type(special.ndtri(np.asarray(level)))
    q = np.array([0.01, 0.95, 0.3])
    np.testing.assert_array_equal(gauss.ndtri(q), special.ndtri(q))


def test_ndtr_is_scipys_to_the_bit():
    """Every branch of Cephes' ndtr (erf below |a| = 1, erfc's two approximations, the
    underflow to 0 and 1), over a million points and the ends."""
    from scipy import special

    from simulator.distributions import gauss

    rng = np.random.default_rng(2026)
    a = np.concatenate([rng.uniform(-40.0, 40.0, 400_000), rng.normal(0.0, 2.0, 400_000),
                        rng.uniform(-1.5, 1.5, 200_000),
                        [0.0, -0.0, 1.0, -1.0, 2.0 ** 0.5, 8.0 * 2.0 ** 0.5, 37.5, -37.5,
                         38.5, -38.5, 1e-300, -1e-300, np.inf, -np.inf]])
    mine = np.array([gauss.ndtr(float(x)) for x in a])
    np.testing.assert_array_equal(mine, special.ndtr(a))
    assert math.isnan(gauss.ndtr(math.nan))


def test_ndtri_near_is_within_its_bound_of_scipys():
    from scipy import special

    from simulator.distributions import gauss

    rng = np.random.default_rng(6)
    p = np.concatenate([rng.random(100_000), 10.0 ** rng.uniform(-300, 0, 20_000),
                        1 - 10.0 ** rng.uniform(-16, 0, 20_000), [2.0 ** -53, 0.5]])
    assert np.abs(gauss.ndtri_near(p) - special.ndtri(p)).max() <= gauss.NDTRI_ABS
    np.testing.assert_array_equal(gauss.ndtri_near([0.0, 1.0, -0.1, 1.1, np.nan]),
                                  [-np.inf, np.inf, np.nan, np.nan, np.nan])


BOUNDED = [
    {"dist": "normal", "mean": 136_600, "sd": 12_000, "min": 100_000},
    {"dist": "normal", "mean": 5000, "sd": 3000, "min": 0},
    {"dist": "normal", "mean": 0, "sd": 1, "min": 3},
    {"dist": "normal", "mean": 10, "sd": 2, "max": 9},
    {"dist": "normal", "mean": 10, "sd": 2, "max": 40},
    {"dist": "normal", "mean": 1e308, "sd": 1e308, "min": 0},
    {"dist": "normal", "mean": 10, "sd": 2},
    {"dist": "normal", "mean": 10, "sd": 2, "min": 0, "max": 20},
    {"dist": "lognormal", "low": 5_000, "high": 200_000},
    {"dist": "lognormal", "mu": 10, "sigma": 50},
    {"dist": "lognormal", "mu": {"dist": "normal", "mean": 10, "sd": 0.5}, "sigma": 1.0},
    {"dist": "gamma", "shape": 2, "scale": {"dist": "uniform", "min": 1000, "max": 3000}},
    {"dist": "pert", "min": 1, "mode": 3, "max": 10},
] + [{"dist": "gamma", "shape": k, "scale": 0.5} for k in (1e-3, 0.05, 0.4, 2, 30, 1e4, 1e7)]


@pytest.mark.parametrize("spec", BOUNDED, ids=lambda s: str(s))
def test_draw_range_bounds_hold_the_exact_ends(spec):
    d = parse(spec)
    (a, b), (lo, hi) = d.draw_range_bounds(), d.draw_range()
    assert a <= lo and hi <= b


@pytest.mark.parametrize("family", ["poisson", "negative_binomial"])
def test_count_draw_range_bounds_hold_scipys_extreme_quantile(family):
    # The bound is a tail inequality; what it must hold is scipy's own quantile at 1 - 2^-53
    # (through the closed forms), over rates from nearly 0 to the 1e6 limit and past it (a
    # negative binomial's exact quantile is a slow search beyond a few thousand).
    if family == "poisson":
        cases = [({}, m) for m in np.geomspace(1e-6, 1e6, 60)] + [({}, 3e6)]
    else:
        cases = [({"dispersion": r}, m) for r in (0.2, 0.7, 5.0)
                 for m in np.geomspace(1e-6, 3e3, 20)]
    for extra, mean in cases:
        d = parse({"dist": family, "mean": min(float(mean), 1e6), **extra})
        factor = mean / 1e6 if mean > 1e6 else 1.0
        assert d.draw_range_bounds(factor)[1] >= d.draw_range(factor)[1], (extra, mean)


@pytest.mark.parametrize("spec", [{"dist": "normal", "mean": 110_000, "sd": 6_000},
                                  {"dist": "normal", "mean": 0.03, "sd": 0.01},
                                  {"dist": "lognormal", "low": 0.01, "high": 0.9}])
def test_cdf_bounds_hold_the_cdf(spec):
    d = parse(spec)
    for x in (-1.0, -1e-300, 0.0, 0.02, 0.5, 1.0, 90_000.0, 130_000.0):
        lo, hi = d.cdf_bounds(x)
        assert lo <= float(d.cdf(x)) <= hi


def test_truncation_window_check_is_scipys():
    from scipy import special

    from simulator.distributions.continuous import _window_empty

    ndtr = special.ndtr
    for a in np.concatenate([np.linspace(6.9, 7.2, 301), [-np.inf, -3.0, 0.0, 30.0]]):
        for width in (0.01, 0.5, np.inf if a > -np.inf else 1.0):
            b = a + width
            assert _window_empty(a, b) == bool(ndtr(b) - ndtr(a) < 1e-12
                                               and ndtr(-a) - ndtr(-b) < 1e-12), (a, b)
            assert _window_empty(-b, -a) == bool(ndtr(-a) - ndtr(-b) < 1e-12
                                                 and ndtr(b) - ndtr(a) < 1e-12), (a, b)


def test_lognormal_quantile_near_is_within_its_bound():
    d = parse({"dist": "lognormal", "mu": 12.2061, "sigma": 2.574})
    u = np.concatenate([np.linspace(0.0, 0.99, 1001), 1 - np.logspace(-2, -15, 201)])
    near, rel = d.quantile_near(u)
    exact = d.quantile(u)
    assert np.all(np.abs(near - exact) <= rel * exact)
    assert parse(SIZED).quantile_near(u) is None
