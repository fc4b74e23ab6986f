"""Whole-scenario results against hand-computed closed forms, and the reproducibility contract.

Random checks allow 4.5 Monte Carlo standard errors with fixed seeds (one outcome per test).
"""
import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from simulator import CHUNK_SIZE, scenario_from_dict, simulate
from simulator.scenario.compiled import compile_scenario

Z = 4.5


def make(workforce=None, costs=(), risks=(), **info):
    doc = {
        "scenario": {"name": "test", "horizon_years": 3, **info},
        "workforce": {"onshore_fte": 20, "onshore_cost_per_fte": 100_000, "offshore_fte": 24,
                      "offshore_cost_per_fte": 40_000, **(workforce or {})},
        "costs": list(costs),
        "risks": list(risks),
    }
    return scenario_from_dict(doc)


def within(x: np.ndarray, exact: float) -> bool:
    return abs(x.mean() - exact) <= Z * x.std(ddof=1) / math.sqrt(x.size) + 1e-9 * abs(exact)


def test_constant_wages_follow_the_growth_ramp_up_and_discount_formula():
    s = make({"onshore_cost_growth": 0.03, "offshore_cost_growth": 0.07, "ramp_up_months": 18},
             discount_rate=0.08)
    r = simulate(s, trials=10, seed=1)
    on, off = 20 * 100_000.0, 24 * 40_000.0
    ramp_share = [1.0, 0.5, 0.0]  # 18 months: all of year 1, half of year 2
    exact = sum(((1 - f) * on * 1.03**t - off * 1.07**t) / 1.08**t
                for t, f in enumerate(ramp_share))
    np.testing.assert_allclose(r.gross_wage_savings, exact, rtol=1e-12)
    np.testing.assert_allclose(r.net_savings, exact, rtol=1e-12)


@pytest.mark.parametrize("timing, shift", [("start", 0.0), ("mid", 0.5), ("end", 1.0)])
def test_cash_flow_timing_sets_the_discount_exponent(timing, shift):
    s = make(discount_rate=0.1, cash_flow_timing=timing)
    r = simulate(s, trials=1, seed=1)
    yearly = 20 * 100_000.0 - 24 * 40_000.0
    assert r.net_savings[0] == pytest.approx(sum(yearly / 1.1 ** (t + shift) for t in range(3)),
                                             rel=1e-12)


def test_uncertain_ramp_up_mean_matches_closed_form():
    # One year, ramp-up triangular(3, 6, 12) months: gross = (1 - R/12) * on - off.
    s = make({"ramp_up_months": {"dist": "triangular", "min": 3, "mode": 6, "max": 12}},
             horizon_years=1)
    r = simulate(s, trials=200_000, seed=3)
    mean_r = (3 + 6 + 12) / 3
    assert within(r.gross_wage_savings, (1 - mean_r / 12) * 2_000_000 - 960_000)


def test_share_of_offshore_cost_grows_with_the_offshore_bill():
    costs = [{"name": "Governance", "category": "governance", "timing": "yearly",
              "share_of": "offshore_cost", "share": {"dist": "uniform", "min": 0.03, "max": 0.05}}]
    s = make({"offshore_cost_growth": 0.05}, costs=costs, discount_rate=0.08)
    r = simulate(s, trials=100_000, seed=4)
    exact = 0.04 * sum(960_000 * 1.05**t / 1.08**t for t in range(3))
    assert within(r.components["Governance"], exact)


def test_one_off_cost_falls_in_its_year_and_yearly_cost_in_its_window():
    costs = [
        {"name": "Exit", "category": "exit", "timing": "once", "year": 3, "amount": 100.0},
        {"name": "Tooling", "category": "other", "timing": "yearly", "start_year": 2,
         "amount": 10.0, "growth": 0.5},
    ]
    r = simulate(make(costs=costs, discount_rate=0.1), trials=2, seed=1)
    assert r.components["Exit"][0] == pytest.approx(100 / 1.1**2)
    assert r.components["Tooling"][0] == pytest.approx(10 / 1.1 + 15 / 1.1**2)


def test_compound_poisson_mean_is_rate_times_mean_severity():
    risk = {"name": "Breach", "category": "breach", "frequency": {"dist": "poisson", "mean": 0.3},
            "severity": {"dist": "lognormal", "mu": 11.0, "sigma": 0.6}}
    r = simulate(make(risks=[risk], discount_rate=0.05), trials=400_000, seed=5)
    mean_sev = math.exp(11.0 + 0.6**2 / 2)
    exact = sum(0.3 * mean_sev / 1.05**t for t in range(3))
    assert within(r.components["Breach"], exact)


