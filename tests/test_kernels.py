"""The numba kernels' building blocks against scipy's reference implementations."""
import math

import numpy as np
import pytest
from scipy import special, stats

from simulator import codes
from simulator.distributions.base import DataBuilder
from simulator.engine import kernels as K
from simulator.engine.sampling import stream, stream_state
from simulator.scenario.model import parse_distribution as parse


def test_norm_ppf_matches_scipy_ndtri_to_machine_precision():
    u = np.concatenate([np.linspace(1e-6, 1 - 1e-6, 20_001), np.geomspace(1e-300, 1e-6, 2000)])
    got = np.array([K.norm_ppf(p) for p in u])
    np.testing.assert_allclose(got, special.ndtri(u), rtol=1e-13, atol=1e-15)


def test_norm_ppf_is_symmetric():
    assert K.norm_ppf(0.5) == 0.0
    assert K.norm_ppf(0.975) == pytest.approx(-K.norm_ppf(0.025), rel=1e-15)


def test_norm_ppf_takes_an_exact_0_or_1_as_the_most_extreme_uniform():
    """A stream gives 0.0 once in 2^53 draws: a finite draw, within the range validation
    allows for (the quantiles at EXTREME_U and 1 - EXTREME_U), never an infinite one."""
    from simulator.distributions.gauss import EXTREME_U

    assert K.norm_ppf(0.0) == K.norm_ppf(EXTREME_U) == pytest.approx(special.ndtri(EXTREME_U))
    assert K.norm_ppf(1.0) == -K.norm_ppf(0.0)
    assert K.ppf(0.0, *compiled(parse({"dist": "lognormal", "mu": 1.0, "sigma": 2.0}))) > 0.0


def compiled(d) -> tuple[int, np.ndarray, np.ndarray]:
    """A distribution's kernel code, parameters and data table."""
    data = DataBuilder()
    code, p = d.compile(data)
    return code, p, data.array()


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
    code, p, table = compiled(d)
    u = np.linspace(0.0, 1.0, 4001)[:-1] + 1e-4
    got = np.array([K.ppf(x, code, p, table) for x in u])
    np.testing.assert_array_equal(got, d.scipy().ppf(u))


def test_discrete_inversion_picks_values_by_cumulative_weight():
    d = parse({"dist": "discrete", "values": [5.0, -1.0, 2.0], "weights": [1, 1, 2]})
    code, p, table = compiled(d)
    got = [K.ppf(u, code, p, table) for u in (0.0, 0.2499, 0.25, 0.7499, 0.75, 0.9999)]
    assert got == [-1.0, -1.0, 2.0, 2.0, 5.0, 5.0]


@pytest.mark.parametrize("code, params", [
    (codes.UNIFORM, [2.0, 3.0]), (codes.TRIANGULAR, [1.0, 2.0, 5.0, 0.25]),
    (codes.NORMAL, [1.0, 2.0, 0.0, 1.0, 1.0]), (codes.LOGNORMAL, [1.0, 0.5]), (codes.BERNOULLI, [0.3]),
])
def test_fill_ppf_agrees_with_the_scalar_ppf(code, params):
    p = np.zeros(codes.N_PARAMS)
    p[: len(params)] = params
    u = np.random.default_rng(1).random(10_000)
    out = np.empty_like(u)
    K.fill_ppf(u, code, p, np.zeros(1), out, np.empty_like(u))
    np.testing.assert_array_equal(out, [K.ppf(x, code, p, np.zeros(1)) for x in u])


@pytest.mark.parametrize("seed, chunk, key", [
    (0, 0, 1), (20260101, 7, 123456789), (5, 3, 77), (2**40 + 5, 3, 2**32 - 1),
    (2**130 + 17, 0, 5), (123, 1_500_000, 0)])
def test_sfc64_kernel_draws_exactly_numpys_uniforms(seed, chunk, key):
    from simulator.engine.run import stream, uniforms

    out = uniforms(seed, chunk, key, np.empty((3, 10_001)))
    expected = stream(seed, chunk, key).random(3 * 10_001).reshape(3, 10_001)
    assert np.array_equal(out, expected)


def test_sfc64_seeding_matches_numpy_for_many_seeds():
    from simulator.engine.sampling import _run_entropy

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
    got = np.array([K.count_ppf(x, mean, 0.0, codes.RATE_POISSON) for x in u])
    np.testing.assert_array_equal(got, f.ppf(u))


