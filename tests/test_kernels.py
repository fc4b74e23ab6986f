"""The numba kernels' building blocks against scipy's reference implementations."""
import numpy as np
import pytest
from scipy import special, stats

from simulator import kernels as K
from simulator.distributions import DataBuilder, parse


def test_norm_ppf_matches_scipy_ndtri_to_machine_precision():
    u = np.concatenate([np.linspace(1e-6, 1 - 1e-6, 20_001), np.geomspace(1e-300, 1e-6, 2000)])
    got = np.array([K.norm_ppf(p) for p in u])
    np.testing.assert_allclose(got, special.ndtri(u), rtol=1e-13, atol=1e-15)


def test_norm_ppf_is_symmetric_and_infinite_at_the_ends():
    assert K.norm_ppf(0.5) == 0.0
    assert K.norm_ppf(0.975) == pytest.approx(-K.norm_ppf(0.025), rel=1e-15)
    assert K.norm_ppf(0.0) == -np.inf
    assert K.norm_ppf(1.0) == np.inf


@pytest.mark.parametrize("spec", [
    {"dist": "poisson", "mean": 0.0}, {"dist": "poisson", "mean": 1e-4},
    {"dist": "poisson", "mean": 0.3}, {"dist": "poisson", "mean": 3.0},
    {"dist": "poisson", "mean": 29.5}, {"dist": "poisson", "mean": 700.0},
    {"dist": "poisson", "mean": 5000.0},
    {"dist": "negative_binomial", "mean": 3.0, "dispersion": 0.7},
    {"dist": "negative_binomial", "mean": 40.0, "dispersion": 5.0},
])
def test_count_inversion_returns_the_exact_quantile(spec):
    d = parse(spec)
    data = DataBuilder()
    code, p = d.compile(data)
    u = np.linspace(0.0, 1.0, 4001)[:-1] + 1e-4
    got = np.array([K.ppf(x, code, p, data.array()) for x in u])
    np.testing.assert_array_equal(got, d.scipy().ppf(u))


def test_discrete_inversion_picks_values_by_cumulative_weight():
    d = parse({"dist": "discrete", "values": [5.0, -1.0, 2.0], "weights": [1, 1, 2]})
    data = DataBuilder()
    code, p = d.compile(data)
    got = [K.ppf(u, code, p, data.array()) for u in (0.0, 0.2499, 0.25, 0.7499, 0.75, 0.9999)]
    assert got == [-1.0, -1.0, 2.0, 2.0, 5.0, 5.0]


def test_event_losses_apply_event_and_year_caps_and_discounting():
    counts = np.array([[2, 0], [1, 3]], dtype=np.int64)  # (years, trials)
    severity = np.array([10.0, 90.0, 50.0, 20.0, 30.0, 40.0])  # year 1 trial 1, year 2 ...
    out = np.empty(2)
    disc = np.array([1.0, 0.5])
    K.event_losses(counts, severity, 60.0, 80.0, disc, out)
    # trial 0: year 1 events 10, 90->60 = 70; year 2: 50 -> 0.5 * 50
    # trial 1: year 2 events 20, 30, 40 = 90 -> capped 80 -> 0.5 * 80
    np.testing.assert_allclose(out, [70 + 25, 40])


@pytest.mark.parametrize("code, params", [
    (K.UNIFORM, [2.0, 3.0]), (K.TRIANGULAR, [1.0, 2.0, 5.0, 0.25]),
    (K.NORMAL, [1.0, 2.0, 0.0, 1.0, 1.0]), (K.LOGNORMAL, [1.0, 0.5]), (K.BERNOULLI, [0.3]),
])
def test_fill_ppf_agrees_with_the_scalar_ppf(code, params):
    p = np.zeros(K.N_PARAMS)
    p[: len(params)] = params
    u = np.random.default_rng(1).random(10_000)
    out = np.empty_like(u)
    K.fill_ppf(u, code, p, np.zeros(1), out, np.empty_like(u))
    np.testing.assert_array_equal(out, [K.ppf(x, code, p, np.zeros(1)) for x in u])


@pytest.mark.parametrize("seed, chunk, key", [
    (0, 0, 1), (20260101, 7, 123456789), (5, 3, 77), (2**40 + 5, 3, 2**32 - 1),
    (2**130 + 17, 0, 5), (123, 1_500_000, 0)])
def test_sfc64_kernel_draws_exactly_numpys_uniforms(seed, chunk, key):
    from simulator.engine import stream, uniforms

    out = uniforms(seed, chunk, key, np.empty((3, 10_001)))
    expected = stream(seed, chunk, key).random(3 * 10_001).reshape(3, 10_001)
    assert np.array_equal(out, expected)


