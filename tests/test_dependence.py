"""Correlated inputs: the copula keeps every marginal and reaches the declared rank
correlations; invalid matrices are repaired (with a warning) or refused.

Random checks use fixed seeds and tolerances of 4.5 standard errors: Fisher's z for a Spearman
correlation (standard error sqrt(1.06 / (n - 3))), and Kolmogorov-Smirnov's 1e-4 critical value.
"""
import math

import numpy as np
import pytest
from scipy import stats

from simulator import scenario_from_dict, simulate
from simulator.distributions.base import FieldError
from simulator.scenario.compiled import compile_scenario
from simulator.scenario.dependence import (
    achievable,
    build,
    is_valid_correlation,
    nearest_correlation,
    normal_to_rank,
    rank_to_normal,
)
from simulator.scenario.model import ScenarioError

Z = 4.5
QF = 'risks["Quality failure"].frequency.mean'
BR = 'risks["Data breach"].frequency.mean'
GROWTH = "workforce.offshore_cost_growth"
OFF = "workforce.offshore_cost_per_fte"


def doc(correlations, **extra):
    return {
        "scenario": {"name": "dependence", "horizon_years": 2},
        "workforce": {"onshore_fte": 20, "onshore_cost_per_fte": 100_000, "offshore_fte": 24,
                      "offshore_cost_per_fte": {"dist": "pert", "min": 30_000, "mode": 36_000,
                                                "max": 50_000},
                      "offshore_cost_growth": {"dist": "uniform", "min": 0.02, "max": 0.10},
                      **extra},
        "risks": [
            {"name": "Quality failure", "category": "quality",
             "frequency": {"dist": "poisson", "mean": {"dist": "lognormal", "low": 1,
                                                       "high": 6}},
             "severity": 20_000},
            {"name": "Data breach", "category": "breach",
             "frequency": {"dist": "poisson", "mean": {"dist": "gamma", "shape": 2,
                                                       "scale": 0.02}},
             "severity": {"dist": "lognormal", "low": 1e5, "high": 4e6}},
        ],
        "correlations": correlations,
    }


def inputs_of(s, trials=131_072, seed=7, **kw):
    r = simulate(s, trials=trials, seed=seed, keep_inputs=True, **kw)
    return dict(zip(r.model.input_names, r.inputs, strict=False)), r


def fisher_ok(x, y, target):
    rho = stats.spearmanr(x, y).statistic
    se = math.sqrt(1.06 / (x.size - 3))
    return abs(math.atanh(rho) - math.atanh(target)) <= Z * se, rho


def test_rank_and_normal_correlation_maps_are_inverse():
    r = np.linspace(-1, 1, 41)
    np.testing.assert_allclose(normal_to_rank(rank_to_normal(r)), r, atol=1e-12)


def test_bivariate_normal_spearman_matches_the_sine_identity():
    rng = np.random.default_rng(3)
    n = 200_000
    r = rank_to_normal(0.5)
    z = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], size=n)
    ok, rho = fisher_ok(z[:, 0], z[:, 1], 0.5)
    assert ok, rho


def test_pairwise_rank_correlation_is_reached_between_uncertain_rates():
    s = scenario_from_dict(doc([{"inputs": [QF, BR], "rank": 0.5}]))
    x, _ = inputs_of(s)
    ok, rho = fisher_ok(x[QF], x[BR], 0.5)
    assert ok, rho


def test_matrix_correlations_are_all_reached():
    m = [[1, 0.4, -0.3], [0.4, 1, 0.2], [-0.3, 0.2, 1]]
    s = scenario_from_dict(doc([{"inputs": [QF, GROWTH, OFF], "rank": m}]))
    x, _ = inputs_of(s)
    names = [QF, GROWTH, OFF]
    for i in range(3):
        for j in range(i + 1, 3):
            ok, rho = fisher_ok(x[names[i]], x[names[j]], m[i][j])
            assert ok, (names[i], names[j], rho)


def test_correlated_inputs_keep_their_marginals():
    s = scenario_from_dict(doc([{"inputs": [QF, BR, GROWTH], "rank": [[1, 0.7, 0.4],
                                                                     [0.7, 1, 0.3],
                                                                     [0.4, 0.3, 1]]}]))
    x, r = inputs_of(s)
    crit = 2.15 / math.sqrt(x[QF].size)  # KS critical value at about 1e-4 (and > Z sigma)
    for name in (QF, BR, GROWTH):
        dist = r.model.input_dists[r.model.input_names.index(name)]
        d = stats.kstest(x[name], dist.scipy().cdf).statistic
        assert d < crit, (name, d, crit)


