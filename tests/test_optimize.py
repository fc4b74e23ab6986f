"""The control-portfolio optimiser (simulator.analysis.optimize): the decomposition against brute-force
runs of every subset, the choice against brute force, the search, and the paired errors."""
import itertools
import math

import numpy as np
import pytest

from simulator import scenario_from_dict, simulate
from simulator.analysis.optimize import (
    Evaluator,
    components,
    cvar_influence,
    optimize,
    paired_stderr,
    with_controls,
)
from simulator.results.stats import expected_shortfall, expected_shortfall_stderr

TRIALS = 20_000


def doc(controls, exit_risk=False, tolerance=None):
    risks = [
        {"name": "Breach", "category": "breach", "frequency": {"dist": "poisson", "mean": 0.3},
         "severity": {"dist": "lognormal", "low": 100_000, "high": 1_500_000},
         "raises": [{"risk": "Regulator", "factor": 3.0, "years": 1}]},
        {"name": "Regulator", "category": "regulatory", "frequency": {"dist": "bernoulli", "p": 0.1},
         "severity": 400_000},
        {"name": "Quality", "category": "quality", "frequency": {"dist": "poisson",
                                          "mean": {"dist": "uniform", "min": 1, "max": 4}},
         "severity": {"dist": "gamma", "shape": 2, "scale": 20_000}},
    ]
    if exit_risk:
        risks.append({"name": "Exit", "category": "exit", "frequency": {"dist": "bernoulli", "p": 0.15},
                      "severity": 300_000, "ends_engagement": True})
    d = {"scenario": {"name": "portfolio", "horizon_years": 3, "discount_rate": 0.05},
         "workforce": {"onshore_fte": 10, "onshore_cost_per_fte":
                       {"dist": "pert", "min": 80_000, "mode": 95_000, "max": 120_000},
                       "offshore_fte": 12, "offshore_cost_per_fte": 45_000},
         "risks": risks, "controls": controls}
    if tolerance:
        d["tolerance"] = tolerance
    return scenario_from_dict(d)


CONTROLS = [
    {"name": "DLP", "cost": {"dist": "uniform", "min": 20_000, "max": 40_000},
     "effects": [{"risk": "Breach", "frequency_factor": 0.5}]},
    {"name": "Compliance desk", "cost": 15_000, "effects": [{"risk": "Regulator",
                                                             "severity_factor": 0.5}]},
    {"name": "QA reviews", "cost": 30_000,
     "effects": [{"risk": "Quality", "frequency_factor": 0.7, "cap_per_event": 50_000}]},
]
EXIT_CONTROL = {"name": "Relationship manager", "cost": 25_000, "timing": "once",
                "effects": [{"risk": "Exit", "frequency_factor": 0.5}]}


def brute(scenario, subset, names):
    r = simulate(with_controls(scenario, [names[k] for k in subset]), trials=TRIALS, seed=3,
                 store_trials=True, threads=1)
    return r.net_savings, r.risk_losses, r


def test_controls_linked_by_raises_share_a_component_and_others_do_not():
    groups, joined = components(doc(CONTROLS))
    assert groups == [[0, 1], [2]] and not joined


def test_a_control_on_an_exit_risk_joins_every_control():
    groups, joined = components(doc(CONTROLS + [EXIT_CONTROL], exit_risk=True))
    assert groups == [[0, 1, 2, 3]] and joined


def test_decomposition_equals_full_runs_of_every_subset():
    s = doc(CONTROLS)
    ev = Evaluator(s, TRIALS, 3, threads=1)
    names = [c["name"] for c in CONTROLS]
    for r in range(len(names) + 1):
        for subset in itertools.combinations(range(len(names)), r):
            net, loss, _ = brute(s, subset, names)
            t = ev(subset)
            scale = np.abs(net).max()
            np.testing.assert_allclose(t.net, net, rtol=1e-12, atol=1e-12 * scale)
            np.testing.assert_allclose(t.loss, loss, rtol=1e-12, atol=1e-12 * scale)
    assert ev.runs == 2 + 3 + 1  # all and none, 2^2 - 1 and 2^1 - 1 parts: not 2^3


@pytest.mark.parametrize("objective", ["mean", "cvar5", "prob_loss"])
def test_choice_matches_brute_force_under_a_budget(objective):
    s = doc(CONTROLS)
    names = [c["name"] for c in CONTROLS]
    budget = 120_000.0
    out = optimize(s, budget=budget, objective=objective, trials=TRIALS, seed=3, threads=1)
    stats = []
    for r in range(len(names) + 1):
        for subset in itertools.combinations(range(len(names)), r):
            net, _, run = brute(s, subset, names)
            cost = sum(float(run.components[names[k]].mean()) for k in subset)
            value = {"mean": net.mean(), "cvar5": expected_shortfall(net, 0.05),
                     "prob_loss": -np.mean(net < 0)}[objective]
            if cost <= budget:
                stats.append((value, -cost, [names[k] for k in sorted(subset)]))
    best = max(stats, key=lambda x: (x[0], x[1]))
    assert out["chosen"]["controls"] == best[2]