@pytest.mark.parametrize("mean, r", [(0.5, 0.3), (2.0, 4.0), (60.0, 0.7), (1e3, 5.0)])
def test_count_ppf_inverts_the_negative_binomial_exactly(mean, r):
    f = stats.nbinom(r, r / (r + mean))
    u = _u_away_from_jumps(f.cdf(np.arange(int(f.ppf(1 - 1e-12)) + 2)))
    got = np.array([K.count_ppf(x, mean, r, codes.RATE_NEGBIN) for x in u])
    np.testing.assert_array_equal(got, f.ppf(u))


def test_count_ppf_terminates_at_the_largest_uniform():
    top = 1.0 - 2.0 ** -53
    for mean in (0.3, 5.0, 500.0):
        k = K.count_ppf(top, mean, 0.0, codes.RATE_POISSON)
        assert stats.poisson(mean).sf(k) < 1e-15


def test_event_counts_at_rates_uses_each_trials_rate_and_the_factor():
    u = np.array([[0.1, 0.5, 0.9], [0.95, 0.05, 0.5]])
    rate = np.array([0.2, 2.0, 8.0])
    counts = np.empty((2, 3), dtype=np.int64)
    total = K.event_counts_at_rates(u, codes.RATE_POISSON, rate, 0.5, 0.0, counts)
    expected = stats.poisson(0.5 * rate[None, :]).ppf(u)
    np.testing.assert_array_equal(counts, expected)
    assert total == expected.sum()
    K.event_counts_at_rates(u, codes.RATE_BERNOULLI, np.array([0.2, 0.2, 1.0]), 1.0, 0.0, counts)
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


# The array kernels below take branch-free, blocked paths for speed; each must give exactly
# what the scalar definition gives, including at block edges (blocks of K._BLOCK elements),
# in the tails and on their fallback paths.
ODD = 3 * K._BLOCK + 17  # several blocks and a partial one


def test_norm_ppf_into_is_the_scalar_quantile_bit_for_bit_and_accurate_in_the_tails():
    u = np.concatenate([np.random.default_rng(5).random(ODD), np.geomspace(1e-300, 0.075, 3000),
                        1 - np.geomspace(2**-53, 0.075, 3000), [0.0, 0.5, 0.075, 0.925]])
    out = np.empty_like(u)
    K.norm_ppf_into(u, out)
    np.testing.assert_array_equal(out, [K.norm_ppf(p) for p in u])
    np.testing.assert_allclose(out[:-4], special.ndtri(u[:-4]), rtol=1e-13, atol=1e-15)
    assert out[-4] == K.norm_ppf(2.0 ** -53) and out[-3] == 0.0


@pytest.mark.parametrize("spec", [
    {"dist": "triangular", "min": 1.0, "mode": 2.0, "max": 5.0},
    {"dist": "beta", "a": 2.0, "b": 18.0},
    {"dist": "pert", "min": 200.0, "mode": 500.0, "max": 2000.0},
    {"dist": "normal", "mean": 3.0, "sd": 2.0},
    {"dist": "lognormal", "mu": 1.0, "sigma": 0.5},
])
def test_fill_ppf_in_place_and_out_of_place_equal_the_scalar_ppf(spec):
    code, p, table = compiled(parse(spec))
    rng = np.random.default_rng(6)
    # Uniforms in both tabulated tails too (the table's end cells take another path).
    u = np.concatenate([rng.random(ODD), rng.random(500) * 3e-3, 1 - rng.random(500) * 3e-3,
                        [0.0, 2**-53, 1 - 2**-53]])
    expected = [K.ppf(x, code, p, table) for x in u]
    out = np.empty_like(u)
    K.fill_ppf(u, code, p, table, out, np.empty(2 * u.size))
    np.testing.assert_array_equal(out, expected)
    same = u.copy()
    K.fill_ppf(same, code, p, table, same, np.empty(2 * u.size))
    np.testing.assert_array_equal(same, expected)


@pytest.mark.parametrize("spec", [{"dist": "poisson", "mean": 3.0},
                                  {"dist": "poisson", "mean": 0.3},
                                  {"dist": "negative_binomial", "mean": 40, "dispersion": 5}])