def test_probability_of_no_event_is_exp_of_minus_rate_times_years():
    risk = {"name": "Breach", "category": "breach", "frequency": {"dist": "poisson", "mean": 0.2},
            "severity": 1000.0}
    r = simulate(make(risks=[risk]), trials=400_000, seed=6)
    p0 = math.exp(-0.2 * 3)
    none = np.mean(r.components["Breach"] == 0)
    assert abs(none - p0) <= Z * math.sqrt(p0 * (1 - p0) / r.trials)


def test_per_event_cap_limits_each_loss():
    risk = {"name": "Quality", "category": "quality", "frequency": {"dist": "poisson", "mean": 3},
            "severity": 10_000.0, "cap_per_event": 6_000.0}
    r = simulate(make(risks=[risk], horizon_years=1), trials=200_000, seed=7)
    assert within(r.components["Quality"], 3 * 6_000.0)
    assert np.all(r.components["Quality"] % 6_000.0 == 0)


def test_bernoulli_frequency_gives_at_most_one_event_a_year():
    risk = {"name": "Exit", "category": "exit", "frequency": {"dist": "bernoulli", "p": 0.1},
            "severity": 1.0}
    r = simulate(make(risks=[risk]), trials=100_000, seed=8)
    assert r.components["Exit"].max() <= 3.0
    assert within(r.components["Exit"], 0.3)


def test_net_savings_is_gross_minus_every_component():
    costs = [{"name": "T", "category": "transition", "timing": "once",
              "amount": {"dist": "lognormal", "low": 1e5, "high": 6e5}}]
    risks = [{"name": "Q", "category": "quality", "frequency": {"dist": "poisson", "mean": 2},
              "severity": {"dist": "pert", "min": 1e3, "mode": 5e3, "max": 3e4}}]
    r = simulate(make(costs=costs, risks=risks), trials=50_000, seed=9)
    np.testing.assert_allclose(r.net_savings, r.gross_wage_savings - r.component_totals.sum(0),
                               rtol=0, atol=1e-6)


def test_results_are_bit_identical_for_any_thread_count(data_dir):
    from simulator import load_scenario

    s = load_scenario(data_dir / "minimal.toml")
    n = 3 * CHUNK_SIZE + 1234
    one = simulate(s, trials=n, seed=11, threads=1)
    two = simulate(s, trials=n, seed=11, threads=2)
    again = simulate(s, trials=n, seed=11, threads=2)
    for a, b in ((one, two), (two, again)):
        assert np.array_equal(a.net_savings, b.net_savings)
        assert np.array_equal(a.component_totals, b.component_totals)
    assert one.summary()["net_savings"] == two.summary()["net_savings"]


def test_different_seeds_give_different_trials(data_dir):
    from simulator import load_scenario

    s = load_scenario(data_dir / "minimal.toml")
    a = simulate(s, trials=1000, seed=1)
    b = simulate(s, trials=1000, seed=2)
    assert not np.array_equal(a.net_savings, b.net_savings)


def test_an_input_draws_the_same_numbers_in_another_scenario():
    # Common random numbers: streams are keyed by the input's name, not its position.
    cost = {"name": "Transition", "category": "transition", "timing": "once",
            "amount": {"dist": "uniform", "min": 1, "max": 2}}
    extra = {"name": "Audit", "category": "governance", "timing": "once",
             "amount": {"dist": "uniform", "min": 5, "max": 6}}
    a = simulate(make(costs=[cost]), trials=5000, seed=3)
    b = simulate(make(costs=[extra, cost]), trials=5000, seed=3)
    assert np.array_equal(a.components["Transition"], b.components["Transition"])


def test_keep_inputs_returns_every_drawn_input():
    s = make({"onshore_cost_per_fte": {"dist": "normal", "mean": 1e5, "sd": 1e4}})
    r = simulate(s, trials=1000, seed=1, keep_inputs=True)
    names = compile_scenario(s).input_names
    row = r.inputs[names.index("workforce.onshore_cost_per_fte")]
    assert row.std() > 0 and np.all(r.inputs[names.index("workforce.onshore_fte")] == 20)