def test_budget_excludes_dearer_portfolios():
    out = optimize(doc(CONTROLS), budget=50_000.0, trials=TRIALS, seed=3, threads=1)
    assert out["chosen"]["cost"] <= 50_000.0
    assert out["chosen"]["cost"] == pytest.approx(
        sum(c["cost"] for c in out["controls"] if c["name"] in out["chosen"]["controls"]))


def test_frontier_is_increasing_in_cost_and_objective():
    out = optimize(doc(CONTROLS), trials=TRIALS, seed=3, threads=1)
    f = out["frontier"]
    assert len(f) >= 2
    assert all(a["cost"] < b["cost"] and a["mean"] < b["mean"] for a, b in zip(f, f[1:], strict=False))


def test_second_best_margin_is_the_paired_difference():
    out = optimize(doc(CONTROLS), trials=TRIALS, seed=3, threads=1)
    c, s2 = out["chosen"], out["second_best"]
    assert s2["margin"] == pytest.approx(c["mean"] - s2["mean"])
    assert s2["margin"] >= 0 and s2["difference_stderr"] > 0


def test_tolerance_rules_out_failing_portfolios():
    free = optimize(doc(CONTROLS), budget=180_000.0, trials=TRIALS, seed=3, threads=1)
    limit = free["chosen"]["prob_loss"] - 0.005  # the unconstrained choice now fails
    out = optimize(doc(CONTROLS, tolerance={"max_prob_loss": limit}), budget=180_000.0,
                   respect_tolerance=True, trials=TRIALS, seed=3, threads=1)
    assert out["chosen"]["tolerance"]["pass"] and out["chosen"]["prob_loss"] <= limit
    assert out["chosen"]["controls"] != free["chosen"]["controls"]
    assert all(p["tolerance"]["pass"] for p in out["frontier"])


def test_greedy_with_swaps_finds_the_exhaustive_optimum_of_additive_means():
    s = doc(CONTROLS)
    a = optimize(s, trials=TRIALS, seed=3, threads=1, method="exhaustive")
    b = optimize(s, trials=TRIALS, seed=3, threads=1, method="greedy")
    assert a["chosen"]["controls"] == b["chosen"]["controls"]
    assert b["method"].startswith("greedy")


def test_exit_scenario_is_enumerated_as_one_component():
    s = doc(CONTROLS + [EXIT_CONTROL], exit_risk=True)
    out = optimize(s, trials=TRIALS, seed=3, threads=1)
    assert out["components_joined_by_exit"] and out["runs"] == 2 ** 4  # one run a subset


def test_paired_cvar_error_with_a_constant_comparator_is_the_cvar_error():
    x = np.random.default_rng(1).lognormal(0, 1, 50_000) * -1
    se = paired_stderr(x, np.zeros_like(x), "cvar5")
    assert se == pytest.approx(expected_shortfall_stderr(x, 0.05), rel=1e-3)


def test_cvar_influence_averages_to_zero():
    x = np.random.default_rng(2).normal(size=40_000)
    phi = cvar_influence(x)
    assert abs(phi.mean()) <= 5 * phi.std() / math.sqrt(x.size)


def test_paired_mean_error_is_the_sd_of_the_difference():
    rng = np.random.default_rng(3)
    a = rng.normal(size=1000)
    b = a + rng.normal(0, 0.1, 1000)
    assert paired_stderr(a, b, "mean") == pytest.approx((a - b).std(ddof=1) / math.sqrt(1000))


def test_results_are_identical_with_one_or_two_threads():
    s = doc(CONTROLS)
    a = optimize(s, objective="cvar5", trials=TRIALS, seed=5, threads=1)
    b = optimize(s, objective="cvar5", trials=TRIALS, seed=5, threads=2)
    assert a == b


def test_a_correlated_control_cost_is_refused_with_a_reason():
    s = doc(CONTROLS)
    d = s.model_dump(mode="json", by_alias=True, exclude_none=True)
    d["correlations"] = [{"inputs": ['controls["DLP"].cost', "workforce.onshore_cost_per_fte"],
                          "rank": 0.3}]
    with pytest.raises(ValueError, match="cannot be optimised"):
        optimize(scenario_from_dict(d), trials=1000, seed=1)