def test_event_counts_are_the_exact_count_quantiles(spec):
    d = parse(spec)
    code, p, table = compiled(d)
    u = np.random.default_rng(7).random((2, ODD))
    u[0, :3] = [2**-60, 1 - 2**-53, 0.5]  # (scipy puts ppf(0) at -1)
    counts = np.empty(u.shape, dtype=np.int64)
    total = K.event_counts(u, code, p, table, counts, np.empty(2 * ODD))
    np.testing.assert_array_equal(counts, [[K.ppf(x, code, p, table) for x in row] for row in u])
    np.testing.assert_array_equal(counts[1], d.scipy().ppf(u[1]))
    assert total == counts.sum()


def _wage_and_costs_reference(levels, wf, disc, kind, inp, growth, first, last):
    """The model's per-trial arithmetic, one trial and year at a time, in plain Python."""
    n, horizon = levels.shape[1], disc.size
    gross_out = np.empty(n)
    cost_out = np.empty((kind.size, n))
    for i in range(n):
        on, off, gross = [], [], []
        on_t = levels[wf[0], i] * levels[wf[1], i]
        off_t = levels[wf[2], i] * levels[wf[3], i]
        total = 0.0
        for t in range(horizon):
            f = min(max((levels[wf[6], i] - 12.0 * t) / 12.0, 0.0), 1.0)
            on.append(on_t)
            off.append(off_t)
            gross.append((1.0 - f) * on_t - off_t)
            total += disc[t] * gross[t]
            on_t *= 1.0 + levels[wf[4], i]
            off_t *= 1.0 + levels[wf[5], i]
        gross_out[i] = total
        for c in range(kind.size):
            x, factor, cost = levels[inp[c], i], 1.0, 0.0
            for t in range(first[c], last[c] + 1):
                base = [factor, off[t], on[t], max(gross[t], 0.0)][kind[c]]
                factor *= 1.0 + levels[growth[c], i]
                cost += disc[t] * (x * base)
            cost_out[c, i] = cost
    return gross_out, cost_out


def test_wage_and_costs_equal_the_per_trial_arithmetic_exactly():
    rng = np.random.default_rng(8)
    n = K._BLOCK + 37
    levels = np.vstack([np.full(n, 20.0), rng.normal(1e5, 1e4, n), np.full(n, 24.0),
                        rng.normal(4e4, 3e3, n), rng.normal(0.03, 0.01, n),
                        rng.normal(0.05, 0.01, n), rng.uniform(0, 30, n), rng.beta(2, 18, n),
                        rng.normal(0.02, 0.01, n), rng.normal(5e4, 1e4, n)])
    wf = np.arange(7)
    disc = 1.08 ** -np.arange(4.0)
    kind = np.array([0, 1, 2, 3, 0])
    inp = np.array([9, 7, 7, 7, 9])
    growth = np.array([8, 8, 8, 8, 8])
    first, last = np.array([0, 0, 1, 0, 2]), np.array([3, 3, 2, 3, 2])
    gross, costs = np.empty(n), np.empty((kind.size, n))
    K.wage_and_costs(levels, wf, disc, kind, inp, growth, first, last, gross, costs)
    ref_gross, ref_costs = _wage_and_costs_reference(levels, wf, disc, kind, inp, growth,
                                                     first, last)
    np.testing.assert_array_equal(gross, ref_gross)
    np.testing.assert_array_equal(costs, ref_costs)


def _random_counts(rng, shape):
    counts = rng.poisson(3.0, shape)
    counts[:, ::97] = rng.integers(9, 30, counts[:, ::97].shape)  # past the fixed-width path
    counts[-1, -4:] = [2, 9, 1, 3]  # the last events sit at the very end of the arrays
    return counts


def test_block_event_uniforms_take_first_then_rest_in_event_order():
    rng = np.random.default_rng(9)
    counts = _random_counts(rng, (1, ODD))[0]
    first = rng.random(ODD)
    rest = rng.random(int(counts.sum() - np.count_nonzero(counts)))
    out = np.empty(int(counts.sum()))
    cells = np.empty(ODD, dtype=np.int64)
    n_cells = K._cells(counts, cells)
    K._block_event_uniforms(counts, cells, n_cells, first, rest, out)
    expected, m = [], 0
    for i in range(ODD):
        if counts[i]:
            expected.append(first[i])
            expected.extend(rest[m:m + counts[i] - 1])
            m += counts[i] - 1
    assert n_cells == np.count_nonzero(counts)
    np.testing.assert_array_equal(out, expected)