def test_uncorrelated_inputs_are_left_independent():
    s = scenario_from_dict(doc([{"inputs": [QF, BR], "rank": 0.8}]))
    x, _ = inputs_of(s)
    ok, rho = fisher_ok(x[QF], x[GROWTH], 0.0)
    assert ok, rho


def test_correlation_changes_only_the_correlated_inputs_draws():
    base = scenario_from_dict(doc([]))
    corr = scenario_from_dict(doc([{"inputs": [QF, BR], "rank": 0.5}]))
    xb, _ = inputs_of(base, trials=1000)
    xc, _ = inputs_of(corr, trials=1000)
    np.testing.assert_array_equal(xb[GROWTH], xc[GROWTH])
    assert not np.array_equal(xb[BR], xc[BR])


@pytest.mark.parametrize("sampling", ["mc", "lhs", "sobol"])
def test_correlated_runs_are_bit_identical_across_thread_counts(sampling):
    s = scenario_from_dict(doc([{"inputs": [QF, BR, GROWTH],
                                 "rank": [[1, 0.5, 0.2], [0.5, 1, 0.1], [0.2, 0.1, 1]]}]))
    a = simulate(s, trials=200_000, seed=11, threads=1, sampling=sampling)
    b = simulate(s, trials=200_000, seed=11, threads=2, sampling=sampling)
    np.testing.assert_array_equal(a.net_savings, b.net_savings)
    np.testing.assert_array_equal(a.component_totals, b.component_totals)


def test_correlated_rates_make_the_risks_losses_move_together():
    ind = scenario_from_dict(doc([]))
    cor = scenario_from_dict(doc([{"inputs": [QF, BR], "rank": 0.9}]))

    def corr(r):
        quality, breach = r.component_totals[-2], r.component_totals[-1] > 0
        return stats.spearmanr(quality, breach).statistic

    a = corr(simulate(ind, trials=131_072, seed=5))
    b = corr(simulate(cor, trials=131_072, seed=5))
    se = math.sqrt(1.06 / (131_072 - 3))
    assert abs(a) <= Z * se  # independent rates: no association beyond noise
    assert b > Z * se  # correlated rates: breaches come with more quality failures


def test_valid_matrix_is_used_as_declared():
    dep = build(scenario_from_dict(doc([{"inputs": [QF, BR], "rank": 0.5}])))
    assert not dep.repaired and dep.warning() is None
    np.testing.assert_array_equal(dep.rank, [[1, 0.5], [0.5, 1]])
    normal = dep.factor @ dep.factor.T
    np.testing.assert_allclose(normal, rank_to_normal(dep.rank), atol=1e-12)


IMPOSSIBLE = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]


def test_invalid_matrix_is_repaired_to_a_valid_one_with_a_warning():
    s = scenario_from_dict(doc([{"inputs": [QF, BR, GROWTH], "rank": IMPOSSIBLE}]))
    model = compile_scenario(s)
    dep = build(s)
    assert dep.repaired
    assert is_valid_correlation(dep.rank)
    warning = next(w for w in model.warnings if w.startswith("correlations"))
    assert "nearest valid" in warning and "+0.900 ->" in warning and "--strict" in warning


def test_invalid_matrix_is_refused_when_strict():
    s = scenario_from_dict(doc([{"inputs": [QF, BR, GROWTH], "rank": IMPOSSIBLE}]))
    with pytest.raises(FieldError, match="not a valid correlation matrix"):
        compile_scenario(s, strict=True)


def test_nearest_correlation_is_valid_and_leaves_a_valid_matrix_alone():
    fixed = nearest_correlation(np.array(IMPOSSIBLE, dtype=float))
    assert is_valid_correlation(fixed)
    np.testing.assert_allclose(np.diag(fixed), 1.0)
    good = np.array([[1, 0.3], [0.3, 1]])
    np.testing.assert_allclose(nearest_correlation(good), good, atol=1e-7)