@pytest.mark.parametrize("bad", [0, -5, 1.5, True])
def test_invalid_trial_counts_are_refused(bad):
    with pytest.raises(ValueError, match="trials"):
        simulate(make(), trials=bad)


def test_keeping_trials_too_large_for_memory_is_refused_before_allocating():
    with pytest.raises(ValueError, match="GiB"):
        simulate(make(), trials=2 * 10**9, store_trials=True)


def test_more_trials_than_one_machine_runs_are_refused():
    with pytest.raises(ValueError, match="at most"):
        simulate(make(), trials=10**12)


def test_a_shorter_run_repeats_the_complete_chunks_of_a_longer_one(data_dir):
    from simulator import load_scenario

    s = load_scenario(data_dir / "minimal.toml")
    short = simulate(s, trials=CHUNK_SIZE + 10, seed=4)
    long = simulate(s, trials=2 * CHUNK_SIZE, seed=4)
    assert np.array_equal(short.net_savings[:CHUNK_SIZE], long.net_savings[:CHUNK_SIZE])


def test_an_overflowing_tail_is_refused_before_the_run_naming_its_field():
    from simulator import ScenarioError

    risk = {"name": "Breach", "category": "breach", "frequency": {"dist": "poisson", "mean": 5},
            "severity": {"dist": "lognormal", "mu": 700.0, "sigma": 3.0}}
    with pytest.raises(ScenarioError, match=r"risks\[0\]\.severity: .*overflows"):
        make(risks=[risk])


def test_a_trial_that_overflows_anyway_fails_with_the_responsible_line(monkeypatch):
    # Validation bounds every accepted scenario's totals; the engine's own check stays as the
    # last line of defence, exercised here by letting a model through unvalidated.
    from simulator.engine.run import NonFiniteError

    risk = {"name": "Breach", "category": "breach", "frequency": {"dist": "poisson", "mean": 5},
            "severity": {"dist": "lognormal", "mu": 20.0, "sigma": 1.0}}
    s = make(risks=[risk])
    model = compile_scenario(s)
    params = model.risk_sev_params.copy()
    params[0, 0] = 750.0  # mu: every loss is inf
    model = dataclasses.replace(model, risk_sev_params=params)
    with pytest.raises(NonFiniteError, match=r"risks\['Breach'\]"):
        simulate(s, trials=1000, seed=1, model=model)


def test_a_heavy_lognormal_tail_is_warned_about_with_its_mean_and_p99():
    risk = {"name": "Breach", "category": "breach", "frequency": {"dist": "poisson", "mean": 0.1},
            "severity": {"dist": "lognormal", "mu": 12.0, "sigma": 3.2}}
    r = simulate(make(risks=[risk]), trials=1000, seed=1)
    (warning,) = r.summary()["warnings"]
    assert warning.startswith('risks["Breach"].severity: ') and "99th percentile" in warning


def test_a_capped_heavy_tail_is_not_warned_about():
    risk = {"name": "Breach", "category": "breach", "frequency": {"dist": "poisson", "mean": 0.1},
            "severity": {"dist": "lognormal", "mu": 12.0, "sigma": 3.2}, "cap_per_event": 5e6}
    warnings = simulate(make(risks=[risk]), trials=1000, seed=1).summary()["warnings"]
    assert not any("tail" in w for w in warnings)  # only the cap's own effect is reported
    assert all("cap_per_event" in w for w in warnings)


# --- uncertain rates: a rate drawn once per trial, counts per year at that rate --------------

def _rate_scenario(frequency, horizon=1, factor=None):
    risks = [{"name": "R", "category": "other", "frequency": frequency, "severity": 1.0}]
    doc_controls = []
    if factor is not None:
        doc_controls = [{"name": "C", "cost": 0, "effects": [{"risk": "R",
                                                               "frequency_factor": factor}]}]
    doc = {"scenario": {"name": "rates", "horizon_years": horizon, "discount_rate": 0.0},
           "workforce": {"onshore_fte": 1, "onshore_cost_per_fte": 1, "offshore_fte": 1,
                         "offshore_cost_per_fte": 1},
           "risks": risks, "controls": doc_controls}
    return scenario_from_dict(doc)


def _var_within(x, exact):
    # Sample variance against its closed form, with the standard error from the fourth moment.
    n = x.size
    m4 = ((x - x.mean()) ** 4).mean()
    se = math.sqrt(max(m4 - x.var() ** 2, 0.0) / n)
    return abs(x.var(ddof=1) - exact) <= Z * se