def _risk_losses(frequency, severity, n, *, disc=(1.0, 0.9), rate=None, rate_factor=1.0,
                 size=None, size_mode=0, scale=1.0, cap_event=np.inf, cap_year=np.inf):
    """K.risk_losses on three fixed streams: (out, events, streams used)."""
    fc, fp, fdata = compiled(parse(frequency))
    data = DataBuilder()
    sc, sp = parse(severity).compile(data)
    table = data.array()
    if fc == codes.DISCRETE:  # both tables in one data array, as a compiled model has them
        off = table.size
        table = np.concatenate([table, fdata])
        fp = fp.copy()
        fp[0] += off
    keys = (11, 12, 13)
    states = [stream_state(5, 2, k) for k in keys]
    out = np.empty(n)
    scratch = np.empty((3, 64))  # small: blocks must grow their own
    events = K.risk_losses(n, *states, fc, fp, rate if rate is not None else np.zeros(n),
                           codes.RATE_POISSON if rate is not None else -1, rate_factor, 0.0,
                           sc, sp, table, scale, size if size is not None else np.zeros(n),
                           size_mode, cap_event, cap_year, np.array(disc), out, scratch)
    return out, events, [stream(5, 2, k) for k in keys], (sc, sp, table)


def _by_event(counts, first, rest, sev_ppf, disc, cap_event, cap_year, factor):
    """Each trial's present value of losses, event by event, in plain Python."""
    years, n = counts.shape
    expected, m = np.zeros(n), 0
    for t in range(years):
        for i in range(n):
            k = int(counts[t, i])
            if not k:
                continue
            us = [first[t, i], *rest[m:m + k - 1]]
            m += k - 1
            year = 0.0
            for u in us:
                year += min(sev_ppf(u) * factor[i], cap_event)
            expected[i] += disc[t] * min(year, cap_year)
    return expected


# A mean of 0.3 takes the blocks of mostly single events (two terms a cell), 3 the others.
@pytest.mark.parametrize("mean", [0.3, 3.0])
@pytest.mark.parametrize("cap_event, cap_year", [(np.inf, np.inf), (60_000.0, 150_000.0)])
def test_risk_losses_equal_the_event_by_event_arithmetic(cap_event, cap_year, mean):
    n, disc = 2 * K.EVENT_BLOCK + 300, (1.0, 0.9, 0.8)
    out, events, (sc, sf, ss), (code, p, table) = _risk_losses(
        {"dist": "poisson", "mean": mean}, {"dist": "pert", "min": 1e3, "mode": 5e3,
                                            "max": 9e4}, n, disc=disc,
        cap_event=cap_event, cap_year=cap_year)
    counts = stats.poisson.ppf(sc.random((3, n)), mean).astype(np.int64)
    first = sf.random((3, n))
    rest = ss.random(int(counts.sum() - np.count_nonzero(counts)))
    expected = _by_event(counts, first, rest, lambda u: K.ppf(u, code, p, table), disc,
                         cap_event, cap_year, np.ones(n))
    assert events == counts.sum()
    np.testing.assert_array_equal(out, expected)


def test_risk_losses_use_each_trials_rate_size_and_the_scale():
    n = K.EVENT_BLOCK + 5
    rng = np.random.default_rng(3)
    rate, size = rng.uniform(0.5, 4.0, n), rng.normal(0.0, 0.3, n)
    out, events, (sc, sf, ss), (code, p, table) = _risk_losses(
        {"dist": "poisson", "mean": 1.0}, {"dist": "lognormal", "mu": 9.0, "sigma": 1.0}, n,
        rate=rate, rate_factor=1.5, size=size, size_mode=2, scale=0.5)
    counts = stats.poisson.ppf(sc.random((2, n)), 1.5 * rate).astype(np.int64)
    first = sf.random((2, n))
    rest = ss.random(int(counts.sum() - np.count_nonzero(counts)))
    # the kernel's order: the quantile, then the scale, then the trial's size factor
    expected = _by_event(counts, first, rest, lambda u: K.ppf(u, code, p, table) * 0.5,
                         (1.0, 0.9), np.inf, np.inf, [math.exp(x) for x in size])
    assert events == counts.sum()
    np.testing.assert_array_equal(out, expected)