def test_nearest_correlation_matches_higham_example():
    # Higham (2002), section 4: the nearest correlation matrix to this 3x3 example.
    a = np.array([[2, -1, 0], [-1, 2, -1], [0, -1, 2]], dtype=float)
    a = a / 2 + np.eye(3) * 0  # unit diagonal: [[1, -.5, 0], [-.5, 1, -.5], [0, -.5, 1]]
    np.testing.assert_allclose(nearest_correlation(a), a, atol=1e-7)  # already valid
    b = np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]], dtype=float)
    expected = np.array([[1.0, 0.7607, 0.1573], [0.7607, 1.0, 0.7607],
                         [0.1573, 0.7607, 1.0]])
    np.testing.assert_allclose(nearest_correlation(b, min_eigenvalue=0.0), expected,
                               atol=1e-4)


def problem(correlations, **extra):
    with pytest.raises(ScenarioError) as e:
        scenario_from_dict(doc(correlations, **extra))
    return e.value.format()


def test_unknown_input_path_gets_a_did_you_mean():
    msg = problem([{"inputs": [QF, "workforce.offshore_cost_growht"], "rank": 0.3}])
    assert "correlations[0].inputs[1]" in msg and "did you mean workforce.offshore_cost_growth" in msg


def test_fixed_rate_frequency_explains_how_to_correlate_it():
    d = doc([{"inputs": ['risks["Fixed"].frequency', GROWTH], "rank": 0.3}])
    d["risks"].append({"name": "Fixed", "category": "other", "frequency": 2, "severity": 1})
    with pytest.raises(ScenarioError, match="rate is a fixed number.*Make the rate uncertain"):
        scenario_from_dict(d)


def test_severity_cannot_be_correlated():
    msg = problem([{"inputs": ['risks["Data breach"].severity', GROWTH], "rank": 0.3}])
    assert "drawn for each event" in msg


def test_constant_input_cannot_be_correlated():
    msg = problem([{"inputs": ["workforce.onshore_fte", GROWTH], "rank": 0.3}])
    assert "constant" in msg


def test_frequency_path_of_an_uncertain_rate_means_the_rate():
    s = scenario_from_dict(doc([{"inputs": ['risks["Quality failure"].frequency', BR],
                                 "rank": 0.4}]))
    assert list(s.correlation_pairs()) == [(QF, BR)]


@pytest.mark.parametrize("rank, fragment", [
    (1.5, "must be in [-1, 1]"),
    ([[1, 0.2], [0.3, 1]], "symmetric"),
    ([[0.9, 0.2], [0.2, 1]], "diagonal must be 1"),
    ([[1, 0.2]], "must be a 2x2 matrix"),
])
def test_malformed_rank_is_refused(rank, fragment):
    assert fragment in problem([{"inputs": [QF, BR], "rank": rank}])


def test_conflicting_pair_declarations_are_refused():
    msg = problem([{"inputs": [QF, BR], "rank": 0.3}, {"inputs": [BR, QF], "rank": 0.5}])
    assert "already given rank 0.3" in msg


def test_single_number_needs_exactly_two_inputs():
    assert "3x3 matrix" in problem([{"inputs": [QF, BR, GROWTH], "rank": 0.3}])


def test_summary_records_the_correlations_the_run_used():
    s = scenario_from_dict(doc([{"inputs": [QF, BR, GROWTH], "rank": IMPOSSIBLE}]))
    summary = simulate(s, trials=1000, seed=1).summary()
    used = summary["correlations"]
    assert used["inputs"] == [QF, BR, GROWTH]
    assert is_valid_correlation(np.array(used["rank"]))
    assert used["rank"][0][1] != 0.9  # the repaired value, not the declared one


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6).flatmap(lambda k: st.tuples(
    st.just(k), st.lists(st.floats(-1, 1), min_size=k * (k - 1) // 2,
                         max_size=k * (k - 1) // 2))))
def test_any_declared_matrix_repairs_to_a_valid_one_close_to_it(case):
    k, upper = case
    m = np.eye(k)
    m[np.triu_indices(k, 1)] = upper
    m = np.triu(m) + np.triu(m, 1).T
    fixed = nearest_correlation(m)
    assert is_valid_correlation(fixed)
    np.testing.assert_allclose(np.diag(fixed), 1.0, atol=1e-12)
    rank, normal = achievable(m)  # what a run uses: a factorable normal matrix and its ranks
    np.linalg.cholesky(normal)
    assert is_valid_correlation(rank)
    np.testing.assert_allclose(normal_to_rank(normal), rank, atol=1e-12)
    if is_valid_correlation(m) and np.linalg.eigvalsh(m).min() > 1e-6:
        np.testing.assert_allclose(fixed, m, atol=1e-6)  # a valid matrix is left (nearly) alone