def test_uncertain_poisson_rate_gives_the_mixture_mean_and_variance():
    rate = {"dist": "gamma", "shape": 2.0, "scale": 1.5}  # E 3, Var 4.5
    s = _rate_scenario({"dist": "poisson", "mean": rate}, horizon=2)
    counts = simulate(s, trials=200_000, seed=3).risk_losses  # severity 1: count over 2 years
    assert within(counts, 2 * 3.0)
    # Var(N1 + N2) = 2 E[rate] + 4 Var[rate]: years share their trial's rate.
    assert _var_within(counts, 2 * 3.0 + 4 * 4.5)


def test_gamma_rate_poisson_is_a_negative_binomial():
    shape, scale = 2.0, 1.5
    s = _rate_scenario({"dist": "poisson", "mean": {"dist": "gamma", "shape": shape,
                                                    "scale": scale}})
    counts = simulate(s, trials=200_000, seed=4).risk_losses
    exact = stats.nbinom(shape, 1 / (1 + scale))
    k = np.arange(12)
    observed = np.array([(counts == j).sum() for j in k] + [(counts >= 12).sum()])
    expected = np.append(exact.pmf(k), exact.sf(11)) * counts.size
    assert stats.chisquare(observed, expected).pvalue > 1e-4


def test_fixed_rate_years_are_independent():
    s = _rate_scenario({"dist": "poisson", "mean": 3.0}, horizon=2)
    counts = simulate(s, trials=200_000, seed=3).risk_losses
    assert _var_within(counts, 6.0)


def test_uncertain_bernoulli_p_has_the_mean_p():
    s = _rate_scenario({"dist": "bernoulli", "p": {"dist": "beta", "a": 2, "b": 8}}, horizon=3)
    counts = simulate(s, trials=200_000, seed=5).risk_losses
    assert within(counts, 3 * 0.2)
    # Var = 3 E[p(1-p)] + 9 Var(p) - ... = 3 m(1-m) + 6 Var(p) for three years sharing p.
    var_p = 2 * 8 / (10**2 * 11)
    assert _var_within(counts, 3 * 0.2 * 0.8 + 6 * var_p)


def test_uncertain_negative_binomial_mean_has_the_mean_of_the_mean():
    s = _rate_scenario({"dist": "negative_binomial", "dispersion": 3.0,
                        "mean": {"dist": "uniform", "min": 1.0, "max": 5.0}})
    counts = simulate(s, trials=200_000, seed=6).risk_losses
    assert within(counts, 3.0)


def test_controls_scale_an_uncertain_rate():
    s = _rate_scenario({"dist": "poisson", "mean": {"dist": "uniform", "min": 2, "max": 4}},
                       factor=0.5)
    counts = simulate(s, trials=200_000, seed=7).risk_losses
    assert within(counts, 1.5)


def test_posterior_rate_moves_with_the_observed_history():
    prior = {"dist": "gamma", "shape": 1.0, "scale": 0.2}
    s = _rate_scenario({"dist": "poisson", "prior": prior, "observed_events": 2,
                        "observed_years": 5})
    counts = simulate(s, trials=200_000, seed=8).risk_losses
    # Posterior gamma: shape 1 + 2, scale 1 / (1 / 0.2 + 5) = 0.1, so the mean rate is 0.3.
    assert within(counts, 0.3)


def test_uncertain_rate_is_an_input_of_the_model():
    s = _rate_scenario({"dist": "poisson", "mean": {"dist": "uniform", "min": 2, "max": 4}})
    r = simulate(s, trials=1000, seed=1, keep_inputs=True)
    j = r.model.input_names.index('risks["R"].frequency.mean')
    assert 2 <= r.inputs[j].min() and r.inputs[j].max() <= 4