def _quantile(u, code, p, table):
    """The engine's quantile of one uniform: fill_ppf, whose arithmetic the scalar ppf
    matches only to rounding for some families (the triangular)."""
    out = np.empty(1)
    K.fill_ppf(np.array([u]), code, p, table, out, np.empty(1))
    return out[0]


def _layers(x, per, layers):
    """What the layers of kind ``per`` leave of x, applied in order (docs/model.md)."""
    for kind, ded, share, limit in layers:
        if kind == per:
            x -= min(limit, share * max(0.0, x - ded))
    return x


def test_risk_losses_engaged_follow_the_documented_recoveries_event_by_event():
    years, n = 2, K.EVENT_BLOCK + 9
    rng = np.random.default_rng(4)
    counts = rng.poisson(1.2, (years, n)).astype(np.int64)
    share, conv = rng.uniform(0.2, 1.0, (years, n)), rng.uniform(0.9, 1.1, (years, n))
    disc = np.array([1.0, 0.93])
    layers = [(codes.RECOVER_EVENT, 2e4, 0.6, 3e4), (codes.RECOVER_YEAR, 1e4, 0.5, 5e4)]
    per, ded, frac, limit = (np.array(c) for c in zip(*layers, strict=True))
    sev = parse({"dist": "triangular", "min": 1e3, "mode": 2e4, "max": 9e4})
    extra = parse({"dist": "uniform", "min": 0.0, "max": 5e3})
    data = DataBuilder()
    (code, p), (xcode, xp) = sev.compile(data), extra.compile(data)
    table = data.array()
    keys = (21, 22, 23, 24)
    loss, rec = np.empty(n), np.empty(n)
    cap_event, cap_year, scale, prob = 6e4, 1e5, 0.9, 0.3
    K.risk_losses_engaged(counts, *(stream_state(5, 2, k) for k in keys[:2]), code, p, table,
                          scale, np.zeros(n), 0, prob,
                          *(stream_state(5, 2, k) for k in keys[2:]), xcode, xp, cap_event,
                          cap_year, disc, share, conv, per.astype(np.int64), ded, frac, limit,
                          loss, rec, np.empty((5, 64)))
    first = stream(5, 2, keys[0]).random((years, n))
    events = int(counts.sum())
    rest = iter(stream(5, 2, keys[1]).random(events - np.count_nonzero(counts)))
    occurs = iter(stream(5, 2, keys[2]).random(events))
    more = iter(stream(5, 2, keys[3]).random(events))
    want_loss, want_rec = np.zeros(n), np.zeros(n)
    for t in range(years):
        for i in range(n):
            if not counts[t, i]:
                continue
            year = recovered = 0.0
            for e in range(counts[t, i]):
                s = _quantile(first[t, i] if e == 0 else next(rest), code, p, table) * scale
                o, x = next(occurs), _quantile(next(more), xcode, xp, table)
                s = s + scale * x if o < prob else s
                s = min(s, cap_event)
                year += s
                recovered += s - _layers(s, codes.RECOVER_EVENT, layers)
            year = min(year, cap_year)
            left = _layers(year - min(recovered, year), codes.RECOVER_YEAR, layers)
            w = disc[t] * share[t, i] * conv[t, i]
            want_loss[i] += w * year
            want_rec[i] += w * (year - left)
    np.testing.assert_array_equal(loss, want_loss)
    np.testing.assert_array_equal(rec, want_rec)


@pytest.mark.parametrize("n_costs, n_risks", [(0, 0), (2, 0), (0, 1), (1, 3), (4, 5)])
def test_net_and_risk_total_equal_the_numpy_row_sums_bit_for_bit(n_costs, n_risks):
    rng = np.random.default_rng(11)
    rows = 2 + n_costs + n_risks + (1 if n_risks else 0)
    values = rng.normal(0.0, 1e5, (rows, ODD))
    components = values[2:2 + n_costs + n_risks]
    net = values[1] - components.sum(axis=0)
    risk = components[n_costs:].sum(axis=0)
    K.net_and_risk_total(values, n_costs)
    np.testing.assert_array_equal(values[0], net)
    if n_risks:
        np.testing.assert_array_equal(values[-1], risk)
