"""Value of a pilot (simulator.analysis.pilot) against a hand-computed two-point prior case."""
import math

import numpy as np
import pytest

from simulator import ScenarioError, scenario_from_dict
from simulator.analysis.pilot import analyze, outcome_groups, pilot_counts, value_of_observation

L1, L2 = 0.5, 3.0  # the two possible breach rates, events per year, equally likely
SEVERITY = 100_000.0
H, T = 3, 1.0  # horizon and pilot length, years
WAGES = 200_000.0  # wage savings per year: the decision is close (E[net] = 75,000)


def scenario(pilot=None):
    d = {"scenario": {"name": "pilot", "horizon_years": H},
         "workforce": {"onshore_fte": 1, "onshore_cost_per_fte": WAGES, "offshore_fte": 0,
                       "offshore_cost_per_fte": 0},
         "risks": [{"name": "Breach", "category": "breach",
                    "frequency": {"dist": "poisson", "mean": {
                        "dist": "discrete", "values": [L1, L2], "weights": [0.5, 0.5]}},
                    "severity": SEVERITY}]}
    if pilot is not None:
        d["pilot"] = pilot
    return scenario_from_dict(d)


def exact_value(cost=0.0):
    """sum_k P(k) max(E[net | k], 0) - max(E[net], 0) - cost, summed over k."""
    net = {lam: H * WAGES - lam * H * SEVERITY for lam in (L1, L2)}  # E[net | rate]
    total = 0.0
    for k in range(60):  # P(k > 60) < 1e-40 at these rates
        joint = {lam: 0.5 * math.exp(-lam * T) * (lam * T) ** k / math.factorial(k)
                 for lam in (L1, L2)}
        pk = sum(joint.values())
        if pk < 1e-300:
            break
        total += pk * max(sum(joint[lam] / pk * net[lam] for lam in net), 0.0)
    return total - max(0.5 * (net[L1] + net[L2]), 0.0) - cost


@pytest.fixture(scope="module")
def result():
    return analyze(scenario({"years": T}), trials=131_072, seed=7, threads=2, replicates=100)


def test_pilot_value_matches_the_hand_computed_case_within_5_standard_errors(result):
    exact = exact_value()
    v = result["value"]
    assert exact > 20 * v["stderr"]  # the pilot is worth something here
    assert abs(v["value"] - exact) <= 5 * v["stderr"]


def test_pilot_cost_is_subtracted():
    r = analyze(scenario({"years": T, "cost": 25_000}), trials=65_536, seed=7, replicates=2)
    assert r["value"]["value"] == pytest.approx(r["value_before_cost"]["value"] - 25_000)


def test_pilot_is_worth_at_most_perfect_information(result):
    assert result["value"]["value"] <= result["evpi"]["value"]


def test_pilot_counts_are_poisson_at_each_trials_rate():
    rates = np.full((1, 200_000), 2.5)
    k = pilot_counts(rates, 2.0, seed=1, keys=np.array([123], dtype=np.uint32))
    assert abs(k.mean() - 5.0) <= 5 * math.sqrt(5.0 / k.size)
    assert abs(k.var() - 5.0) <= 5 * 5.0 * math.sqrt(2 / k.size)


def test_rare_outcomes_are_pooled_into_one_group():
    counts = np.array([[0] * 50 + [1] * 40 + [7, 9, 12]])
    g = outcome_groups(counts, min_group=30)
    assert len(set(g[:50])) == 1 and len(set(g[90:])) == 1 and len(set(g)) == 3


def test_an_uninformative_observation_is_worth_nothing():
    rng = np.random.default_rng(2)
    net = rng.normal(0.1, 1.0, 50_000)
    e = value_of_observation(rng.integers(0, 3, net.size), net, replicates=50)
    assert e.value <= 5 * e.stderr


def test_a_pilot_needs_an_uncertain_rate():
    d = scenario().model_dump(mode="json", by_alias=True, exclude_none=True)
    d["risks"][0]["frequency"] = {"dist": "poisson", "mean": 1.0}
    d["pilot"] = {"years": 1}
    with pytest.raises(ScenarioError, match="uncertain event rates"):
        scenario_from_dict(d)


def test_pilot_analysis_is_identical_with_one_or_two_threads():
    s = scenario({"years": T})
    assert analyze(s, trials=70_000, seed=3, threads=1, replicates=5) == \
        analyze(s, trials=70_000, seed=3, threads=2, replicates=5)