def test_workspaces_are_reused_between_runs_without_changing_results():
    from simulator.engine.run import WORKSPACES

    wide = {"offshore_cost_per_fte": {"dist": "uniform", "min": 30_000, "max": 50_000}}
    a, b = make(wide), make({**wide, "onshore_fte": 10})  # same shapes, other constants
    first = simulate(a, trials=3 * CHUNK_SIZE, seed=4, threads=2)
    other = simulate(b, trials=3 * CHUNK_SIZE, seed=4, threads=2)
    again = simulate(a, trials=3 * CHUNK_SIZE, seed=4, threads=2)
    np.testing.assert_array_equal(first.net_savings, again.net_savings)
    # b's wage bill is half of a's onshore: its constants were refilled, not left over.
    np.testing.assert_allclose(first.gross_wage_savings - other.gross_wage_savings,
                               first.gross_wage_savings[0] - other.gross_wage_savings[0])
    assert not np.array_equal(first.net_savings, other.net_savings)
    assert 0 < len(WORKSPACES._idle) <= WORKSPACES.limit
    assert sum(ws.nbytes for ws in WORKSPACES._idle) <= WORKSPACES.max_bytes


# --- uncertain severity size: drawn once per trial, shared by the trial's events ---------------

def _size_scenario(severity, frequency=3.0):
    doc = {"scenario": {"name": "sizes", "horizon_years": 1, "discount_rate": 0.0},
           "workforce": {"onshore_fte": 1, "onshore_cost_per_fte": 1, "offshore_fte": 1,
                         "offshore_cost_per_fte": 1},
           "risks": [{"name": "R", "category": "other", "severity": severity,
                      "frequency": {"dist": "poisson", "mean": frequency}}]}
    return scenario_from_dict(doc)


def test_uncertain_lognormal_mu_gives_the_compound_mean_and_variance():
    lam, m, s, sigma = 3.0, 10.0, 0.3, 0.5
    sev = {"dist": "lognormal", "mu": {"dist": "normal", "mean": m, "sd": s}, "sigma": sigma}
    losses = simulate(_size_scenario(sev, lam), trials=400_000, seed=9).risk_losses
    ef, ef2 = math.exp(m + s * s / 2), math.exp(2 * m + 2 * s * s)
    eb, eb2 = math.exp(sigma ** 2 / 2), math.exp(2 * sigma ** 2)
    assert within(losses, lam * ef * eb)
    # Events share their trial's factor: Var = lam E[F^2] E[B^2] + lam^2 Var(F) E[B]^2.
    assert _var_within(losses, lam * ef2 * eb2 + lam ** 2 * (ef2 - ef * ef) * eb * eb)


def test_uncertain_gamma_scale_scales_every_event_of_a_trial():
    sev = {"dist": "gamma", "shape": 2.0, "scale": {"dist": "uniform", "min": 1000, "max": 3000}}
    losses = simulate(_size_scenario(sev), trials=400_000, seed=10).risk_losses
    assert within(losses, 3.0 * 2.0 * 2000)


def test_uncertain_size_is_a_correlatable_input_of_the_model():
    doc = {"scenario": {"name": "sizes", "horizon_years": 1},
           "workforce": {"onshore_fte": 1, "onshore_cost_per_fte": 1, "offshore_fte": 1,
                         "offshore_cost_per_fte": 1},
           "risks": [{"name": "R", "category": "breach",
                      "frequency": {"dist": "poisson", "mean": {"dist": "uniform", "min": 0.5,
                                                                "max": 2}},
                      "severity": {"dist": "lognormal", "sigma": 1.0,
                                   "mu": {"dist": "uniform", "min": 9, "max": 11}}}],
           "correlations": [{"inputs": ['risks["R"].frequency.mean', 'risks["R"].severity.mu'],
                             "rank": 0.7}]}
    r = simulate(scenario_from_dict(doc), trials=100_000, seed=3, keep_inputs=True)
    x = dict(zip(r.model.input_names, r.inputs, strict=False))
    rho = stats.spearmanr(x['risks["R"].frequency.mean'], x['risks["R"].severity.mu']).statistic
    assert abs(math.atanh(rho) - math.atanh(0.7)) <= Z * math.sqrt(1.06 / (100_000 - 3))


def test_a_workspace_is_not_shared_by_models_of_other_shapes():
    # One risk with a recovery row has as many value rows as two risks without: the pooled
    # workspace of one must not serve the other (its count scratch is per risk).
    one = make(risks=[{"name": "A", "category": "breach", "frequency": 1, "severity": 1.0,
                       "recovery": {"share": 0.5}}])
    two = make(risks=[{"name": "A", "category": "breach", "frequency": 1, "severity": 1.0,
                       "side": "in_house"},
                      {"name": "B", "category": "breach", "frequency": 1, "severity": 1.0}])
    simulate(one, trials=1000, seed=1)
    r = simulate(two, trials=1000, seed=1)
    assert np.all(r.components["B"] == 3.0)