def test_sfc64_seeding_matches_numpy_for_many_seeds():
    from simulator.sampling import _run_entropy

    rng = np.random.default_rng(0)
    for seed, chunk, key in rng.integers(0, 2**32, (300, 3)).tolist():
        expected = np.random.SFC64(np.random.SeedSequence(seed, spawn_key=(chunk, key)))
        state = np.empty(4, dtype=np.uint64)
        K.sfc64_seed(np.array((*_run_entropy(seed), chunk, key), dtype=np.uint64), state)
        np.testing.assert_array_equal(state, expected.state["state"]["state"])


# --- counts at a per-trial rate, the copula and the Latin hypercube --------------------------

def _u_away_from_jumps(cdf_values, n=4000):
    # Uniforms on a grid, dropping those within 1e-10 of a cdf value, where floating-point
    # sums may legitimately round either way.
    u = (np.arange(n) + 0.5) / n
    c = np.sort(np.asarray(cdf_values))
    i = np.clip(np.searchsorted(c, u), 1, c.size - 1)
    near = np.minimum(np.abs(u - c[i - 1]), np.abs(u - c[i])) < 1e-10
    return u[~near]


@pytest.mark.parametrize("mean", [0.0, 0.03, 0.3, 3.0, 29.9, 30.0, 45.5, 1e4, 3e6])
def test_count_ppf_inverts_the_poisson_exactly(mean):
    f = stats.poisson(mean)
    u = _u_away_from_jumps(f.cdf(np.arange(int(f.ppf(1 - 1e-12)) + 2)))
    got = np.array([K.count_ppf(x, mean, 0.0, K.RATE_POISSON) for x in u])
    np.testing.assert_array_equal(got, f.ppf(u))


@pytest.mark.parametrize("mean, r", [(0.5, 0.3), (2.0, 4.0), (60.0, 0.7), (1e3, 5.0)])
def test_count_ppf_inverts_the_negative_binomial_exactly(mean, r):
    f = stats.nbinom(r, r / (r + mean))
    u = _u_away_from_jumps(f.cdf(np.arange(int(f.ppf(1 - 1e-12)) + 2)))
    got = np.array([K.count_ppf(x, mean, r, K.RATE_NEGBIN) for x in u])
    np.testing.assert_array_equal(got, f.ppf(u))


def test_count_ppf_terminates_at_the_largest_uniform():
    top = 1.0 - 2.0 ** -53
    for mean in (0.3, 5.0, 500.0):
        k = K.count_ppf(top, mean, 0.0, K.RATE_POISSON)
        assert stats.poisson(mean).sf(k) < 1e-15


def test_event_counts_at_rates_uses_each_trials_rate_and_the_factor():
    u = np.array([[0.1, 0.5, 0.9], [0.95, 0.05, 0.5]])
    rate = np.array([0.2, 2.0, 8.0])
    counts = np.empty((2, 3), dtype=np.int64)
    total = K.event_counts_at_rates(u, K.RATE_POISSON, rate, 0.5, 0.0, counts)
    expected = stats.poisson(0.5 * rate[None, :]).ppf(u)
    np.testing.assert_array_equal(counts, expected)
    assert total == expected.sum()
    K.event_counts_at_rates(u, K.RATE_BERNOULLI, np.array([0.2, 0.2, 1.0]), 1.0, 0.0, counts)
    np.testing.assert_array_equal(counts, [[1, 0, 1], [0, 1, 1]])


def test_gaussian_copula_keeps_uniform_margins_and_maps_identity_to_itself():
    rng = np.random.default_rng(4)
    u = rng.random((2, 50_000))
    same = u.copy()
    K.gaussian_copula(same, np.eye(2), np.empty_like(u))
    np.testing.assert_allclose(same, u, rtol=1e-12, atol=1e-15)
    r = 0.6
    factor = np.linalg.cholesky(np.array([[1, r], [r, 1]]))
    K.gaussian_copula(u, factor, np.empty_like(u))
    for row in u:
        assert stats.kstest(row, "uniform").statistic < 2.15 / np.sqrt(row.size)
    z = stats.norm.ppf(u)
    assert abs(np.corrcoef(z)[0, 1] - r) < 4.5 * (1 - r * r) / np.sqrt(u.shape[1])


def test_latin_hypercube_is_a_permutation_of_strata():
    n = 1000
    u = np.random.default_rng(2).random(2 * n)
    out = np.empty(n)
    K.latin_hypercube(u, out)
    np.testing.assert_array_equal(np.sort(np.floor(out * n)), np.arange(n))
    # Trial i sits at position u[n + i] within its stratum.
    np.testing.assert_allclose(out * n - np.floor(out * n), u[n:], atol=1e-9)
